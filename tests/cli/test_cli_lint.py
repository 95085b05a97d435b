"""``archspec lint``: variants, summaries, exit codes, options reaching the engine, formats."""

from __future__ import annotations

import json
import re

import pytest

import archspec
from archspec.diagnostics import Severity

from .helpers import EMO, ROOT, subprocess_cli

DIAGNOSTIC_KEYS = {"code", "severity", "message", "fix", "expected", "file", "line", "col",
                   "variant", "block", "rule", "key_path", "data"}


def test_shipped_spec_exits_0_with_a_summary_per_variant(cli) -> None:  # noqa: ANN001
    result = cli("lint", EMO)
    assert result.rc == 0, result.all  # findings, but none of severity error
    for variant in ("emo_1m", "emo_2m", "emo_5m", "emo_6m"):
        assert re.search(rf"{EMO}\s+{variant}\s+\S+M\s+\S+M\s+0\s+\d+\s+\d+", result.out)
    assert re.search(r"1 file, 4 variants: 0 errors, \d+ warnings?, \d+ info", result.out)
    assert "\x1b[" not in result.out  # captured output is not a terminal: plain text


def test_json_equals_the_analysis_and_the_engine(cli) -> None:  # noqa: ANN001
    """The figures are analyze's; the diagnostics are the engine's, with the same configuration."""
    from archspec.pipeline import LintRequest, lint
    from archspec.report.model import diagnostic_dict

    result = cli("lint", EMO, "--format", "json")
    report = json.loads(result.out)
    assert report["schema_version"] == 1
    findings = lint(archspec.load(EMO), LintRequest(config_dir=(ROOT / EMO).parent))
    assert report["diagnostics"] == json.loads(json.dumps(
        [diagnostic_dict(d) for d in findings]))
    [entry] = report["files"]
    for v in entry["variants"]:
        total = archspec.analyze(EMO, variant=v["variant"]).total
        assert (v["params"], v["macs"]) == (total.params, total.macs)
        mine = [d for d in findings if d.variant == v["variant"]]
        assert sum(v["findings"].values()) == len(mine)
    assert report["summary"]["exit_code"] == result.rc == 0


def test_variant_option_lints_one_variant(cli, stub_rules) -> None:  # noqa: ANN001
    result = cli("lint", EMO, "--variant", "emo_2m", "--format", "json")
    report = json.loads(result.out)
    assert [v["variant"] for v in report["files"][0]["variants"]] == ["emo_2m"]
    assert [c["variant"] for c in stub_rules["calls"]] == ["emo_2m"]
    assert {d["variant"] for d in report["diagnostics"]} == {"emo_2m"}


def test_unknown_variant_is_a_spec_error(cli) -> None:  # noqa: ANN001
    result = cli("lint", EMO, "--variant", "emo_9m")
    assert result.rc == 2
    assert "E131" in result.out and "emo_9m" in result.out


def test_options_reach_the_engine(cli, stub_rules) -> None:  # noqa: ANN001
    cli("lint", EMO, "--select", "G1,g2", "--select", "S101", "--ignore", "H", "--target",
        "mobile-cpu")
    calls = stub_rules["calls"]  # the engine lints each variant's graph, prepared once
    assert [c["variant"] for c in calls] == ["emo_1m", "emo_2m", "emo_5m", "emo_6m"]
    call = calls[0]
    assert call["select"] == ["G1", "G2", "S101"]
    assert call["ignore"] == ["H"]
    assert call["target"].name == "mobile-cpu"  # loaded once, before the files


@pytest.mark.parametrize(("severity", "rc"), [(Severity.ERROR, 1), (Severity.WARNING, 0),
                                              (Severity.INFO, 0)])
def test_exit_code_follows_the_worst_finding(cli, stub_rules, severity, rc) -> None:  # noqa: ANN001
    stub_rules["severity"] = severity
    result = cli("lint", EMO)
    assert result.rc == rc, result.all


def test_spec_error_wins_over_findings(cli, stub_rules) -> None:  # noqa: ANN001
    stub_rules["severity"] = Severity.ERROR
    result = cli("lint", EMO, "tests/cli/bad_specs/dim_head.yaml")
    assert result.rc == 2


