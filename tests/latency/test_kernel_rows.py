"""Prediction lists kernels in one loop with kernel_class() and features() written out
(archspec/latency/kernels.py: kernel_rows, for speed); on every shipped variant it must say what
those functions say, op by op, and predict() what the class models say kernel by kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from archspec.latency.kernels import TORCH_FUSION, features, kernel_class, kernel_table, kernels
from archspec.latency.model import ClassModel, DeviceProfile, NetworkCorrection, Noise
from archspec.latency.predict import predict
from archspec.pipeline import run_file

SPECS = sorted((Path(__file__).resolve().parents[2] / "specs").glob("*.yaml"))


def _graphs():  # noqa: ANN202
    for spec in SPECS:
        for v in run_file(str(spec)).variants:
            assert v.graph is not None
            yield pytest.param(v.graph, id=f"{spec.stem}:{v.variant}")


GRAPHS = list(_graphs())


@pytest.mark.parametrize("graph", GRAPHS)
def test_unfused_kernels_are_the_ops_that_run(graph) -> None:  # noqa: ANN001
    expected = [(kernel_class(op), features(op), (node,)) for node in graph.order
                if kernel_class(op := graph.op_of[node]) is not None]
    assert [(k.cls, k.features, k.nodes) for k in kernels(graph)] == expected


@pytest.mark.parametrize("graph", GRAPHS)
def test_predict_sums_each_kernels_model(graph) -> None:  # noqa: ANN001
    found = list(kernels(graph, TORCH_FUSION))
    models = {cls: ClassModel((1e-3 * (i + 1), 1e-8, 2e-7, 3e-7, 4e-8))
              for i, cls in enumerate(sorted({k.cls for k in found}))}
    profile = DeviceProfile("t", "torch", 1, {}, {}, "2026-11-30T00:00:00", Noise(0, 0, True),
                            models, NetworkCorrection(1.1, 0.003, 0.2), TORCH_FUSION)
    prediction = predict(graph, profile)
    each = [models[k.cls].ms(k.features) * 1.1 + 0.003 for k in found]
    assert prediction.kernels == len(found)
    assert prediction.total_ms == pytest.approx(sum(each) + 0.2, rel=1e-12)
    assert [prediction.nodes[k.nodes[0]] for k in found] == pytest.approx(each, rel=1e-12)
    assert all(prediction.nodes[n] == 0.0 for k in found for n in k.nodes[1:])
    assert predict(kernel_table(graph, TORCH_FUSION), profile) == prediction
    with pytest.raises(ValueError, match="other fusion rules"):
        predict(kernel_table(graph), profile)


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_every_kernel_belongs_to_a_top_level_block(spec: Path) -> None:
    """The blocks' figures sum to the total less the network constant: no kernel is lost
    between the prediction's blocks and the analysis' (nested blocks count in their parent)."""
    import archspec

    graph = run_file(str(spec)).variants[0].graph
    assert graph is not None
    found = {k.cls for k in kernels(graph, TORCH_FUSION)}
    profile = DeviceProfile("t", "torch", 1, {}, {}, "2026-11-30T00:00:00", Noise(0, 0, True),
                            {c: ClassModel((1.0, 0, 0, 0, 0)) for c in found},
                            NetworkCorrection(1.0, 0.0, 0.5), TORCH_FUSION)
    a = archspec.analyze(spec, device=profile)
    assert a.total.latency_ms is not None and a.latency is not None
    assert sum(b.latency_ms or 0.0 for b in a.blocks) == pytest.approx(a.total.latency_ms - 0.5)
    assert a.total.latency_ms == pytest.approx(a.latency.kernels + 0.5)
