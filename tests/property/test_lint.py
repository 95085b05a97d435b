"""Lint is total, deterministic and located: on any loadable document it returns findings or
raises SpecError (for a document that cannot be resolved), the same findings in the same order
every time, each inside the file."""

from __future__ import annotations

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import archspec
from archspec.diagnostics import Diagnostic, Severity, SpecError
from archspec.spec.source import parse_source
from archspec.testing.strategies import documents, near_misses

from ._support import examples

FILE = "lint.yaml"


def _lint(doc: archspec.spec.document.Document, variant: str | None, target: str | None
          ) -> list[Diagnostic] | SpecError:
    try:
        return archspec.lint(doc, variant=variant, target=target)
    except SpecError as exc:
        return exc


def _check_located(d: Diagnostic, source: object, lines: int) -> None:
    assert d.span.file == FILE, d
    assert 1 <= d.span.line <= lines, d
    line = source.line_text(d.span.line)  # type: ignore[attr-defined]
    assert 1 <= d.span.col <= len(line) + 1, (d, line)


def _targets() -> list[str | None]:
    try:
        from archspec.rules.targets import list_targets
    except ImportError:  # pragma: no cover - before targets existed
        return [None]
    return [None, *list_targets()]


@settings(max_examples=examples(cheap=True))
@given(document=st.one_of(documents(), near_misses().map(lambda nm: nm.document)),
       target=st.sampled_from(_targets()))
def test_lint_is_total_deterministic_and_located(document: dict, target: str | None) -> None:
    text = archspec.dump(document)
    note(f"--- {FILE}\n{text}")
    try:
        doc = archspec.loads(text, FILE)
    except SpecError:
        return  # lint takes documents; what loads refuses never reaches it
    source = parse_source(text, FILE)
    lines = len(text.splitlines())
    for variant in [None, *doc.variants]:
        first, second = _lint(doc, variant, target), _lint(doc, variant, target)
        if isinstance(first, SpecError):
            assert isinstance(second, SpecError)
            assert first.diagnostics == second.diagnostics
            for d in first.diagnostics:
                assert d.code.startswith("E"), d
                _check_located(d, source, lines)
            continue
        assert first == second, "lint is not deterministic"
        event(f"findings: {'some' if first else 'none'}")
        for d in first:
            assert d.code and d.message, d
            assert d.severity in set(Severity), d
            _check_located(d, source, lines)
