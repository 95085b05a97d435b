"""``conv``: a convolution with optional norm and activation (torchvision's Conv2dNormActivation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    ActName,
    BlockModel,
    Family,
    Groups,
    NormField,
    PosInt,
    ResolveContext,
    ResolvedBlock,
    Width,
    register,
    resolve_norm,
)
from archspec.core.norm import Norm
from archspec.core.shapes import conv_out

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class ConvSpec(BlockModel):
    """conv → norm → act. Padding is ``k // 2 · dilation`` (same size at stride 1)."""

    block: Literal["conv"]
    out: Width = Field(description="Output channels (scaled by the width multiplier).")
    k: PosInt = Field(1, description="Kernel size k×k.")
    stride: PosInt = 1
    groups: Groups = Field(1, description="Channel groups; in and out must both divide by it. "
                           "A number is absolute (not scaled by `width:`); `depthwise` is one "
                           "group per input channel, after scaling.")
    dilation: PosInt = 1
    bias: bool = False
    norm: NormField = Field("bn", description="Norm after the conv: bn, ln, none or {type, eps, momentum}.")
    act: ActName = "relu"


@dataclass(frozen=True, kw_only=True)
class Conv(ResolvedBlock):
    family = "conv"
    k: int
    stride: int
    padding: int
    groups: int
    dilation: int
    bias: bool
    norm: Norm
    act: str


def resolve(spec: ConvSpec, ctx: ResolveContext) -> Conv | None:
    hw = ctx.spatial()
    out = ctx.width("out", spec.out, spec.scaling)
    groups = spec.groups if isinstance(spec.groups, int) else ctx.in_ch  # depthwise
    if spec.groups == "depthwise" and out % groups:
        ctx.fail("E141", f"groups: depthwise ({groups} groups, one per input channel) must divide "
                 f"output channels {out}", "groups", expected=f"out a multiple of {groups}",
                 fix="make `out` a multiple of the input width, or give `groups` a number")
        return None
    if ctx.in_ch % groups or out % groups:
        note, depthwise = ctx.groups_note(groups, ctx.in_ch, "the channels", written=spec.out)
        ctx.fail("E141", f"groups={groups} must divide input channels {ctx.in_ch} and "
                 f"output channels {out}{note}", "groups",
                 fix=depthwise or "choose groups dividing both widths")
        return None
    if hw is None:
        return None
    padding = spec.k // 2 * spec.dilation
    oh, ow = (conv_out(s, spec.k, spec.stride, padding, spec.dilation) for s in hw)
    if oh < 1 or ow < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} collapses below 1×1 "
                 f"(k={spec.k}, stride={spec.stride})", "stride", fix="lower the stride or the input size")
        return None
    return Conv(in_shape=ctx.in_shape, out_shape=(out, oh, ow), origin=ctx.origin,
                k=spec.k, stride=spec.stride, padding=padding, groups=groups,
                dilation=spec.dilation, bias=spec.bias, norm=resolve_norm(spec.norm), act=spec.act)


def trace(b: Conv, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("k", width="out"):
        x = g.conv(x, "conv", out=b.out_ch, k=b.k, stride=b.stride, padding=b.padding,
                   dilation=b.dilation, groups=b.groups, bias=b.bias)
    with g.part("norm", operator="norm"):
        x = g.norm(x, "norm", b.norm)
    with g.part("act", operator="act"):
        return g.act(x, "act", b.act)


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H', W') from ``out``, ``k``, ``stride`` and ``dilation`` (see Family.shape)."""
    if ctx.in_hw is None or not {"out", "k", "stride", "dilation", "scaling"} <= f.keys():
        return None
    pad = f["k"] // 2 * f["dilation"]
    hw = [conv_out(s, f["k"], f["stride"], pad, f["dilation"]) for s in ctx.in_hw]
    return (ctx.width("out", f["out"], f["scaling"]), *hw) if min(hw) >= 1 else None


EXAMPLE = """\
- {block: conv, out: 32, k: 3, stride: 2, act: relu6}       # 3×3, BN, ReLU6
- {block: conv, out: 32, k: 3, groups: depthwise}           # depthwise: one group per channel
"""

FAMILY = register(Family("conv", ConvSpec, resolve, trace, Conv, "convolution + norm + act",
                         shape=shape, example=EXAMPLE))
