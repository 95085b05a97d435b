"""archspec.analyze(..., device=): predicted latency in total and per block, from synthetic
profiles whose answer is worked out by hand (tests/latency/profiles.py) or from MAC counts
known independently of the latency code."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.latency.profile import ENV_VAR, load_profile

from .profiles import TINY, TINY_KERNELS, calls_only, write_profile

EMO = Path(__file__).resolve().parents[2] / "specs" / "emo.yaml"
EMO_1M_MACS = 255_237_672  # docs/json.md; tests/parity/test_emo.py checks it against fvcore


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(autouse=True)
def _no_device_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_without_a_device_there_is_no_latency(tiny: Path) -> None:
    a = archspec.analyze(tiny)
    assert a.latency is None and a.total.latency_ms is None
    assert all(b.latency_ms is None for b in a.blocks)


def test_one_ms_per_call_counts_the_kernels(tiny: Path, tmp_path: Path) -> None:
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", calls_only(1.0)))
    assert a.total.latency_ms == pytest.approx(6.0)  # six kernels; dropout runs none
    assert {b.path: b.latency_ms for b in a.blocks} == pytest.approx(
        {"stem[0]": 3.0, "head[0]": 1.0, "head[1]": 0.0, "head[2]": 2.0})
    assert a.latency is not None and a.latency.kernels == 6 and a.latency.complete


def test_each_feature_has_its_own_coefficient(tiny: Path, tmp_path: Path) -> None:
    # class i charges only feature i (conv: calls, bn: MACs (none), relu: elements read, pool:
    # elements written, linear: weights); the features are TINY_KERNELS', counted by hand
    coefs = {"conv.k3.s2": [0.5, 0, 0, 0, 0], "norm.bn": [0, 1.0, 0, 0, 0],
             "act.relu": [0, 0, 0.01, 0, 0], "pool.avg.global": [0, 0, 0, 0.1, 0],
             "view": [0, 0, 0, 0, 0], "linear": [0, 1e-3, 0, 0, 0.02]}
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", coefs))
    stem = 0.5 + 0.0 + 64 * 0.01
    head2 = 40 * 1e-3 + 50 * 0.02
    assert {b.path: b.latency_ms for b in a.blocks} == pytest.approx(
        {"stem[0]": stem, "head[0]": 4 * 0.1, "head[1]": 0.0, "head[2]": head2})
    assert a.total.latency_ms == pytest.approx(stem + 0.4 + head2)


def test_the_network_correction(tiny: Path, tmp_path: Path) -> None:
    network = {"scale": 2.0, "per_kernel_ms": 0.25, "constant_ms": 1.5}
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", calls_only(1.0),
                                                    network=network))
    # total = 2 · Σ kernels + 0.25 · 6 kernels + 1.5; a block: 2 · its kernels + 0.25 each
    assert a.total.latency_ms == pytest.approx(2 * 6 + 0.25 * 6 + 1.5)
    assert {b.path: b.latency_ms for b in a.blocks} == pytest.approx(
        {"stem[0]": 2 * 3 + 0.75, "head[0]": 2.25, "head[1]": 0.0, "head[2]": 4.5})
    assert sum(b.latency_ms or 0 for b in a.blocks) == pytest.approx(a.total.latency_ms - 1.5)


def test_group_factors_scale_their_kernels(tiny: Path, tmp_path: Path) -> None:
    # conv.k3.s2 is in group "conv", norm.bn and act.relu in "elementwise", linear in "gemv"
    network = {"scale": 2.0, "groups": {"elementwise": 0.5, "gemv": 3.0}}
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", calls_only(1.0),
                                                    network=network))
    assert {b.path: b.latency_ms for b in a.blocks} == pytest.approx(
        {"stem[0]": 2 * 1 + 2 * 0.5 * 2, "head[0]": 2.0, "head[1]": 0.0, "head[2]": 2 + 2 * 3})
    assert a.total.latency_ms == pytest.approx(4 + 2 + 8)


def test_fused_ops_cost_nothing_of_their_own(tiny: Path, tmp_path: Path) -> None:
    fusion = [{"into": "conv", "absorbs": ["norm.bn", "act.relu"]}]
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", calls_only(1.0),
                                                    fusion=fusion))
    assert a.total.latency_ms == pytest.approx(4.0)  # conv+bn+relu run as one kernel
    assert a.blocks[0].latency_ms == pytest.approx(1.0)


def test_a_chain_fused_as_a_class_of_its_own_sums_its_features(tiny: Path, tmp_path: Path) -> None:
    fusion = [{"into": "conv", "absorbs": ["norm.bn", "act.relu"], "as_class": "cbr"}]
    classes = {**calls_only(1.0), "cbr": [0.5, 0, 0.01, 0, 0.001]}
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", classes, fusion=fusion))
    # one call; elements read 192 + 64 + 64 (conv, bn, relu); weights 108 + 8
    assert a.blocks[0].latency_ms == pytest.approx(0.5 + 320 * 0.01 + 116 * 0.001)
    assert a.latency is not None and a.latency.kernels == 4


def test_a_class_without_a_model_makes_the_total_a_lower_bound(tiny: Path, tmp_path: Path) -> None:
    classes = calls_only(1.0, [c for c in TINY_KERNELS if c not in ("view", "act.relu")])
    a = archspec.analyze(tiny, device=write_profile(tmp_path / "d.json", classes))
    assert a.latency is not None and a.latency.missing == ("act.relu", "view")
    assert a.total.latency_ms == pytest.approx(4.0)
    from archspec.latency.profile import prediction_warnings

    [warning] = prediction_warnings(a.latency)
    assert "lower bound" in warning and "act.relu, view" in warning


def test_macs_only_gives_macs_times_the_coefficient_on_emo_1m(tmp_path: Path) -> None:
    from archspec.latency.kernels import kernel_class
    from archspec.pipeline import run_file

    graph = run_file(str(EMO), variant="emo_1m").variants[0].graph
    assert graph is not None
    classes = {kernel_class(op) for op in graph.ops()} - {None}
    c = 1e-6  # ms per multiply-accumulate
    profile = write_profile(tmp_path / "d.json", {cls: [0, c, 0, 0, 0] for cls in classes
                                                   if cls is not None})
    a = archspec.analyze(EMO, variant="emo_1m", device=profile)
    assert a.total.macs == EMO_1M_MACS
    assert a.total.latency_ms == pytest.approx(EMO_1M_MACS * c, rel=1e-12)
    for b in a.blocks:
        assert b.latency_ms == pytest.approx(b.macs * c, rel=1e-12, abs=1e-12), b.path


def test_a_loaded_profile_and_its_path_predict_alike(tiny: Path, tmp_path: Path) -> None:
    path = write_profile(tmp_path / "d.json", calls_only(0.5))
    by_path = archspec.analyze(tiny, device=path)
    by_str = archspec.analyze(tiny, device=str(path))
    loaded = archspec.analyze(tiny, device=load_profile(path))
    assert by_path.total.latency_ms == by_str.total.latency_ms == loaded.total.latency_ms == 3.0


def test_the_figures_are_of_one_image_whatever_the_batch(tiny: Path, tmp_path: Path) -> None:
    a = archspec.analyze(tiny, batch=8, device=write_profile(tmp_path / "d.json", calls_only(1.0)))
    assert a.batch == 8 and a.total.latency_ms == pytest.approx(6.0)


def test_the_environment_variable_is_the_default_device(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(write_profile(tmp_path / "env.json", calls_only(1.0))))
    assert archspec.analyze(tiny).total.latency_ms == pytest.approx(6.0)
    given = write_profile(tmp_path / "given.json", calls_only(2.0))
    assert archspec.analyze(tiny, device=given).total.latency_ms == pytest.approx(12.0)


def test_a_bad_environment_variable_is_an_error_naming_it(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "archspec-device-profile", "version": 9}')
    monkeypatch.setenv(ENV_VAR, str(bad))
    with pytest.raises(SpecError) as caught:
        archspec.analyze(tiny)
    [d] = caught.value.diagnostics
    assert d.code == "E181" and ENV_VAR in d.message and (d.span.line, d.span.col) == (1, 50)


def test_device_of_the_wrong_type_is_a_type_error(tiny: Path) -> None:
    with pytest.raises(TypeError, match="device: expected a DeviceProfile or a profile"):
        archspec.analyze(tiny, device=3)  # type: ignore[arg-type]


def test_lint_predicts_on_the_device_it_is_given(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archspec.rules.engine as engine

    seen = []
    lint_net = engine.lint_net

    def spy(net, graph, setup, latency=None):  # noqa: ANN001, ANN202
        seen.append(latency)
        return lint_net(net, graph, setup, latency)

    monkeypatch.setattr(engine, "lint_net", spy)
    archspec.lint(tiny)
    archspec.lint(tiny, device=write_profile(tmp_path / "d.json", calls_only(1.0)))
    monkeypatch.setenv(ENV_VAR, str(write_profile(tmp_path / "e.json", calls_only(2.0))))
    archspec.lint(tiny)
    assert seen[0] is None
    assert [p.total_ms for p in seen[1:]] == pytest.approx([6.0, 12.0])
    with pytest.raises(TypeError, match="device: expected"):
        archspec.lint(tiny, device=1.5)  # type: ignore[arg-type]
