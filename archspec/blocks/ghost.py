"""``ghost``: the Ghost module of GhostNet (Han et al., CVPR 2020, §3.1, Fig. 2b).

A conv that makes only ``init = ⌈out / ratio⌉`` "intrinsic" maps, then derives the rest from them
with a cheap depthwise conv (``ratio − 1`` maps per intrinsic one), as timm's ``GhostModule``
builds it. The paper's s is ``ratio``, d is ``dw_k``. Data flow (per image, C = in, O = out)::

    y = act(norm(primary(x)))          # k×k conv, C→init, init = ⌈O/ratio⌉, the stride
    z = act(norm(cheap(y)))            # dw_k×dw_k depthwise, init→init·(ratio−1), groups init
    x = concat(y, z)[:O]               # init·ratio ≥ O channels; the first O are kept (a view)

The channels sliced away are still computed (timm computes them too): the analysis counts the
cheap conv at its full width. GhostNet's bottleneck is written with ``residual`` around two ghost
blocks (the second with ``act: none``); see specs/ghostnet.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    MAX_WIDTH,
    ActName,
    BlockModel,
    Family,
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


class GhostSpec(BlockModel):
    """The Ghost module: a primary conv to ⌈out/ratio⌉ channels, a cheap depthwise conv that
    derives ratio − 1 more from each, concatenated and cut to `out`."""

    block: Literal["ghost"]
    out: Width = Field(description="Output channels (scaled by the width multiplier).")
    ratio: Annotated[int, Field(ge=2, le=MAX_WIDTH)] = Field(
        2, description="The paper's s: the primary conv makes ⌈out/ratio⌉ channels, the cheap "
        "conv ratio − 1 per primary channel.")
    k: PosInt = Field(1, description="Kernel of the primary conv (padding k // 2).")
    dw_k: PosInt = Field(3, description="Kernel of the cheap depthwise conv (the paper's d; odd: "
                         "its output is concatenated with the primary conv's).")
    stride: PosInt = Field(1, description="Stride of the primary conv.")
    norm: NormField = Field("bn", description="Norm after both convs.")
    act: ActName = Field("relu", description="Activation after both convs (`none` for the "
                         "GhostNet bottleneck's second, linear, module).")


@dataclass(frozen=True, kw_only=True)
class Ghost(ResolvedBlock):
    family = "ghost"
    init: int  # primary conv's width: ⌈out / ratio⌉
    cheap: int  # cheap conv's width: init · (ratio − 1)
    ratio: int
    k: int
    dw_k: int
    stride: int
    norm: Norm
    act: str


def _out_hw(hw: tuple[int, int], k: int, stride: int) -> list[int]:
    """The map after the primary conv (padding k // 2); the cheap conv keeps it."""
    return [conv_out(n, k, stride, k // 2) for n in hw]


def resolve(spec: GhostSpec, ctx: ResolveContext) -> Ghost | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    out = ctx.width("out", spec.out, spec.scaling)
    if spec.dw_k % 2 == 0:
        ctx.fail("E156", f"the cheap conv's even kernel dw_k={spec.dw_k} (padding "
                 f"{spec.dw_k // 2}) grows the map by one, so it cannot be concatenated with the "
                 "primary conv's output", "dw_k", expected="an odd dw_k",
                 fix=f"use dw_k: {spec.dw_k + 1} or {spec.dw_k - 1}" if spec.dw_k > 2
                 else "use dw_k: 3 or 1")
        return None
    init = ceil(out / spec.ratio)
    return Ghost(in_shape=ctx.in_shape, out_shape=(out, *_out_hw(hw, spec.k, spec.stride)),
                 origin=ctx.origin, init=init, cheap=init * (spec.ratio - 1), ratio=spec.ratio,
                 k=spec.k, dw_k=spec.dw_k, stride=spec.stride, norm=resolve_norm(spec.norm),
                 act=spec.act)


def _norm_act(g: GraphBuilder, x: Tensor, name: str, b: Ghost) -> Tensor:
    with g.part("norm", operator="norm"):
        x = g.norm(x, f"{name}_norm", b.norm)
    with g.part("act", operator="act"):
        return g.act(x, f"{name}_act", b.act)


def trace(b: Ghost, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("k", width=("out", "ratio")):
        y = g.conv(x, "primary", out=b.init, k=b.k, stride=b.stride, padding=b.k // 2)
    y = _norm_act(g, y, "primary", b)
    with g.part("dw_k", width=("ratio", "out")):
        z = g.conv(y, "cheap", out=b.cheap, k=b.dw_k, padding=b.dw_k // 2, groups=b.init)
    z = _norm_act(g, z, "cheap", b)
    with g.part("ratio"):
        x = g.concat([y, z], "concat")
    if x.ch > b.out_ch:
        with g.part("out"):
            x = g.narrow(x, "slice", b.out_ch)
    return x


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H', W') from ``out``, ``k`` and ``stride`` (see Family.shape)."""
    if ctx.in_hw is None or not {"out", "k", "stride", "scaling"} <= f.keys():
        return None
    return (ctx.width("out", f["out"], f["scaling"]), *_out_hw(ctx.in_hw, f["k"], f["stride"]))


EXAMPLE = """\
- {block: ghost, out: 48}                           # 1×1 to 24, 3×3 depthwise makes 24 more
- {block: ghost, out: 24, act: none}                # linear: GhostNet's second module
- {block: ghost, out: 30, ratio: 4, k: 3, stride: 2}  # 8 primary + 24 cheap, first 30 kept
"""

FAMILY = register(Family("ghost", GhostSpec, resolve, trace, Ghost,
                         "Ghost module (primary conv + cheap depthwise conv)", shape=shape,
                         example=EXAMPLE))
