"""``conv``: a convolution with optional norm and activation (torchvision's Conv2dNormActivation).

A list of kernel sizes makes it a mixed convolution (MixConv, Tan and Le, BMVC 2019): the
channels are cut into one piece per kernel (:func:`split_channels`: equal pieces, the remainder
to the first), each piece convolved with its own kernel, the outputs concatenated. The pieces
are resolved here once (:func:`mix_pieces`) and serve every family with a mixed conv (mmb's
``dw_k`` list, ``expand_split``, ``proj_split``): :func:`trace_conv` traces them as split → one
conv per piece → concat, :class:`archspec.nn.conv.MixedConv` computes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

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
from archspec.core.shapes import conv_out, split_channels

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


#: A kernel size, or a mixed conv's list of them (one per channel piece, at most 64).
Kernels = PosInt | Annotated[list[PosInt], Field(min_length=1, max_length=64)]


class ConvSpec(BlockModel):
    """conv → norm → act. Padding is ``k // 2 · dilation`` (same size at stride 1)."""

    block: Literal["conv"]
    out: Width = Field(description="Output channels (scaled by the width multiplier).")
    k: Kernels = Field(1, description="Kernel size k×k; a list [3, 5, 7] is a "
                                     "mixed conv (MixConv): the channels split into one piece "
                                     "per kernel, equal pieces with the remainder to the "
                                     "first, outputs concatenated. [k] is k.")
    stride: PosInt = 1
    groups: Groups = Field(1, description="Channel groups; in and out must both divide by it. "
                           "A number is absolute (not scaled by `width:`); `depthwise` is one "
                           "group per input channel, after scaling.")
    dilation: PosInt = 1
    bias: bool = False
    norm: NormField = Field("bn", description="Norm after the conv: bn, ln, none or {type, eps, momentum}.")
    act: ActName = "relu"


@dataclass(frozen=True, kw_only=True)
class ConvPiece:
    """One piece of a mixed conv: ``in_ch`` → ``out`` channels, k×k, its padding and groups."""

    in_ch: int
    out: int
    k: int
    padding: int
    groups: int


#: The pieces of a mixed conv in channel order; empty for a plain conv.
Mix = tuple[ConvPiece, ...]


@dataclass(frozen=True, kw_only=True)
class Conv(ResolvedBlock):
    family = "conv"
    k: int | tuple[int, ...]  # a tuple (two or more kernels): a mixed conv, see ``mix``
    stride: int
    padding: int | tuple[int, ...]
    groups: int
    dilation: int
    bias: bool
    norm: Norm
    act: str
    mix: Mix = ()


def kernels(k: int | list[int]) -> int | tuple[int, ...]:
    """A written kernel size as resolved: an int, or a tuple of two or more (``[k]`` is ``k``)."""
    if isinstance(k, int):
        return k
    return k[0] if len(k) == 1 else tuple(k)


