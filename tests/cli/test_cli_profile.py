"""``archspec profile``: the figures are archspec.analyze's, --input sets batch and size."""

from __future__ import annotations

import json

import pytest

import archspec

from .helpers import EMO


def _profile(cli, *argv: str) -> dict:  # noqa: ANN001
    result = cli("profile", *argv, "--format", "json")
    assert result.rc == 0, result.all
    return json.loads(result.out)


def _assert_matches(report: dict, analysis) -> None:  # noqa: ANN001
    t = analysis.total
    batch = analysis.batch
    assert report["totals"] == {
        "params": t.params, "macs": t.macs, "flops": t.flops, "mem_access_elems": t.mem_access,
        "output_shape": [batch, *t.output_shape], "peak_activation_bytes": t.activation_bytes}
    assert len(report["blocks"]) == len(analysis.blocks)
    for row, b in zip(report["blocks"], analysis.blocks, strict=True):
        assert (row["path"], row["family"], row["params"], row["macs"], row["flops"],
                row["mem_access_elems"], row["activation_bytes"]) == (
            b.path, b.family, b.params, b.macs, b.flops, b.mem_access, b.activation_bytes)
        assert row["input_shape"] == [batch, *b.input_shape]
        assert row["output_shape"] == [batch, *b.output_shape]
    assert sum(row["params"] for row in report["blocks"]) == t.params


@pytest.mark.parametrize("variant", ["emo_1m", "emo_6m"])
def test_totals_equal_analyze(cli, variant: str) -> None:  # noqa: ANN001
    report = _profile(cli, EMO, "--variant", variant)
    assert report["schema_version"] == 1
    assert (report["file"], report["variant"], report["input_shape"]) == (
        EMO, variant, [1, 3, 224, 224])
    _assert_matches(report, archspec.analyze(EMO, variant=variant))
    assert report["totals"]["params"] == {"emo_1m": 1_361_168, "emo_6m": 6_168_496}[variant]


def test_input_sets_batch_and_size(cli) -> None:  # noqa: ANN001
    report = _profile(cli, EMO, "--input", "4x3x160x192")
    assert report["input_shape"] == [4, 3, 160, 192] and report["batch"] == 4
    _assert_matches(report, archspec.analyze(EMO, input_size=(160, 192), batch=4))


@pytest.mark.parametrize(("options", "kwargs"), [
    (["--convention", "fvcore"], {"convention": "fvcore"}),
    (["--dtype", "fp16"], {"dtype": "fp16"}),
    (["--num-classes", "10"], {"num_classes": 10}),
])
def test_options_reach_the_analysis(cli, options: list[str], kwargs: dict) -> None:  # noqa: ANN001
    report = _profile(cli, EMO, *options)
    _assert_matches(report, archspec.analyze(EMO, **kwargs))


def test_roundings_are_listed(cli) -> None:  # noqa: ANN001
    spec = "specs/mobilenet_v2.yaml"
    report = _profile(cli, spec, "--variant", "x0_75")
    analysis = archspec.analyze(spec, variant="x0_75")
    assert len(report["roundings"]) == len(analysis.roundings) > 0
    first = report["roundings"][0]
    assert set(first) == {"block", "field", "written", "value", "rule", "file", "line", "col"}
    assert first["file"] == spec and first["written"] != first["value"]
    text = cli("profile", spec, "--variant", "x0_75").out
    assert f"Roundings ({len(analysis.roundings)})" in text
    assert f"{spec}:{first['line']}:{first['col']}" in text


def test_text_report(cli) -> None:  # noqa: ANN001
    result = cli("profile", EMO)
    assert result.rc == 0
    total = archspec.analyze(EMO).total
    for needle in ("stages.s3[7]", f"{total.params:,}", f"{total.macs:,}", f"{total.flops:,}",
                   f"{total.mem_access:,}", f"{total.activation_bytes:,}", "1×1000",
                   "Roundings (0)"):
        assert needle in result.out, needle


def test_wrong_channels_exit_2(cli) -> None:  # noqa: ANN001
    result = cli("profile", EMO, "--input", "1x4x224x224")
    assert result.rc == 2
    assert "4 channels" in result.err and "takes 3" in result.err
    assert "Traceback" not in result.all


@pytest.mark.parametrize("bad", ["224", "1x3x224", "ax3x224x224", "0x3x224x224", "1x3x-2x224"])
def test_malformed_input_is_a_usage_error(cli, bad: str) -> None:  # noqa: ANN001
    result = cli("profile", EMO, "--input", bad)
    assert result.rc == 2
    assert "--input" in result.err and "Traceback" not in result.all


def test_three_dims_mean_batch_1(cli) -> None:  # noqa: ANN001
    assert _profile(cli, EMO, "--input", "3x128x128")["input_shape"] == [1, 3, 128, 128]


def test_input_too_small_is_a_spec_error(cli, tmp_path) -> None:  # noqa: ANN001
    """A size the network cannot take is reported like any spec error, in the chosen format."""
    spec = tmp_path / "pools.yaml"
    spec.write_text("archspec: 1\nname: pools\ninput: {channels: 3, size: 32}\n"
                    "stages:\n  - {name: down, depth: 5, block: {block: pool, kind: max, k: 2}}\n",
                    encoding="utf-8")
    assert cli("profile", str(spec)).rc == 0
    result = cli("profile", str(spec), "--input", "1x3x16x16", "--format", "json")
    assert result.rc == 2, result.all
    report = json.loads(result.out)
    assert report["schema_version"] == 1
    assert [d["code"] for d in report["diagnostics"]] == ["E143"]
    text = cli("profile", str(spec), "--input", "1x3x16x16")
    assert text.rc == 2 and f"{spec}:5:" in text.err and "E143" in text.err
