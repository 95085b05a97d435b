"""Eager torch kernels: every op of real traced graphs has a call of its shapes; dedupe; one
tiny timing pass through the real path (no assertion on the times themselves)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from archspec.calibrate import nets  # noqa: E402
from archspec.calibrate import torch_kernels as tk  # noqa: E402
from archspec.graph.op import Op, OpKind  # noqa: E402
from archspec.latency.kernels import features, kernel_class  # noqa: E402


def test_every_kernel_of_real_graphs_runs_at_its_shapes(small_nets):
    ops = tk.unique_ops(nets.all_ops(small_nets))
    classes = {kernel_class(op) for op in ops}
    # the classes these families have (the ones each op of the table in the module covers)
    for expected in ("conv.pw", "conv.dw.k3", "conv.dw.k5.s2", "conv.k3.s2", "norm.bn",
                     "norm.ln", "act.gelu", "act.silu", "act.hardswish", "add", "mul",
                     "mul.scalar", "matmul", "softmax", "copy", "pad", "crop",
                     "pool.avg.global", "pool.max", "concat", "shuffle", "linear", "view"):
        assert expected in classes, expected
    _run_all(ops)


def _run_all(ops: list[Op]) -> None:
    with torch.inference_mode():
        for op in ops:
            bench = tk.op_bench(op)
            if bench.prepare is not None:
                bench.prepare()
            y = bench.run()
            assert y.numel() == math.prod(op.out_shape), op.name
            assert tuple(y.shape)[-len(op.out_shape):] == op.out_shape, op.name


def test_every_kernel_of_a_resized_transformer_runs(transformer_ops):
    ops = tk.unique_ops(transformer_ops)
    assert "resize" in {kernel_class(op) for op in ops}
    _run_all(ops)


def test_inplace_act_restores_its_input():
    op = Op(OpKind.ACT, "a", ((4, 3, 3),), (4, 3, 3), {"type": "silu"})
    bench = tk.op_bench(op)
    assert bench.prepare is not None  # in place (not the act family): input restored
    bench.prepare()
    first = bench.run().clone()
    for _ in range(3):
        bench.prepare()
        y = bench.run()
    assert torch.equal(y, first)


def test_graph_ends_and_dropout_run_no_kernel():
    op = Op(OpKind.DROPOUT, "d", ((4, 3, 3),), (4, 3, 3), {"p": 0.1})
    assert tk.unique_ops([op]) == []
    with pytest.raises(ValueError):
        tk.op_bench(op)


def test_a_split_piece_is_a_view_of_its_input():
    op = Op(OpKind.SPLIT, "s", ((4, 3, 3),), (2, 3, 3), {"start": 2})
    assert tk.unique_ops([op]) == [op]
    y = tk.op_bench(op).run()
    assert tuple(y.shape) == (1, 2, 3, 3) and y._is_view()


def test_unique_ops_keeps_one_per_kernel(small_nets):
    ops = nets.all_ops(small_nets)
    uniq = tk.unique_ops(ops)
    assert len(uniq) < len([o for o in ops if kernel_class(o) is not None])
    assert tk.unique_ops(uniq) == uniq  # already distinct
    assert tk.unique_ops(ops + ops) == uniq  # first seen first


def test_time_kernels_gives_one_record_per_distinct_kernel(small_nets):
    ops = tk.unique_ops(small_nets[1].graph.ops())[:12]
    timed = tk.time_kernels(ops + ops, threads=1, repeats=1, rounds=2, warmup=0)
    assert [t.cls for t in timed] == [kernel_class(op) for op in ops]
    assert [t.features for t in timed] == [features(op) for op in ops]
    assert all(t.ms > 0 and t.iqr >= 0 for t in timed)


def test_time_networks_fills_class_totals(small_nets):
    net = small_nets[1]
    (timed,) = tk.time_networks([net], threads=1, repeats=1, rounds=1, warmup=0)
    ops = [op for op in net.ops() if kernel_class(op) not in (None,)]
    assert timed.name == net.name and timed.ms > 0
    assert timed.kernels == len(ops)
    conv_pw = [op for op in ops if kernel_class(op) == "conv.pw"]
    assert timed.totals["conv.pw"][1] == sum(op.macs for op in conv_pw)
    assert timed.totals["conv.pw"][0] == len(conv_pw)


def test_time_blocks_gives_every_top_level_block_its_kernels(small_nets):
    net = small_nets[1]
    blocks = tk.time_blocks([net], threads=1, repeats=1, rounds=1, warmup=0)
    running = {op.origin.top for op in net.ops() if kernel_class(op) is not None}
    paths = [b.path for b in net.net.blocks if b.path in running]  # not the head's dropout
    assert len(paths) == len(net.net.blocks) - 1
    assert [b.name for b in blocks] == [f"{net.name}/{p}" for p in paths]
    assert sum(b.kernels for b in blocks) == len(
        [op for op in net.ops() if kernel_class(op) is not None])
    assert all(b.ms > 0 for b in blocks)
    stem = net.net.blocks[0]
    stem_convs = [op for op in net.ops() if op.origin.top == stem.path
                  and kernel_class(op) == "conv.k3.s2"]
    assert blocks[0].totals["conv.k3.s2"][1] == sum(op.macs for op in stem_convs)


def test_attention_chains_are_the_sdpa_calls_a_built_network_makes():
    """Eager torch runs each traced q·kᵀ → scale → softmax → ·v chain as one
    scaled_dot_product_attention: the chains found in EMO-1M's graph are exactly the calls its
    built module makes, shape for shape, and each chain's bench runs at those shapes."""
    from pathlib import Path

    import torch.nn.functional as F

    from archspec.latency.kernels import TORCH_FUSION, kernels
    from archspec.nn.build import build_module

    emo = nets.from_files([Path(__file__).parents[2] / "specs" / "emo.yaml"])
    net = next(n for n in emo if n.name.endswith("emo_1m"))
    chains = [tuple(net.graph.op_of[i] for i in k.nodes)
              for k in kernels(net.graph, TORCH_FUSION) if k.cls == "attention"]
    calls: list[tuple[tuple[int, ...], ...]] = []
    real = F.scaled_dot_product_attention

    def spy(q, k, v, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append((tuple(q.shape), tuple(k.shape), tuple(v.shape)))
        return real(q, k, v, *args, **kwargs)

    model = build_module(net.net).eval()
    F.scaled_dot_product_attention = spy
    try:
        with torch.inference_mode():
            model(torch.randn(1, *net.net.input_shape))
    finally:
        F.scaled_dot_product_attention = real
    assert calls and len(calls) == len(chains)
    for (q, k, v), chain in zip(calls, chains, strict=True):
        scores, _, _, apply = chain
        assert q[-2:] == scores.in_shapes[0][-2:]
        assert k[-2:] == (scores.in_shapes[1][-1], scores.in_shapes[1][-2])  # kᵀ traced
        assert v[-2:] == apply.in_shapes[1][-2:]
        assert math.prod(q) == math.prod(scores.in_shapes[0])
    unique = tk.attention_chains([net.graph])
    with torch.inference_mode():
        for chain in unique:
            out = tk.attention_bench(chain).run()
            assert math.prod(out.shape) == math.prod(chain[-1].out_shape)
    timed = tk.time_attention(unique[:2], repeats=1, rounds=1, warmup=0)
    assert [t.cls for t in timed] == ["attention"] * len(timed)
    assert all(t.features[0] == 1.0 and t.features[1] == sum(o.macs for o in c)
               for t, c in zip(timed, unique, strict=False))


def test_every_op_kind_that_runs_has_a_torch_kernel():
    from archspec.latency.kernels import FREE_KINDS

    assert set(tk._MAKERS) == set(OpKind) - FREE_KINDS
