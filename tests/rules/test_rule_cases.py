"""Rule fixtures as data: tests/rules/cases/<CODE>.yaml, run by one parametrised test.

Each case is a small spec document with the findings it must produce: code, severity, line (in
the snippet) and figures (``data`` values, computed by hand in the file's comments).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

import archspec
from archspec.pipeline import LintRequest, lint
from archspec.rules.registry import RULES
from archspec.rules.targets import load_target

CASES_DIR = Path(__file__).parent / "cases"
FILES = sorted(CASES_DIR.glob("*.yaml"))


def _cases() -> list[Any]:
    out = []
    for path in FILES:
        data = yaml.safe_load(path.read_text("utf-8"))
        for i, case in enumerate(data["cases"]):
            out.append(pytest.param(data["rule"], case, id=f"{path.stem}-{i}-{case['name']}"))
    return out


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return isinstance(actual, int | float) and math.isclose(actual, expected, rel_tol=1e-4,
                                                                abs_tol=1e-6)
    if isinstance(expected, list):
        return list(actual) == expected if not any(isinstance(x, float) for x in expected) \
            else len(actual) == len(expected) and all(map(_same, expected, actual))
    return bool(actual == expected)


@pytest.mark.parametrize(("code", "case"), _cases())
def test_case(code: str, case: dict[str, Any]) -> None:
    doc = archspec.loads(case["spec"], f"{code}.yaml")
    target = load_target(case.get("target", "default"))
    if case.get("options"):
        target = target.with_options(case["options"], "case")
    findings = lint(doc, LintRequest(target, case.get("select", [code])))
    got = [(d.code, d.severity.value, d.span.line) for d in findings]
    want = [(e["code"], e["severity"], e["line"]) for e in case["expect"]]
    assert sorted(got) == sorted(want), "\n".join(
        f"{d.span} {d.code} {d.severity.value}: {d.message}" for d in findings)
    for e in case["expect"]:
        matches = [d for d in findings if (d.code, d.severity.value, d.span.line) ==
                   (e["code"], e["severity"], e["line"])]
        for key, value in (e.get("figure") or {}).items():
            assert any(key in d.data and _same(value, d.data[key]) for d in matches), (
                f"{e['code']} {key}: expected {value}, got "
                f"{[d.data.get(key) for d in matches]}")
    for d in findings:  # every finding states its figure, a fix and its place
        assert d.fix and d.rule == RULES[d.code].name and d.block and "value" in d.data
        assert "MAC" not in d.message.replace("MACs", "")


def test_every_rule_has_failing_and_passing_fixtures() -> None:
    have = {p.stem for p in FILES}
    assert have == set(RULES), f"missing fixtures: {set(RULES) - have}, extra: {have - set(RULES)}"
    for path in FILES:
        cases = yaml.safe_load(path.read_text("utf-8"))["cases"]
        assert any(c["expect"] for c in cases), f"{path.name} has no failing case"
        assert any(not c["expect"] for c in cases), f"{path.name} has no passing case"
