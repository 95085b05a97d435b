"""Modules built from resolved blocks against independent references, weights moved by position.

References: torchvision's MobileNetV2/V3 and ShuffleNetV2 blocks, and the independent EMO
reference in tests/reference (official state_dict order). Eval outputs must be bit-identical
(explicit attention) or within 1e-5 (SDPA). Blocks are written as spec mappings and resolved by
archspec's own loader and resolver; whole EMO is specs/emo.yaml.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import torch
from reference import emo_reference as emo
from resolved_blocks import resolve_block
from torch import nn
from torchvision.models import mobilenetv2, mobilenetv3, shufflenetv2

import archspec
from archspec.blocks.trace import trace
from archspec.nn import build_block, build_module, set_attention_impl, transfer_weights

from .conftest import SPECS

BN3 = {"type": "bn", "eps": 1e-3, "momentum": 0.01}
BN6 = {"type": "bn", "eps": 1e-6}
LN6 = {"type": "ln", "eps": 1e-6}


def emo_irmb(*, out: int, exp: float, norm: dict[str, Any], act: str, dw_k: int, stride: int = 1,
             attn: bool = False, first: bool = False, dim_head: int = 16, window: int = 7,
             se: float = 0.0) -> dict[str, Any]:
    """An EMO iRMB (reference_nets.md §1.3) written as an mmb block mapping."""
    d: dict[str, Any] = {
        "block": "mmb", "out": out, "exp": float(exp), "mid_round": "floor",
        "f": "attn" if attn else "dwconv", "dw_k": dw_k, "stride": stride,
        "pre_norm": norm, "expand_norm": "none", "expand_act": act, "expand_bias": True,
        "qkv_bias": True, "dw_norm": BN6, "dw_act": "silu", "proj_norm": "none",
        "proj_act": "none", "skip": not first, "dw_skip": not first,
        "se": float(se), "se_act": act,
    }
    if attn:
        d.update(partition="grid", window=window, dim_head=dim_head, attn_pre=True)
    return d


def randomized(module: nn.Module) -> nn.Module:
    """Random norm statistics, affines and biases on top of the reference's own (random) init,
    so eval parity is not trivially about ones and zeros."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 2.0)
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
            bias = getattr(m, "bias", None)
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm, nn.Conv2d, nn.Linear)) and bias is not None:
                bias.normal_(0, 0.2)
    return module.eval()


def check_parity(ours: nn.Module, ref: nn.Module, x: torch.Tensor, *, exact: bool = True):
    ref = randomized(ref)
    transfer_weights(ref.state_dict(), ours).eval()
    with torch.no_grad():
        expected, got = ref(x), ours(x)
    if exact:
        assert torch.equal(got, expected), (got - expected).abs().max()
    else:
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


# --------------------------------------------------------------------------- torchvision blocks


@pytest.mark.parametrize("inp,oup,stride,t", [(16, 16, 1, 6), (16, 24, 2, 6), (32, 16, 1, 1)])
def test_mobilenet_v2_block(inp, oup, stride, t):
    d = {"block": "mmb", "out": oup, "exp": float(t), "expand": t != 1, "stride": stride,
         "expand_act": "relu6", "dw_act": "relu6"}
    ours = build_block(resolve_block(d, (inp, 9, 11)))
    ref = mobilenetv2.InvertedResidual(inp, oup, stride, t)
    check_parity(ours, ref, torch.randn(2, inp, 9, 11))


