"""The one pipeline (decision 0016): each variant traced once per run, nothing cached, the API
and the command line giving the same results, ``input_size`` equal to editing the YAML, noqa
codes checked against the codes passed in, and unused-noqa (A001) as the engine's post-pass."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import archspec
import archspec.blocks.trace
from archspec.cli import main
from archspec.diagnostics import SpecError
from archspec.pipeline import LintRequest, run, run_file
from archspec.report.model import diagnostic_dict

ROOT = Path(__file__).resolve().parents[1]
EMO = "specs/emo.yaml"
EMO_VARIANTS = ["emo_1m", "emo_2m", "emo_5m", "emo_6m"]

NOQA = textwrap.dedent("""\
    archspec: 1
    name: widening
    input: {channels: 8, size: 8}
    stages:
      - name: s1
        noqa: {H101: "12 kept for the paper"}
        blocks:
          - {block: conv, out: 72, k: 1, norm: none, act: none}
          - {block: conv, out: 16, k: 1}
""")


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The variant of every network traced while the test runs."""
    calls: list[str | None] = []
    original = archspec.blocks.trace.trace

    def counting(net: Any, cache: Any = None) -> Any:
        calls.append(net.variant)
        return original(net, cache)

    monkeypatch.setattr(archspec.blocks.trace, "trace", counting)
    return calls


@pytest.fixture
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# ------------------------------------------------------------------ one trace per variant


@pytest.mark.usefixtures("_in_root")
def test_cli_lint_traces_each_variant_once(traced: list[str | None],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", EMO, "--format", "json"]) == 0
    capsys.readouterr()
    assert traced == EMO_VARIANTS


def test_api_lint_and_analyze_trace_each_variant_once(traced: list[str | None]) -> None:
    archspec.lint(ROOT / EMO)
    assert traced == EMO_VARIANTS
    traced.clear()
    archspec.analyze(ROOT / EMO, variant="emo_2m")
    assert traced == ["emo_2m"]


def test_nothing_is_cached_between_runs(traced: list[str | None]) -> None:
    document = archspec.load(ROOT / EMO)
    first = run(document, ["emo_1m"]).variants[0]
    second = run(document, ["emo_1m"]).variants[0]
    assert traced == ["emo_1m", "emo_1m"]
    assert first.graph is not second.graph and first.net == second.net
    assert not hasattr(document, "resolved") and not hasattr(first.net, "graph_cache")


def test_results_are_per_variant_with_errors_and_findings() -> None:
    result = run_file(str(ROOT / "tests/cli/bad_specs/variant_error.yaml"),
                      lint=LintRequest(select=["G1"]))
    by_name = {v.variant: v for v in result.variants}
    assert by_name["base"].net is not None and by_name["base"].findings is not None
    assert by_name["base"].totals == by_name["base"].graph.totals()  # type: ignore[union-attr]
    assert by_name["odd"].net is None and by_name["odd"].findings is None
    assert [d.code for d in by_name["odd"].errors] == ["E140"]
    with pytest.raises(SpecError, match="E140"):
        by_name["odd"].require()


# ------------------------------------------------------------------ input_size


@pytest.mark.parametrize("size", [160, (128, 192)])
def test_input_size_equals_editing_the_yaml(size: int | tuple[int, int]) -> None:
    text = (ROOT / EMO).read_text(encoding="utf-8")
    written = str(size) if isinstance(size, int) else f"[{size[0]}, {size[1]}]"
    edited = archspec.loads(text.replace("size: 224", f"size: {written}"), EMO)
    for variant in ("emo_1m", "emo_6m"):
        given = archspec.analyze(archspec.loads(text, EMO), variant=variant, input_size=size)
        expected = archspec.analyze(edited, variant=variant)
        assert given.net.input_shape == expected.net.input_shape
        assert given.total == expected.total
        assert [b.out_shape for b in given.net.blocks] == \
            [b.out_shape for b in expected.net.blocks]


def test_an_input_size_out_of_range_is_located_at_input_size() -> None:
    with pytest.raises(SpecError) as exc:
        archspec.resolve(ROOT / EMO, input_size=(0, 32))
    [d] = exc.value.diagnostics
    assert (d.code, d.message, d.key_path, d.span.line) == (
        "E122", "`input.size[0]`: 0 is out of range", ("input", "size", 0), 10)


# ------------------------------------------------------------------ API ≡ CLI


@pytest.mark.usefixtures("_in_root")
def test_cli_and_api_give_the_same_findings_and_figures(
        capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", EMO, "--format", "json", "--target", "mobile-cpu", "--select", "G,H"])
    report = json.loads(capsys.readouterr().out)
    api = archspec.lint(EMO, target="mobile-cpu", select=["G", "H"])  # no pyproject.toml table
    cli = run_file(EMO, lint=LintRequest("mobile-cpu", ["G", "H"])).findings
    assert report["diagnostics"] == json.loads(json.dumps([diagnostic_dict(d) for d in cli]))
    assert cli == api
    for entry in report["files"][0]["variants"]:
        total = archspec.analyze(EMO, variant=entry["variant"]).total
        assert (entry["params"], entry["macs"]) == (total.params, total.macs)


# ------------------------------------------------------------------ noqa and A001


def test_resolution_checks_noqa_against_the_codes_passed_in() -> None:
    from archspec.spec.resolve import resolve

    document = archspec.loads(NOQA, "n.yaml")
    with pytest.raises(SpecError, match="noqa names unknown rule `H101`"):
        resolve(document, known_codes={"G1"})
    assert resolve(document).blocks  # None: only the reasons are checked
    with pytest.raises(SpecError, match="E160"):  # the pipeline passes the registry's codes
        archspec.resolve(archspec.loads(NOQA.replace("H101", "H109"), "n.yaml"))


def test_resolution_imports_no_rules() -> None:
    code = ("import sys, archspec\nfrom archspec.spec.resolve import resolve\n"
            f"resolve(archspec.loads({NOQA!r}))\n"
            "assert not any(m.startswith('archspec.rules') for m in sys.modules), 'rules'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_unused_noqa_is_a_post_pass_that_can_be_ignored() -> None:
    from archspec.rules.registry import RULES

    document = archspec.loads(NOQA, "n.yaml")  # 16 is a multiple of the vector width: unused
    assert [d.code for d in archspec.lint(document, select=["H101", "A001"])] == ["A001"]
    assert archspec.lint(document, select=["H101", "A001"], ignore=["A001"]) == []
    assert archspec.lint(document, select=["H101"]) == []  # only the codes that ran are judged
    assert list(RULES["A001"]().check(None, None)) == []  # nothing as a rule of its own
    used = archspec.loads(NOQA.replace("out: 16", "out: 12"), "n.yaml")
    assert archspec.lint(used, select=["H101", "A001"]) == []
