"""``shuffle``: the ShuffleNet V2 unit (Ma et al., ECCV 2018, Fig. 3c/3d).

Stride 1: split the channels, send one part through the branch (1×1 → dw k×k → 1×1), concat with
the untouched part, shuffle. Stride 2: both branches see the whole input (branch1: dw → 1×1), concat,
shuffle. The unit is the guidelines' own answer: equal widths (G1), no group conv (G2), few
fragments (G3), and the element-wise add replaced by a concat (G4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    EXACT_INT,
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
from archspec.diagnostics import show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class ShuffleSpec(BlockModel):
    """ShuffleNet V2 unit."""

    block: Literal["shuffle"]
    out: Width
    stride: Annotated[Literal[1, 2], EXACT_INT] = 1
    split: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.5, description="Share of channels that bypass the branch (stride 1) / go to branch1 (stride 2).")
    groups: Width = Field(2, description="Channel shuffle groups.")
    dw_k: PosInt = 3
    norm: NormField = "bn"
    act: ActName = "relu"


@dataclass(frozen=True, kw_only=True)
class Shuffle(ResolvedBlock):
    family = "shuffle"
    stride: int
    keep: int  # stride 1: channels passed through; stride 2: branch1's output width
    branch_in: int  # branch2 input width
    branch_out: int  # branch2 output (and inner) width
    groups: int
    dw_k: int
    norm: Norm
    act: str


def resolve(spec: ShuffleSpec, ctx: ResolveContext) -> Shuffle | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    in_ch = ctx.in_ch
    out = ctx.width("out", spec.out, spec.scaling)
    if spec.stride == 1:
        keep_f, branch_in = in_ch * spec.split, in_ch - int(in_ch * spec.split)
        odd, what = keep_f != int(keep_f), f"input channels {in_ch}"
    else:
        keep_f, branch_in = out * spec.split, in_ch
        odd, what = keep_f != int(keep_f), f"output channels {out}"
    keep = int(keep_f)
    if odd:
        ctx.fail("E142", f"{what} cannot be split by {show_figure(spec.split)} into whole channels",
                 "out" if spec.stride == 2 else "split", fix="use an even channel count")
        return None
    branch_out = out - keep
    if keep < 1 or branch_out < 1:
        ctx.fail("E142", f"split {show_figure(spec.split)} leaves an empty branch ({in_ch}→{out})", "split")
        return None
    if out % spec.groups:
        ctx.fail("E142", f"channel shuffle needs out ({out}) divisible by groups={spec.groups}",
                 "groups")
        return None
    if spec.dw_k % 2 == 0:
        ctx.fail("E145", f"dw_k={spec.dw_k}: an even kernel changes the branch's map size, so "
                 "it cannot be concatenated with the bypass", "dw_k", expected="an odd dw_k",
                 fix=f"use dw_k: {spec.dw_k + 1}")
        return None
    pad = spec.dw_k // 2
    out_hw = tuple(conv_out(s, spec.dw_k, spec.stride, pad) for s in hw)
    if min(out_hw) < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} collapses below 1×1", "stride")
        return None
    return Shuffle(in_shape=ctx.in_shape, out_shape=(out, *out_hw), origin=ctx.origin,
                   stride=spec.stride, keep=keep, branch_in=branch_in, branch_out=branch_out,
                   groups=spec.groups, dw_k=spec.dw_k, norm=resolve_norm(spec.norm),
                   act=spec.act)


def trace(b: Shuffle, g: GraphBuilder, x: Tensor) -> Tensor:
    if b.stride == 1:
        with g.part("split"):
            left, right = g.split(x, "split", [b.keep, b.branch_in])
    else:
        left = _pw(b, g, _dw(b, g, x, "branch1", b.in_ch), "branch1.pw", b.keep)
        right = x
    y = _pw(b, g, right, "branch2.pw1", b.branch_out)
    y = _pw(b, g, _dw(b, g, y, "branch2", b.branch_out), "branch2.pw2", b.branch_out)
    with g.part("out"):
        x = g.concat([left, y], "concat")
    with g.part("groups"):
        return g.shuffle(x, "shuffle", b.groups)


def _dw(b: Shuffle, g: GraphBuilder, x: Tensor, branch: str, ch: int) -> Tensor:
    """A branch's depthwise k×k conv (it carries the unit's stride) and its norm, no activation."""
    with g.part("dw_k", width="out"):
        x = g.conv(x, f"{branch}.dw", out=ch, k=b.dw_k, stride=b.stride, padding=b.dw_k // 2,
                   groups=ch)
    with g.part("norm", operator="norm"):
        return g.norm(x, f"{branch}.dw_norm", b.norm)


def _pw(b: Shuffle, g: GraphBuilder, x: Tensor, name: str, out: int) -> Tensor:
    """A 1×1 conv with its norm and activation."""
    with g.part("out"):
        x = g.conv(x, name, out=out)
    with g.part("norm", operator="norm"):
        x = g.norm(x, f"{name}_norm", b.norm)
    with g.part("act", operator="act"):
        return g.act(x, f"{name}_act", b.act)


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H', W') from ``out``, ``stride`` and ``dw_k`` (see Family.shape)."""
    if ctx.in_hw is None or not {"out", "stride", "dw_k", "scaling"} <= f.keys() \
            or f["dw_k"] % 2 == 0:  # an even kernel: the branches cannot be concatenated
        return None
    hw = [conv_out(s, f["dw_k"], f["stride"], f["dw_k"] // 2) for s in ctx.in_hw]
    return (ctx.width("out", f["out"], f["scaling"]), *hw) if min(hw) >= 1 else None


EXAMPLE = """\
- {block: shuffle, out: 48, stride: 2}
- {block: shuffle, out: 48}
"""

FAMILY = register(Family("shuffle", ShuffleSpec, resolve, trace, Shuffle, "ShuffleNet V2 unit",
                         shape=shape, example=EXAMPLE))
