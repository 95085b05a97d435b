"""Each family's module against its tracer: parameters, output shape, conv/linear/matmul FLOPs."""

from __future__ import annotations

import pytest
import torch
from resolved_blocks import resolve_block
from torch.utils.flop_counter import FlopCounterMode

from archspec.blocks.trace import trace_block
from archspec.graph.builder import GraphBuilder
from archspec.nn import build_block, set_attention_impl

BN3 = {"type": "bn", "eps": 1e-3, "momentum": 0.01}
ATTN = {"block": "mmb", "f": "attn", "window": 4, "dim_head": 8, "pre_norm": "ln",
        "expand_act": "gelu", "qkv_bias": True}

CASES: dict[str, tuple[dict, tuple[int, ...]]] = {
    "conv": ({"block": "conv", "out": 16, "k": 3, "stride": 2}, (8, 9, 11)),
    "conv_grouped": ({"block": "conv", "out": 16, "k": 3, "groups": 4, "dilation": 2,
                      "bias": True, "norm": "ln", "act": "hardswish"}, (8, 9, 11)),
    "mmb_v2": ({"block": "mmb", "out": 16, "exp": 6.0, "expand_act": "relu6",
                "dw_act": "relu6", "stride": 2}, (16, 9, 11)),
    "mmb_v3_se": ({"block": "mmb", "out": 24, "mid": 72, "dw_k": 5, "se": 0.25,
                   "se_round": "divisible", "se_gate": "hardsigmoid", "expand_act": "hardswish",
                   "dw_act": "hardswish", "expand_norm": BN3, "dw_norm": BN3, "proj_norm": BN3},
                  (24, 9, 11)),
    "mmb_no_expand": ({"block": "mmb", "out": 16, "exp": 1.0, "expand": False, "se": 1.0,
                       "se_act": "silu"}, (16, 8, 8)),
    "mmb_ffn": ({"block": "mmb", "out": 16, "exp": 4.0, "f": "ffn", "pre_norm": "ln",
                 "expand_act": "gelu_tanh", "proj_bias": True}, (16, 8, 8)),
    "mmb_grouped_dilated": ({"block": "mmb", "out": 32, "exp": 2.0, "groups": 4, "dilation": 2,
                             "post_act": "relu", "expand_bias": True}, (16, 9, 11)),
    "mmb_attn_grid_pre": ({**ATTN, "out": 16, "exp": 2.0, "partition": "grid", "attn_pre": True,
                           "dw_skip": True}, (16, 9, 11)),
    "mmb_attn_local_post": ({**ATTN, "out": 16, "exp": 3.0, "partition": "local",
                             "attn_pre": False, "se": 0.25}, (16, 9, 11)),
    "mmb_attn_global": ({**ATTN, "out": 24, "exp": 2.0, "partition": "global"}, (16, 5, 7)),
    "mmb_attn_vgroup": ({**ATTN, "out": 16, "exp": 2.0, "partition": "grid", "v_group": True},
                        (16, 8, 8)),
    "mmb_attn_no_expand": ({**ATTN, "out": 16, "exp": 1.0, "expand": False,
                            "partition": "local"}, (16, 8, 8)),
    "shuffle_s1": ({"block": "shuffle", "out": 32}, (32, 8, 8)),
    "shuffle_s2": ({"block": "shuffle", "out": 48, "stride": 2, "dw_k": 5}, (24, 9, 11)),
    "shuffle_split": ({"block": "shuffle", "out": 32, "split": 0.25, "groups": 4,
                       "act": "hardswish"}, (32, 8, 8)),
    "pool_max": ({"block": "pool", "kind": "max", "k": 3, "stride": 2, "padding": 1},
                 (8, 9, 11)),
    "pool_avg_ceil": ({"block": "pool", "k": 2, "ceil_mode": True}, (8, 9, 11)),
    "pool_global_avg": ({"block": "pool", "global": True}, (8, 9, 11)),
    "pool_global_max": ({"block": "pool", "kind": "max", "global": True}, (8, 9, 11)),
    "norm_bn": ({"block": "norm", "norm": "bn"}, (8, 9, 11)),
    "norm_ln": ({"block": "norm", "norm": {"type": "ln", "eps": 1e-6}}, (8, 9, 11)),
    "act": ({"block": "act", "act": "gelu"}, (8, 9, 11)),
    "dropout": ({"block": "dropout", "p": 0.2}, (8, 9, 11)),
    "linear_flatten": ({"block": "linear", "out": 10}, (16, 1, 1)),
    "linear_vector": ({"block": "linear", "out": 12, "bias": False, "act": "relu"}, (16,)),
    "parallel_concat": ({"block": "parallel", "branches": [
        [{"block": "conv", "out": 8}],
        [{"block": "conv", "out": 4, "k": 3}, {"block": "conv", "out": 8, "k": 3}],
        [{"block": "pool", "kind": "max", "k": 3, "stride": 1, "padding": 1}]]}, (8, 9, 11)),
    "parallel_add": ({"block": "parallel", "merge": "add", "branches": [
        [{"block": "conv", "out": 8, "k": 3, "act": "none"}], []]}, (8, 9, 11)),
}


def _graph_totals(block):
    g = GraphBuilder(block.in_shape)
    y = trace_block(block, g, g.input)
    return g.finish(y).totals()


@pytest.mark.parametrize("case", sorted(CASES))
def test_module_matches_trace(case):
    d, in_shape = CASES[case]
    block = resolve_block(d, in_shape)
    module = set_attention_impl(build_block(block), "explicit").eval()
    totals = _graph_totals(block)
    assert sum(p.numel() for p in module.parameters()) == totals.params
    x = torch.randn(2, *in_shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(x)
    assert tuple(y.shape) == (2, *block.out_shape)
    assert counter.get_total_flops() == 2 * 2 * totals.macs  # batch 2, 2 FLOPs per MAC


@pytest.mark.parametrize("case", ["mmb_attn_grid_pre", "mmb_ffn", "shuffle_split", "conv"])
def test_train_mode_backward(case):
    d, in_shape = CASES[case]
    module = build_block(resolve_block(d, in_shape)).train()
    x = torch.randn(2, *in_shape, requires_grad=True)
    module(x).square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in module.parameters())