def test_findings_grouped_by_file_and_variant_with_snippet(cli, stub_rules) -> None:  # noqa: ANN001
    result = cli("lint", EMO)
    out = result.out
    headers = [line for line in out.splitlines() if line.startswith(f"{EMO}  variant ")]
    assert headers == [f"{EMO}  variant {v}" for v in ("emo_1m", "emo_2m", "emo_5m", "emo_6m")]
    line34 = (ROOT / EMO).read_text(encoding="utf-8").splitlines()[33]
    assert f"{EMO}:34:5: G1 1×1 conv widens 24→144" in out
    assert f"  34 | {line34}\n     |     ^\n" in out
    assert "  fix: keep the expansion ≤ 4 or split channels" in out
    assert re.search(r"G1\s+unequal-channel-width\s+warning\s+4", out)  # the per-rule table
    assert re.search(rf"{EMO}\s+emo_1m\s+1.36M\s+255M\s+0\s+1\s+0", out)  # per-variant counts


def test_a_variant_that_fails_does_not_hide_the_others(cli, stub_rules) -> None:  # noqa: ANN001
    result = cli("lint", "tests/cli/bad_specs/variant_error.yaml", "--format", "json")
    assert result.rc == 2
    report = json.loads(result.out)
    assert [v["variant"] for v in report["files"][0]["variants"]] == ["base"]
    assert [c["variant"] for c in stub_rules["calls"]] == ["base"]
    codes = {(d["code"], d["variant"]) for d in report["diagnostics"]}
    assert codes == {("E140", "odd"), ("G1", "base")}


def test_json_diagnostics_are_complete(cli, stub_rules) -> None:  # noqa: ANN001
    report = json.loads(cli("lint", EMO, "--format", "json").out)
    assert len(report["diagnostics"]) == 4
    for d in report["diagnostics"]:
        assert set(d) == DIAGNOSTIC_KEYS
        assert d["data"] == {"ratio": 6.0, "widths": [24, 144]}
        assert d["key_path"] == "stages[2].block"
    assert report["summary"]["by_code"] == {"G1": 4}
    assert report["summary"]["by_severity"] == {"error": 0, "warning": 4, "info": 0}


def test_github_format(cli, stub_rules) -> None:  # noqa: ANN001
    lines = cli("lint", EMO, "--format", "github").out.splitlines()
    assert len(lines) == 4
    assert lines[0] == (f"::warning file={EMO},line=34,col=5,title=G1::[emo_1m] 1×1 conv "
                        "widens 24→144 (c2/c1 = 6.0; memory access 1.4× the G1 minimum)"
                        "%0Afix: keep the expansion ≤ 4 or split channels")


def test_sarif_format_parses(cli, stub_rules) -> None:  # noqa: ANN001
    sarif = json.loads(cli("lint", EMO, "--format", "sarif").out)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["G1"] * 4
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": EMO, "uriBaseId": "%SRCROOT%"}


def test_usage_errors_exit_2(cli) -> None:  # noqa: ANN001
    assert cli("lint").rc == 2
    assert cli("lint", EMO, "--format", "xml").rc == 2
    missing = cli("lint", "no/such/spec.yaml")
    assert missing.rc == 2 and "E100" in missing.out


def test_unknown_selector_exits_2(cli) -> None:  # noqa: ANN001
    result = cli("lint", EMO, "--select", "Z9")
    assert result.rc == 2 and "Z9" in result.err and "Traceback" not in result.all


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_unknown_target_exits_2_without_a_location(cli, fmt: str) -> None:  # noqa: ANN001
    result = cli("lint", EMO, "--target", "mobile-cpo", "--format", fmt)
    assert result.rc == 2 and "E170" in result.all and "Traceback" not in result.all
    assert "<unknown>" not in result.all
    if fmt == "json":
        [d] = json.loads(result.out)["diagnostics"]
        assert (d["file"], d["line"], d["col"]) == (None, None, None)


_NO_TORCH = """
import sys
import archspec.cli
rc = archspec.cli.main({argv!r})
assert "torch" not in sys.modules, "torch was imported"
{extra}
raise SystemExit(rc)
"""


@pytest.mark.parametrize("argv", [
    ["lint", EMO], ["profile", EMO, "--format", "json"], ["profile", EMO], ["schema"],
    ["list"], ["rule", "--list"]])
def test_analysis_commands_never_import_torch(argv: list[str]) -> None:
    result = subprocess_cli(code=_NO_TORCH.format(argv=argv, extra=""))
    assert result.rc == 0, result.all


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_to_a_pipe_does_not_import_rich(fmt: str) -> None:
    """rich only colours text on a terminal; plain text and JSON never pay for importing it."""
    extra = 'assert "rich" not in sys.modules, "rich was imported"'
    result = subprocess_cli(code=_NO_TORCH.format(argv=["lint", EMO, "--format", fmt],
                                                  extra=extra))
    assert result.rc == 0, result.all
