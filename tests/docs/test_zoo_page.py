"""docs/zoo.md is generated from the zoo index and the shipped specs, and is current."""

from __future__ import annotations

from pathlib import Path

from archspec.report.zoo_page import constructs, page
from archspec.spec.zoo import networks

ROOT = Path(__file__).resolve().parents[2]


def test_zoo_page_is_current() -> None:
    assert (ROOT / "docs" / "zoo.md").read_text(encoding="utf-8") == page(), (
        "docs/zoo.md is stale: run `python -m archspec.report.zoo_page > docs/zoo.md`")


def test_zoo_page_lists_every_network_once() -> None:
    text = page()
    for name in networks():
        assert text.count(f"| `{name}` |") == 1


def test_constructs_name_nested_families_and_merges() -> None:
    import archspec

    doc = archspec.loads("""\
archspec: 1
name: t
input: {channels: 8, size: 8}
stem:
  - block: parallel
    merge: add
    branches: [[{block: conv, out: 8}], [{block: norm, norm: bn}]]
  - {block: conv, out: 8}
""")
    assert constructs(archspec.resolve(doc).blocks) == ["parallel(add)", "conv", "norm"]