def mix_pieces(ctx: ResolveContext, field: str, *, in_ch: int, out: int, k: tuple[int, ...],
               dilation: int, depthwise: bool, hw: tuple[int, ...] | None, stride: int) -> Mix | None:
    """The pieces of a mixed conv (``k`` one kernel per piece), or None after a located E155:
    a piece without channels, a depthwise piece whose input width does not divide its output
    width, kernels that disagree on the output map size."""
    n = len(k)
    if min(in_ch, out) < n:
        ctx.fail("E155", f"{n} pieces need at least {n} input and output channels, got "
                 f"{in_ch}→{out}", field, fix="use fewer kernels or more channels")
        return None
    ins, outs = split_channels(in_ch, n), split_channels(out, n)
    if depthwise and any(o % i for i, o in zip(ins, outs, strict=True)):
        ctx.fail("E155", f"depthwise pieces {list(ins)}→{list(outs)}: each piece's output width "
                 "must be a multiple of its input width", field,
                 fix="make the output width equal the input width")
        return None
    if hw is not None:
        sizes = {tuple(conv_out(s, ki, stride, ki // 2 * dilation, dilation) for s in hw)
                 for ki in k}
        if len(sizes) > 1:
            ctx.fail("E155", f"kernels {list(k)} give different map sizes "
                     f"{' and '.join(f'{a}×{b}' for a, b in sorted(sizes))}", field,
                     fix="use only odd kernel sizes (or only even ones)")
            return None
    return tuple(ConvPiece(in_ch=i, out=o, k=ki, padding=ki // 2 * dilation,
                           groups=i if depthwise else 1)
                 for i, o, ki in zip(ins, outs, k, strict=True))


def trace_conv(g: GraphBuilder, x: Tensor, name: str, *, out: int, k: int | tuple[int, ...],
               stride: int, padding: int | tuple[int, ...], dilation: int, groups: int,
               bias: bool, mix: Mix) -> Tensor:
    """A conv, or a mixed conv's split → one conv per piece (``mix``) → concat."""
    if not mix:
        assert isinstance(k, int) and isinstance(padding, int), "a mixed conv without pieces"
        return g.conv(x, name, out=out, k=k, stride=stride, padding=padding, dilation=dilation,
                      groups=groups, bias=bias)
    xs = g.split(x, f"{name}.split", [p.in_ch for p in mix])
    ys = [g.conv(xi, f"{name}.{i}", out=p.out, k=p.k, stride=stride, padding=p.padding,
                 dilation=dilation, groups=p.groups, bias=bias)
          for i, (xi, p) in enumerate(zip(xs, mix, strict=True))]
    return g.concat(ys, f"{name}.concat")


def map_size(hw: tuple[int, ...], k: int | list[int], stride: int, dilation: int) -> list[int]:
    """H'×W' after a conv with kernel ``k`` (a mixed conv's first kernel: resolution checks
    that every kernel agrees)."""
    k0 = k if isinstance(k, int) else k[0]
    return [conv_out(s, k0, stride, k0 // 2 * dilation, dilation) for s in hw]


def resolve(spec: ConvSpec, ctx: ResolveContext) -> Conv | None:
    hw = ctx.spatial()
    out = ctx.width("out", spec.out, spec.scaling)
    k = kernels(spec.k)
    groups = spec.groups if isinstance(spec.groups, int) else ctx.in_ch  # depthwise
    mix: Mix = ()
    if isinstance(k, tuple):
        if groups not in (1, ctx.in_ch) or (groups != 1 and spec.groups != "depthwise"):
            ctx.fail("E155", f"a mixed conv (k: {list(k)}) takes groups 1 or depthwise, got "
                     f"{spec.groups}", "groups", fix="write `groups: depthwise` or drop `groups`")
            return None
        pieces = mix_pieces(ctx, "k", in_ch=ctx.in_ch, out=out, k=k, dilation=spec.dilation,
                            depthwise=spec.groups == "depthwise", hw=hw, stride=spec.stride)
        if pieces is None:
            return None
        mix = pieces
    elif spec.groups == "depthwise" and out % groups:
        ctx.fail("E141", f"groups: depthwise ({groups} groups, one per input channel) must divide "
                 f"output channels {out}", "groups", expected=f"out a multiple of {groups}",
                 fix="make `out` a multiple of the input width, or give `groups` a number")
        return None
    elif ctx.in_ch % groups or out % groups:
        note, depthwise = ctx.groups_note(groups, ctx.in_ch, "the channels", written=spec.out)
        ctx.fail("E141", f"groups={groups} must divide input channels {ctx.in_ch} and "
                 f"output channels {out}{note}", "groups",
                 fix=depthwise or "choose groups dividing both widths")
        return None
    if hw is None:
        return None
    oh, ow = map_size(hw, spec.k, spec.stride, spec.dilation)
    if oh < 1 or ow < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} collapses below 1×1 "
                 f"(k={spec.k}, stride={spec.stride})", "stride", fix="lower the stride or the input size")
        return None
    padding = (tuple(p.padding for p in mix) if isinstance(k, tuple)
               else k // 2 * spec.dilation)
    return Conv(in_shape=ctx.in_shape, out_shape=(out, oh, ow), origin=ctx.origin,
                k=k, stride=spec.stride, padding=padding, groups=groups,
                dilation=spec.dilation, bias=spec.bias, norm=resolve_norm(spec.norm), act=spec.act,
                mix=mix)


def trace(b: Conv, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("k", width="out"):
        x = trace_conv(g, x, "conv", out=b.out_ch, k=b.k, stride=b.stride, padding=b.padding,
                       dilation=b.dilation, groups=b.groups, bias=b.bias, mix=b.mix)
    with g.part("norm", operator="norm"):
        x = g.norm(x, "norm", b.norm)
    with g.part("act", operator="act"):
        return g.act(x, "act", b.act)


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H', W') from ``out``, ``k``, ``stride`` and ``dilation`` (see Family.shape)."""
    if ctx.in_hw is None or not {"out", "k", "stride", "dilation", "scaling"} <= f.keys():
        return None
    hw = map_size(ctx.in_hw, f["k"], f["stride"], f["dilation"])
    return (ctx.width("out", f["out"], f["scaling"]), *hw) if min(hw) >= 1 else None


EXAMPLE = """\
- {block: conv, out: 32, k: 3, stride: 2, act: relu6}       # 3×3, BN, ReLU6
- {block: conv, out: 32, k: 3, groups: depthwise}           # depthwise: one group per channel
- {block: conv, out: 32, k: [3, 5, 7], groups: depthwise}   # MixConv: pieces of 12, 10, 10
"""

FAMILY = register(Family("conv", ConvSpec, resolve, trace, Conv, "convolution + norm + act",
                         shape=shape, example=EXAMPLE))