@pytest.mark.parametrize("inp,k,exp,out,se,act,stride", [
    (16, 3, 16, 16, True, "RE", 2),  # V3-Small block 1: no expand conv, SE
    (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 240, 40, True, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
])
def test_mobilenet_v3_block(inp, k, exp, out, se, act, stride):
    cfg = mobilenetv3.InvertedResidualConfig(inp, k, exp, out, se, act, stride, 1, 1.0)
    ref = mobilenetv3.InvertedResidual(cfg, partial(nn.BatchNorm2d, eps=0.001, momentum=0.01))
    a = "hardswish" if act == "HS" else "relu"
    d = {"block": "mmb", "out": out, "mid": exp, "expand": exp != inp, "dw_k": k,
         "stride": stride, "expand_act": a, "dw_act": a, "expand_norm": BN3, "dw_norm": BN3,
         "proj_norm": BN3, "se": 0.25 if se else 0.0, "se_round": "divisible",
         "se_act": "relu", "se_gate": "hardsigmoid"}
    ours = build_block(resolve_block(d, (inp, 9, 11)))
    check_parity(ours, ref, torch.randn(2, inp, 9, 11))


@pytest.mark.parametrize("inp,oup,stride", [(24, 48, 2), (48, 48, 1)])
def test_shufflenet_v2_unit(inp, oup, stride):
    ours = build_block(resolve_block({"block": "shuffle", "out": oup, "stride": stride},
                                     (inp, 9, 11)))
    ref = shufflenetv2.InvertedResidual(inp, oup, stride)
    assert [tuple(t.shape) for t in ours.state_dict().values()] == [
        tuple(t.shape) for t in ref.state_dict().values()]
    check_parity(ours, ref, torch.randn(2, inp, 9, 11))


# --------------------------------------------------------------------------- EMO


def emo_block_pair(*, attn: bool, first: bool, norm: str, size: tuple[int, int]):
    in_ch, out = (48, 80) if first else (80, 80)
    d = emo_irmb(out=out, exp=6.0 if first else 3.0, norm=LN6 if norm == "ln_2d" else BN6,
                 act="gelu", dw_k=5, stride=2 if first else 1, attn=attn, first=first,
                 dim_head=20, window=4)
    ours = build_block(resolve_block(d, (in_ch, *size)))
    ref = emo.IRMB(in_ch, out, norm_in=True, has_skip=not first, exp=6.0 if first else 3.0,
                   norm=norm, act="gelu", v_proj=True, dw_k=5, stride=2 if first else 1, se=0.0,
                   dim_head=20, window=4, attn=attn, qkv_bias=True, attn_drop=0.0, drop=0.0,
                   drop_path=0.0, attn_pre=True)
    return ours, ref


@pytest.mark.parametrize("size", [(8, 8), (9, 11), (3, 3), (1, 1)])
@pytest.mark.parametrize("impl", ["explicit", "sdpa"])
def test_emo_attention_block(size, impl):
    ours, ref = emo_block_pair(attn=True, first=False, norm="ln_2d", size=size)
    set_attention_impl(ours, impl)
    check_parity(ours, ref, torch.randn(2, 80, *size), exact=impl == "explicit")


@pytest.mark.parametrize("norm", ["bn_2d", "ln_2d"])
def test_emo_downsampling_block(norm):
    ours, ref = emo_block_pair(attn=False, first=True, norm=norm, size=(9, 11))
    check_parity(ours, ref, torch.randn(2, 48, 9, 11))


def test_emo_stem_block_with_se():
    d = {"block": "mmb", "out": 24, "exp": 1.0, "expand": False, "dw_norm": BN6,
         "dw_act": "silu", "proj_norm": "none", "skip": False, "se": 1.0, "se_act": "silu"}
    ours = build_block(resolve_block(d, (24, 9, 11)))
    ref = emo.IRMB(
        24, 24, norm_in=False, has_skip=False, exp=1.0, norm="bn_2d", act="silu", v_proj=False,
        dw_k=3, stride=1, se=1.0, dim_head=16, window=7, attn=False, qkv_bias=True,
        attn_drop=0.0, drop=0.0, drop_path=0.0, attn_pre=True)
    check_parity(ours, ref, torch.randn(2, 24, 9, 11))


@pytest.mark.parametrize("variant", ["emo_1m", "emo_2m", "emo_5m", "emo_6m"])
def test_emo_network(variant):
    """Whole EMO: same state_dict length and shapes, bit-identical logits (explicit attention);
    224 px has 2×2 grids of windows in stage 3, 100 px pads stage 4's 4×4 map to 7×7."""
    net = archspec.resolve(archspec.load(SPECS / "emo.yaml"), variant)
    ours = build_module(net)
    ref = emo.emo_reference(variant)
    assert sum(p.numel() for p in ours.parameters()) == trace(net).totals().params == sum(
        p.numel() for p in ref.parameters())
    ref = randomized(ref)
    transfer_weights(ref.state_dict(), ours).eval()
    x = torch.randn(1, 3, 224, 224) if variant == "emo_1m" else torch.randn(2, 3, 100, 100)
    with torch.no_grad():
        expected = ref(x)
        explicit = set_attention_impl(ours, "explicit")(x)
        sdpa = set_attention_impl(ours, "sdpa")(x)
    assert torch.equal(explicit, expected), (explicit - expected).abs().max()
    torch.testing.assert_close(sdpa, expected, rtol=0, atol=1e-5 * expected.abs().max().item())
