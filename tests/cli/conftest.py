"""Fixtures for the command-line tests: run ``archspec`` in-process, and stand in for the rules
engine so findings of every severity can be produced on demand."""

from __future__ import annotations

from typing import Any

import pytest

from archspec.cli import main
from archspec.diagnostics import Diagnostic, Severity

from .helpers import ROOT, Run, StubRule, finding


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in the tests are relative to the repository root, as a user would type them."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("ARCHSPEC_TRACEBACK", raising=False)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """``cli('lint', 'specs/emo.yaml')`` → Run(rc, out, err), in-process."""

    def run(*argv: str) -> Run:
        rc = main(list(argv))
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)

    return run


@pytest.fixture
def stub_rules(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Register one rule and make the engine return one finding per variant linted.

    Returns a dict whose ``calls`` lists the keyword arguments of every engine call and whose
    ``severity`` sets the findings' severity.
    """
    import archspec.rules.engine as engine
    from archspec.rules.registry import RULES

    state: dict[str, Any] = {"calls": [], "severity": Severity.WARNING}

    def lint_document(document: Any, *, variant: str | None = None, **kwargs: Any
                      ) -> list[Diagnostic]:
        state["calls"].append({"variant": variant, **kwargs})
        variants = [variant] if variant else (document.variants or [None])
        return [finding(v, severity=state["severity"], file=document.file) for v in variants]

    monkeypatch.setitem(RULES, "G1", StubRule)
    monkeypatch.setattr(engine, "lint_document", lint_document)
    return state
