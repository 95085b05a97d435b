"""ONNX Runtime micro-kernels: every op of real traced graphs becomes a valid model that ORT
runs at the op's shapes; fusion probing reads ORT's optimised graph."""

from __future__ import annotations

import math

import pytest

ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from archspec.calibrate import nets, ort_kernels, ort_runner  # noqa: E402
from archspec.graph.op import Op, OpKind  # noqa: E402
from archspec.latency.kernels import kernel_class  # noqa: E402


def _run(model) -> list:
    session = ort.InferenceSession(model.SerializeToString(),
                                   ort_runner.session_options(1),
                                   providers=["CPUExecutionProvider"])
    feed = {i.name: np.random.default_rng(0).standard_normal(i.shape, dtype=np.float32)
            for i in session.get_inputs()}
    return session.run(None, feed)


def test_every_kernel_of_real_graphs_is_a_model_ort_runs(small_nets):
    ops = ort_kernels.unique_ops(nets.all_ops(small_nets))
    assert {"norm.ln", "copy", "matmul", "shuffle", "pad", "crop", "view"} <= {
        kernel_class(op) for op in ops}
    _run_all(ops)


def _run_all(ops: list[Op]) -> None:
    for op in ops:
        (y,) = _run(ort_kernels.kernel_model(op))
        assert y.size == math.prod(op.out_shape), op.name
        assert tuple(y.shape)[-len(op.out_shape):] == op.out_shape, op.name


def test_every_kernel_of_a_resized_transformer_is_a_model_ort_runs(transformer_ops):
    ops = ort_kernels.unique_ops(transformer_ops)
    assert "resize" in {kernel_class(op) for op in ops}
    _run_all(ops)


def test_the_se_mean_and_a_pool_layer_are_different_kernels():
    pool = Op(OpKind.POOL, "p", ((8, 4, 4),), (8, 1, 1), {"mode": "avg", "global_pool": True,
                                                          "k": 4})
    from archspec.graph.op import OpOrigin

    se = Op(OpKind.POOL, "b.se.pool", pool.in_shapes, pool.out_shape, pool.attrs,
            origin=OpOrigin(block="b", field="se"))
    assert len(ort_kernels.unique_ops([pool, se])) == 2
    types = [[n.op_type for n in ort_kernels.kernel_model(op).graph.node] for op in (pool, se)]
    assert types == [["GlobalAveragePool", "Identity"], ["ReduceMean", "Identity"]]


def test_visit_means_drop_warmup_and_settle_runs():
    # warmup 1, then visits of settle 1 + repeats 2: [w | s a a | s b b]
    runs = [9.0, 7.0, 1.0, 2.0, 7.0, 3.0, 5.0]
    assert ort_runner.profiled_visits(runs, warmup=1, settle=1, repeats=2) == [1.5, 4.0]


def test_node_times_leave_out_reorders(tmp_path):
    import json

    events = [
        {"cat": "Session", "name": "model_run", "ts": 100, "dur": 50},
        {"cat": "Node", "name": "conv_kernel_time", "ts": 110, "dur": 20,
         "args": {"op_name": "Conv"}},
        {"cat": "Node", "name": "r_kernel_time", "ts": 131, "dur": 9,
         "args": {"op_name": "ReorderOutput"}},
        {"cat": "Node", "name": "conv_fence_before", "ts": 105, "dur": 1,
         "args": {"op_name": "Conv"}},
        {"cat": "Session", "name": "model_run", "ts": 200, "dur": 50},
        {"cat": "Node", "name": "conv_kernel_time", "ts": 210, "dur": 25,
         "args": {"op_name": "Conv"}},
    ]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(events))
    assert ort_runner.node_times(str(path)) == [0.020, 0.025]


@pytest.mark.slow
def test_fusion_probe_reads_what_ort_merged(tmp_path):
    fusion = ort_kernels.detect_fusion(tmp_path, acts=("relu", "gelu"))
    conv = next(r for r in fusion.rules if r.into == "conv")
    # ORT's CPU provider runs Conv+Relu as one node (FusedConv / NCHWc conv with activation);
    # torch's exporter folds an eval BatchNorm into the conv; GELU stays a node of its own.
    assert conv.absorbs[:2] == ("norm.bn", "act.relu") and "act.gelu" not in conv.absorbs
    chains = {tuple(c["chain"]): c for c in fusion.details["chains"]}
    assert chains[("conv", "norm.bn", "act.gelu")]["optimised"][-1] == "Gelu"
    assert chains[("norm.ln",)]["exported"] == ["Transpose", "LayerNormalization", "Transpose"]


def test_weights_are_constants_ort_folds_into_initializers(tmp_path):
    import onnx

    conv = Op(OpKind.CONV, "c", ((16, 8, 8),), (32, 8, 8),
              {"k": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 1, "bias": True})
    model = ort_kernels.kernel_model(conv)
    assert len(model.SerializeToString()) < 1000  # 4,640 weights, none stored in the file
    opt = tmp_path / "opt.onnx"
    ort.InferenceSession(model.SerializeToString(),
                         ort_runner.session_options(1, optimized_path=str(opt)),
                         providers=["CPUExecutionProvider"])
    assert "ConstantOfShape" not in {n.op_type for n in onnx.load(str(opt)).graph.node}


def test_every_op_kind_that_runs_has_an_onnx_model():
    from archspec.latency.kernels import FREE_KINDS

    assert set(ort_kernels._NODES) == set(OpKind) - FREE_KINDS
