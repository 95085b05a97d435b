"""A candidate's row is what `archspec profile` and `lint` say of the same values written by hand
as a variant of the spec: the sweep's shortcuts (the base parsed once, overrides merged as a last
layer, traced blocks replayed) change no figure and no finding."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import archspec
from archspec.sweep.evaluate import Evaluator, Setup, columns
from archspec.sweep.model import Candidate

ROOT = Path(__file__).parents[2]
EMO = ROOT / "specs" / "emo.yaml"
AXES = ("stages.s3.depth", "stages.s3.block.exp", "stages.*.block.dw_k", "input.size")
#: the same values as each candidate, written by hand as a variant override
WRITTEN = [
    ((6, 2.5, 3, 224), "{stages: {s1: {block: {dw_k: 3}}, s2: {block: {dw_k: 3}}, "
                       "s3: {depth: 6, block: {exp: 2.5, dw_k: 3}}, s4: {block: {dw_k: 3}}}, "
                       "input: {size: 224}}"),
    ((9, 4.0, 5, 256), "{stages: {s1: {block: {dw_k: 5}}, s2: {block: {dw_k: 5}}, "
                       "s3: {depth: 9, block: {exp: 4.0, dw_k: 5}}, s4: {block: {dw_k: 5}}}, "
                       "input: {size: 256}}"),
]


def _by_hand(tmp_path: Path, override: str) -> archspec.spec.document.Document:
    text = EMO.read_text().replace("  emo_1m: {}", f"  emo_1m: {override}", 1)
    assert text != EMO.read_text()
    path = tmp_path / "emo_by_hand.yaml"
    path.write_text(text)
    return archspec.load(path)


@pytest.mark.parametrize(("values", "override"), WRITTEN)
def test_a_row_is_the_pipeline_on_the_same_values_written_as_a_variant(
        tmp_path: Path, values: tuple[object, ...], override: str) -> None:
    evaluator = Evaluator(Setup(str(EMO), "emo_1m", AXES))
    row, again = evaluator.evaluate([Candidate(7, tuple(zip(AXES, values, strict=True)))] * 2)
    assert row == again  # the second one replayed every block from the cache
    doc = _by_hand(tmp_path, override)
    analysis = archspec.analyze(doc, variant="emo_1m")
    findings = archspec.lint(doc, variant="emo_1m")
    assert row["status"] == "ok" and row["candidate"] == 7
    assert [row[a] for a in AXES] == list(values)
    assert (row["params"], row["macs"], row["flops"], row["mem_access_elems"]) == (
        analysis.total.params, analysis.total.macs, analysis.total.flops,
        analysis.total.mem_access)
    assert row["peak_activation_bytes"] == analysis.total.activation_bytes
    severities = Counter(f.severity.value for f in findings)
    assert (row["errors"], row["warnings"], row["info"]) == (
        severities["error"], severities["warning"], severities["info"])
    codes = Counter(f.code for f in findings)
    assert {c: row[c] for c in codes} == dict(codes)
    assert sum(row[c] for c in evaluator.codes) == len(findings)


def test_latency_is_the_prediction_on_the_device(tmp_path: Path) -> None:
    device = str(ROOT / "docs" / "examples" / "dev-cpu-torch-1t.json")
    (values, override) = WRITTEN[0]
    row = Evaluator(Setup(str(EMO), "emo_1m", AXES, device=device)).evaluate(
        [Candidate(0, tuple(zip(AXES, values, strict=True)))])[0]
    result = archspec.pipeline.run(_by_hand(tmp_path, override), ["emo_1m"],
                                   device=archspec.latency.profile.resolve_device(device))
    assert result.variants[0].latency is not None
    assert row["latency_ms"] == result.variants[0].latency.total_ms
    assert "latency_ms" in columns(Setup(str(EMO), "emo_1m", AXES, device=device))
    assert "latency_ms" not in columns(Setup(str(EMO), "emo_1m", AXES))


@pytest.mark.parametrize(("axis", "value", "code"), [
    ("stages.s3.depth", 0, "E122"),            # out of range: pass 1, located
    ("stages.s3.depth", "deep", "E121"),       # wrong type
    ("stages.s9.depth", 2, "E130"),            # no such stage
    ("stages.s3.block.dw_k", 4, "E14"),        # an even kernel: resolution refuses it
])
def test_a_candidate_the_spec_refuses_is_an_error_row_not_a_crash(
        axis: str, value: object, code: str) -> None:
    evaluator = Evaluator(Setup(str(EMO), "emo_1m", (axis,)))
    bad, good = evaluator.evaluate([Candidate(0, ((axis, value),)),
                                    Candidate(1, (("stages.s3.depth", 3),))])
    assert bad["status"] == "error" and bad["error"].startswith(code), bad["error"]
    assert bad["params"] is None and bad["errors"] is None
    assert good["status"] == "ok" and good["params"] > 0  # the sweep goes on


def test_rows_have_every_column_in_order() -> None:
    setup = Setup(str(EMO), "emo_1m", ("stages.s3.depth",), select=("G",))
    (row,) = Evaluator(setup).evaluate([Candidate(0, (("stages.s3.depth", 4),))])
    assert list(row) == columns(setup)
    assert all(row[c] == 0 for c in ("S101", "S102", "H101"))  # not selected: never counted
