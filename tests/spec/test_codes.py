"""The code registry (archspec/codes.py): every code raised is registered, every registered code
is raised and documented, and error() takes only registered codes (decision 0018)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archspec.codes import CODES, NOTE_CODES, lookup
from archspec.diagnostics import (
    SUGGESTION_CUTOFF,
    Severity,
    Span,
    dedupe,
    did_you_mean,
    error,
    merge_variants,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "archspec"
CODE_LITERAL = re.compile(r"""["'](E[12]\d\d)["']""")


def _codes_in_the_code() -> dict[str, list[str]]:
    """Every E-code literal in archspec/ outside the registry, and the files that write it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "codes.py" and path.parent == PACKAGE:
            continue
        for code in CODE_LITERAL.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_code_written_in_archspec_is_registered() -> None:
    unregistered = {c: files for c, files in _codes_in_the_code().items() if c not in CODES}
    assert not unregistered, f"add these to archspec/codes.py: {unregistered}"


def test_every_registered_code_is_raised_somewhere() -> None:
    unused = set(CODES) - set(_codes_in_the_code())
    assert not unused, f"registered but raised nowhere: {sorted(unused)}"


def test_every_registered_code_is_documented_in_the_spec_reference() -> None:
    text = (ROOT / "docs" / CODES["E100"].page.split("#")[0]).read_text(encoding="utf-8")
    assert '<a id="error-codes"></a>' in text
    for code in CODES.values():
        assert f"| `{code.code}` | {code.stage} | {code.title} |" in text, code.code
        assert code.title and code.meaning.endswith((".", ")")), code.code


def test_error_refuses_an_unregistered_code() -> None:
    with pytest.raises(KeyError, match="E999"):
        error("E999", "no such code")
    with pytest.raises(KeyError):
        lookup("G1")  # lint rule codes live with their rules, not here


def test_a_note_code_makes_a_note_and_an_error_code_an_error() -> None:
    assert sorted(NOTE_CODES) == ["E149", "E152"]
    assert error("E149", "m").severity == Severity.INFO
    assert error("E122", "m").severity == Severity.ERROR


def test_e122_is_split_one_code_per_meaning() -> None:
    titles = [CODES[c].title for c in ("E122", "E124", "E125", "E126", "E127", "E128", "E129")]
    assert len(set(titles)) == len(titles)
    renames = (ROOT / "docs" / "code-renames.md").read_text(encoding="utf-8")
    for code in ("E124", "E125", "E126", "E127", "E128", "E129"):
        assert f"`{code}`" in renames
    assert "code-renames.md" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------- did you mean


@pytest.mark.parametrize(("word", "candidates", "near"), [
    ("cnv", ["conv", "mmb", "pool"], "conv"),       # a letter missing
    ("swish", ["relu", "hswish", "gelu"], "hswish"),
    ("E14", ["E140", "G1"], "E140"),
    ("dpeth", ["depth", "out", "name"], "depth"),   # two letters swapped
    ("xyz", ["conv", "mmb"], None),                  # nothing alike: no guess
    ("conv", ["conv"], None),                        # the word itself is never suggested
])
def test_did_you_mean(word: str, candidates: list[str], near: str | None) -> None:
    assert did_you_mean(word, candidates) == near


def test_one_cutoff_for_every_suggestion() -> None:
    assert SUGGESTION_CUTOFF == 0.6
    source = (PACKAGE / "diagnostics.py").read_text(encoding="utf-8")
    others = [p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "diagnostics.py"
              and "get_close_matches" in p.read_text(encoding="utf-8")]
    assert "get_close_matches" in source and not others


# ------------------------------------------------------------------------------- dedupe


def test_dedupe_keeps_the_first_of_each_report_in_order() -> None:
    a, b = Span("f", 1, 1), Span("f", 2, 1)
    ds = [error("E120", "x", a), error("E121", "y", b), error("E120", "x", a, fix="other")]
    assert dedupe(ds) == ds[:2]
    assert dedupe(ds, key=lambda d: d.span.line) == ds[:2]


def test_merge_variants_names_the_variants_that_share_a_mistake() -> None:
    span = Span("f", 3, 1)
    merged = merge_variants([error("E122", "m", span, variant=v) for v in ("a", "b")])
    assert [(d.variant, d.data["variants"]) for d in merged] == [(None, ["a", "b"])]
