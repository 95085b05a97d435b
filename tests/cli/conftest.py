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

    Returns a dict whose ``calls`` lists, for every variant the engine lints, its variant and the
    keyword arguments the run was prepared with (target, select, ignore, config), and whose
    ``severity`` sets the findings' severity.
    """
    import archspec.rules.engine as engine
    from archspec.rules.registry import RULES

    state: dict[str, Any] = {"calls": [], "severity": Severity.WARNING}
    prepare = engine.prepare

    def prepared(**kwargs: Any) -> Any:
        setup = prepare(**kwargs)
        state["prepared"] = kwargs
        return setup

    def lint_net(net: Any, graph: Any, setup: Any, latency: Any = None) -> list[Diagnostic]:
        state["calls"].append({"variant": net.variant, **state["prepared"]})
        return [finding(net.variant, severity=state["severity"], file=net.file)]

    monkeypatch.setitem(RULES, "G1", StubRule)
    monkeypatch.setattr(engine, "prepare", prepared)
    monkeypatch.setattr(engine, "lint_net", lint_net)
    return state
