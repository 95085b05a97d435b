"""Mixed convolutions equal timm 1.0.31's: a ``conv`` with a kernel list against MixedConv2d, an
``mmb`` with a ``dw_k`` list and split 1×1 convs against InvertedResidual with kernel lists, on
widths that split unevenly (where a split 1×1 conv is not a grouped conv). State_dict shapes in
order (weights transfer by position), MACs and eval outputs after transfer."""

from __future__ import annotations

import pytest
from resolved_blocks import document

import archspec

from .conftest import randomise, relative_error

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")


def check(ref: torch.nn.Module, block: dict, in_ch: int, size: int = 15) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    doc = archspec.loads(archspec.dump(document(input_shape=(in_ch, size, size), stem=[block])))
    model = archspec.build(doc).eval()
    assert [v.shape for v in ref.state_dict().values()] == [
        v.shape for v in model.state_dict().values()]
    torch.manual_seed(0)
    archspec.transfer_weights(randomise(ref), model)
    x = torch.randn(2, in_ch, size, size)
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        ref(x[:1])
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-6
    assert counter.get_total_flops() == 2 * archspec.analyze(doc).total.macs


@pytest.mark.parametrize(("k", "depthwise", "out", "stride", "dilation"), [
    ([3, 5, 7], True, 22, 1, 1),
    ([3, 5, 7, 9], True, 22, 2, 1),
    ([3, 5], True, 44, 2, 2),       # two output channels per input channel in each piece
    ([1, 1], False, 13, 1, 1),      # a split 1×1: 11+11 → 7+6
    ([3, 5, 7], False, 10, 2, 1),
])
def test_a_kernel_list_is_timms_mixed_conv(k, depthwise, out, stride, dilation) -> None:
    from timm.layers.mixed_conv2d import MixedConv2d

    ref = torch.nn.Sequential(MixedConv2d(22, out, k, stride=stride, dilation=dilation,
                                          depthwise=depthwise))
    block = {"block": "conv", "out": out, "k": k, "stride": stride, "dilation": dilation,
             "norm": "none", "act": "none"}
    if depthwise:
        block["groups"] = "depthwise"
    check(ref, block, in_ch=22)


@pytest.mark.parametrize(("in_ch", "fields", "timm_args"), [
    # in 21, λ 3: mid make_divisible(63) = 64, out 23: every split uneven
    (21, {"dw_k": [3, 5, 7], "expand_split": 2, "proj_split": 2, "stride": 2},
     {"dw_kernel_size": [3, 5, 7], "exp_kernel_size": [1, 1], "pw_kernel_size": [1, 1],
      "stride": 2}),
    (21, {"dw_k": [5], "expand_split": 3},
     {"dw_kernel_size": [5], "exp_kernel_size": [1, 1, 1]}),
    # SE: timm squeezes mid to round(mid · 0.5/λ), round(in · 0.5) where mid = in · λ (16 · 3)
    (16, {"dw_k": [3, 5, 7, 9], "proj_split": 3, "se": 0.5},
     {"dw_kernel_size": [3, 5, 7, 9], "pw_kernel_size": [1, 1, 1], "se": 0.5}),
])
def test_mixed_mmb_is_timms_inverted_residual(in_ch: int, fields: dict, timm_args: dict) -> None:
    from functools import partial

    from timm.models._efficientnet_blocks import InvertedResidual, SqueezeExcite

    se = timm_args.pop("se", 0)
    ref = InvertedResidual(in_ch, 23, exp_ratio=3, act_layer=torch.nn.SiLU, noskip=True,
                           se_layer=partial(SqueezeExcite, rd_ratio=se / 3) if se else None,
                           **timm_args)
    block = {"block": "mmb", "out": 23, "exp": 3, "mid_round": "divisible", "skip": False,
             "expand_act": "silu", "dw_act": "silu", "se_base": "in", "se_act": "silu",
             **fields}
    check(ref, block, in_ch=in_ch)
