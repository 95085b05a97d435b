"""The four renderers on one synthetic report: spec errors and findings alike."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import jsonschema
import pytest

from archspec.diagnostics import Diagnostic, Severity, Span, error
from archspec.report import FORMATS, render_lint
from archspec.report.github import annotation
from archspec.report.model import FileReport, LintReport, VariantSummary
from archspec.report.sarif import sarif_dict
from archspec.report.snippet import caret

HERE = Path(__file__).parent
SARIF_SCHEMA = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

SPEC = """\
archspec: 1
name: tiny
input: {channels: 3, size: 32}
stem:
  - {block: conv, out: 16, k: 3, stride: 2}
stages:
  - name: s1
    out: 24
\tdepth: 2
"""


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LintReport:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "tiny net.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("name: [1, 2\n", encoding="utf-8")
    spec = "specs/tiny net.yaml"
    findings = [
        Diagnostic(code="G1", severity=Severity.WARNING, span=Span(spec, 5, 19),
                   message="1×1 conv widens 24→144 (c2/c1 = 6.0)", fix="keep it ≤ 4, or split",
                   variant=v, block="stem[0]", rule="unequal-channel-width",
                   key_path=("stem", 0, "out"),
                   data={"ratio": 6.0, "shape": (16, 16), "nan": math.nan})
        for v in ("a", "b")
    ]
    findings.append(Diagnostic(code="S101", severity=Severity.INFO, span=Span(spec, 8, 5),
                               message="window pads the map", variant="b", block="stages.s1[0]"))
    findings.append(Diagnostic(code="H101", severity=Severity.ERROR, span=Span(spec, 9, 2),
                               message="width 24, not a multiple of 32", variant="a"))
    ok = FileReport(spec, [VariantSummary("a", 1_361_168, 255_237_672),
                           VariantSummary("b", 2_000, 3_000)], findings)
    bad = FileReport("bad.yaml", [], [error("E103", "invalid YAML: end of stream", Span(
        "bad.yaml", 2, 1), expected="well-formed YAML", fix="close every `[`")])
    return LintReport([ok, bad])


def _render(report: LintReport, fmt: str) -> str:
    out = io.StringIO()
    render_lint(report, fmt, out)
    return out.getvalue()


def test_exit_code(report: LintReport) -> None:
    assert report.exit_code == 2
    assert LintReport(report.files[:1]).exit_code == 1
    clean = LintReport([FileReport("x.yaml", [VariantSummary(None, 1, 1)])])
    assert clean.exit_code == 0


def test_unknown_format(report: LintReport) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        _render(report, "xml")
    assert FORMATS == ("text", "json", "sarif", "github")


# ------------------------------------------------------------------------------------ json


def test_json(report: LintReport) -> None:
    document = json.loads(_render(report, "json"))
    assert document["schema_version"] == 1
    assert [f["file"] for f in document["files"]] == ["specs/tiny net.yaml", "bad.yaml"]
    assert [f["spec_error"] for f in document["files"]] == [False, True]
    first = document["files"][0]["variants"][0]
    assert first == {"variant": "a", "params": 1_361_168, "macs": 255_237_672,
                     "findings": {"error": 1, "warning": 1, "info": 0}}
    g1 = document["diagnostics"][0]
    assert g1 == {"code": "G1", "severity": "warning", "message": "1×1 conv widens 24→144 "
                  "(c2/c1 = 6.0)", "fix": "keep it ≤ 4, or split", "expected": None,
                  "file": "specs/tiny net.yaml", "line": 5, "col": 19, "variant": "a",
                  "block": "stem[0]", "rule": "unequal-channel-width",
                  "key_path": "stem[0].out", "data": {"ratio": 6.0, "shape": [16, 16],
                                                      "nan": None}}
    assert document["summary"] == {
        "files": 2, "files_with_spec_errors": 1, "variants": 2,
        "by_severity": {"error": 2, "warning": 2, "info": 1},
        "by_code": {"E103": 1, "G1": 2, "S101": 1, "H101": 1}, "exit_code": 2}


# ------------------------------------------------------------------------------------ sarif


def test_sarif_validates_against_the_oasis_schema(report: LintReport) -> None:
    document = json.loads(_render(report, "sarif"))
    jsonschema.validate(document, SARIF_SCHEMA)
    [run] = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"G1": "warning", "S101": "note", "H101": "error", "E103": "error"}
    g1 = run["results"][0]
    assert g1["message"]["text"] == "1×1 conv widens 24→144 (c2/c1 = 6.0). Fix: keep it ≤ 4, or split"
    location = g1["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "specs/tiny%20net.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 5, "startColumn": 19}
    assert g1["properties"]["variant"] == "a" and g1["properties"]["data"]["nan"] is None
    e103 = next(r for r in rules if r["id"] == "E103")
    assert e103["defaultConfiguration"]["level"] == "error" and e103["helpUri"]


def test_sarif_rules_come_from_the_registry(report: LintReport) -> None:
    from archspec.rules.registry import RULES

    document = sarif_dict(report)
    jsonschema.validate(document, SARIF_SCHEMA)
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert set(RULES) <= set(rules)
    for code, cls in RULES.items():
        rule = rules[code]
        assert rule["name"] == cls.name
        assert rule["helpUri"] == f"docs/rules/{code}.md"
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_sarif_without_location_or_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere.yaml"
    report = LintReport(
        [FileReport(str(outside), [], [error("E100", "file not found", Span(str(outside), 1, 1))])],
        errors=[error("E170", "no target named `x`")])
    document = sarif_dict(report, root=str(tmp_path))
    jsonschema.validate(document, SARIF_SCHEMA)
    e170, e100 = document["runs"][0]["results"]
    assert "locations" not in e170
    assert e100["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:")


# ------------------------------------------------------------------------------------ github


def test_github_annotations(report: LintReport) -> None:
    lines = _render(report, "github").splitlines()
    pattern = re.compile(r"^::(error|warning|notice) (file=[^,]+,line=\d+,col=\d+,)?title=[A-Z]\d+::")
    assert all(pattern.match(line) for line in lines), lines
    assert lines[0] == ("::warning file=specs/tiny net.yaml,line=5,col=19,title=G1::[a] 1×1 conv "
                        "widens 24→144 (c2/c1 = 6.0)%0Afix: keep it ≤ 4, or split")
    assert [line.split(" ", 1)[0] for line in lines] == [
        "::warning", "::warning", "::notice", "::error", "::error"]


def test_github_escapes_properties_and_data() -> None:
    """Percent-encoding per the runner's rules; a line break in a message is the spec's text
    (a key, a name) and is shown escaped, so one diagnostic stays one line (decision 0010)."""
    d = error("E120", "50% of keys: bad\nreally", Span("a,b:c.yaml", 1, 2), fix="x")
    assert annotation(d) == ("::error file=a%2Cb%3Ac.yaml,line=1,col=2,title=E120::50%25 of keys: "
                             "bad\\nreally%0Afix: x")


# ------------------------------------------------------------------------------------ text


def test_text_plain_layout(report: LintReport) -> None:
    text = _render(report, "text")
    assert "\x1b[" not in text
    assert not any(line != line.rstrip() for line in text.splitlines())
    assert "specs/tiny net.yaml  variant a\n" in text and "specs/tiny net.yaml  variant b\n" in text
    assert ("specs/tiny net.yaml:5:19: G1 1×1 conv widens 24→144 (c2/c1 = 6.0)\n"
            "  5 |   - {block: conv, out: 16, k: 3, stride: 2}\n"
            "    |                   ^\n"
            "  fix: keep it ≤ 4, or split\n") in text
    assert "  9 | \tdepth: 2\n    | \t^\n" in text  # a tab in both lines keeps the caret aligned
    assert "bad.yaml:2:1: E103 invalid YAML" in text and "  expected: well-formed YAML" in text
    assert re.search(r"G1\s+unequal-channel-width\s+warning\s+2", text)
    assert re.search(r"E103\s+YAML syntax error\s+error\s+1", text)
    assert re.search(r"specs/tiny net.yaml\s+a\s+1.36M\s+255M\s+1\s+1\s+0", text)
    assert text.rstrip().endswith("2 files, 2 variants: 1 spec error in 1 file (exit 2)")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_colour_on_a_terminal_unless_no_color(report: LintReport,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = _Terminal()
    render_lint(report, "text", out)
    assert "\x1b[" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    out = _Terminal()
    render_lint(report, "text", out)
    assert "\x1b[" not in out.getvalue()


@pytest.mark.parametrize(("line", "col", "shown", "mark"), [
    ("abc", 2, "abc", " ^"),
    ("\tx: 1", 2, "\tx: 1", "\t^"),
    ("a\x07b", 3, "a\ufffdb", "  ^"),
    ("ab", 5, "ab", "    ^"),  # past the end (a missing value at the end of a line)
])
def test_caret(line: str, col: int, shown: str, mark: str) -> None:
    assert caret(line, col) == (shown, mark)


def test_caret_on_a_long_line_shows_a_window() -> None:
    line = "x" * 300 + "Y" + "z" * 300
    shown, mark = caret(line, 301)
    assert len(shown) <= 102 and shown.startswith("…") and shown.endswith("…")
    assert shown[len(mark) - 1] == "Y"
