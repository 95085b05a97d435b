"""docs/spec.md, docs/cli.md and docs/json.md say what the code does."""

from __future__ import annotations

import argparse
import json
import re

import pytest

import archspec
from archspec.cli.parser import build_parser
from archspec.spec.reference import reference

from .helpers import EMO, ROOT

DOCS = ROOT / "docs"


def test_spec_reference_is_up_to_date() -> None:
    checked_in = (DOCS / "spec.md").read_text(encoding="utf-8")
    assert checked_in == reference(), "run: python -m archspec.spec.reference > docs/spec.md"


def test_spec_reference_documents_every_field() -> None:
    text = reference()
    for family in archspec.blocks.FAMILIES.values():
        assert f"### `{family.tag}`" in text
        for name, info in family.model.model_fields.items():
            if name not in ("block", "noqa", "scaling"):
                assert f"| `{info.alias or name}` |" in text, (family.tag, name)
    assert "| | " not in text.replace("|---|", "")  # no empty type cells


def _yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, flags=re.S)


def test_spec_reference_examples_are_valid_specs(tmp_path) -> None:  # noqa: ANN001
    examples = [b for b in _yaml_blocks((DOCS / "spec.md").read_text(encoding="utf-8"))
                if b.lstrip().startswith("# yaml-language-server")]
    assert examples
    for i, text in enumerate(examples):
        document = archspec.loads(text, f"example{i}.yaml")
        for variant in document.variants or [None]:
            archspec.analyze(document, variant=variant)


def _options(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [o for a in p._actions for o in a.option_strings if o != "-h" and o != "--help"]
            for name, p in sub.choices.items()}


def test_cli_doc_covers_every_command_and_option() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command, options in _options(build_parser()).items():
        section = text.split(f"## `archspec {command}", 1)
        assert len(section) == 2, command
        body = section[1].split("\n## ", 1)[0]
        for option in options:
            assert any(f in body for f in (f"`{option}", f"{option} ", f"[{option}]")), (
                command, option)
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in text


def _keys(value: object, prefix: str = "") -> set[str]:
    """Dotted field paths of a JSON document; list items as ``name[]``."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            out.add(path)
            out |= _keys(v, path)
    elif isinstance(value, list):
        for item in value:
            out |= _keys(item, f"{prefix}[]")
    return out


@pytest.mark.parametrize("argv", [
    ["lint", EMO, "--format", "json"],
    ["lint", "tests/cli/bad_specs/dim_head.yaml", "--format", "json"],
    ["profile", "specs/mobilenet_v2.yaml", "--variant", "x0_75", "--format", "json"],
    ["list", "--format", "json"],
])
def test_json_doc_names_every_field(cli, argv: list[str]) -> None:  # noqa: ANN001
    """Every field a JSON output has (rule-specific `data` aside) is in docs/json.md."""
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    document = json.loads(cli(*argv).out)
    assert document["schema_version"] == 1
    for path in sorted(_keys(document)):
        if ".data." in path or path.endswith((".findings.error", ".findings.warning",
                                               ".findings.info")) or ".by_" in path:
            continue
        last = path.rsplit(".", 1)[-1].removesuffix("[]")
        documented = (f"`{path}`", f"`{path}[]", f"`{path}.", f"`{last}`", f"`{last}[]", f".{last}`",
                      f".{last}[]`")
        assert any(d in text for d in documented), path
