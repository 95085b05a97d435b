"""``se``: squeeze-and-excitation on its input (Hu et al., CVPR 2018) as a block of its own.

mean over H, W → reduce (1×1, C→mid) → act → expand (1×1, mid→C) → gate → rescale the input.
The squeeze width ``mid`` is written (scaled by `width:` like any width), or a ``ratio`` of the
input width rounded by one of the rules timm's SE modules use (decision 0031)::

    round       round(C·ratio/exp)                        efficientnet_blocks.SqueezeExcite
    divisible   make_divisible(C·ratio/exp, divisor,      MobileNetV3 (8, 0.9), GhostNet (4, 0.9),
                               round_limit)               layers.SEModule (8, 0.0)
    floor       int(C·ratio/exp)

``exp`` is the expansion the input went through when the ratio is of the enclosing block's
input (timm's ``se_from_exp=False``: EfficientNet's 0.25 of the block input, on the expanded
width). A ratio follows the width multiplier, as it applies to the (scaled) input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    ActName,
    BlockModel,
    Family,
    PosInt,
    ResolveContext,
    ResolvedBlock,
    Width,
    register,
)
from archspec.blocks.squeeze_excite import trace_squeeze_excite
from archspec.core.shapes import make_divisible
from archspec.diagnostics import show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class SESpec(BlockModel):
    """Squeeze-and-excitation of the input: its width from ``ratio`` (default 0.25) or ``mid``."""

    block: Literal["se"]
    ratio: Annotated[float, Field(gt=0, le=4)] | None = Field(
        None, description="Squeeze width as a ratio of the input width, rounded by `round`; "
        "unset with `mid` unset: 0.25.")
    mid: Width | None = Field(
        None, description="Squeeze width, absolute (scaled by the width multiplier); "
        "excludes `ratio`.")
    exp: Annotated[float, Field(gt=0, le=64)] = Field(
        1.0, description="The ratio applies to input/exp: the expansion the input went "
        "through when the ratio is of the enclosing block's input (EfficientNet's SE: "
        "ratio 0.25, exp 6 on a width-6× input).")
    round: Literal["round", "divisible", "floor"] = Field(
        "round", description="How `ratio` becomes a width: round(w), "
        "make_divisible(w, divisor, round_limit) or int(w).")
    divisor: PosInt = Field(8, description="Divisor of `round: divisible`.")
    round_limit: Annotated[float, Field(ge=0, le=1)] = Field(
        0.9, description="`round: divisible` adds one divisor when the result is below "
        "round_limit·w (0.9: torchvision, MobileNetV3, GhostNet; 0: timm's SEModule).")
    act: ActName = Field("relu", description="Activation after the reduce conv.")
    gate: Literal["sigmoid", "hardsigmoid"] = Field("sigmoid", description="Gate of the SE.")
    bias: bool = Field(True, description="Biases on the two 1×1 convs.")


@dataclass(frozen=True, kw_only=True)
class SE(ResolvedBlock):
    family = "se"
    mid: int
    act: str
    gate: str
    bias: bool


def _round(spec: SESpec, value: float, expr: str) -> tuple[int, str]:
    """``value`` (computed as ``expr``) rounded by the block's rule, and the rule as text."""
    if spec.round == "round":
        return round(value), f"round({expr})"
    if spec.round == "floor":
        return int(value), f"int({expr})"
    limit = show_figure(spec.round_limit)
    return (make_divisible(value, spec.divisor, round_limit=spec.round_limit),
            f"make_divisible({expr}, {spec.divisor}, round_limit={limit})")


def resolve(spec: SESpec, ctx: ResolveContext) -> SE | None:
    if ctx.spatial() is None:
        return None
    if spec.mid is not None and spec.ratio is not None:
        ctx.fail("E148", "sets both `ratio` and `mid`; the squeeze width is one of them", "mid",
                 fix="keep `ratio` (relative to the input) or `mid` (absolute)")
        return None
    if spec.mid is not None:
        mid = ctx.width("mid", spec.mid, spec.scaling)
    else:
        ratio = 0.25 if spec.ratio is None else spec.ratio
        raw = ctx.in_ch * (ratio / spec.exp)  # timm's order: se_ratio /= exp, then C·se_ratio
        per = f"/{show_figure(spec.exp)}" if spec.exp != 1 else ""
        mid, rule = _round(spec, raw, f"{ctx.in_ch}×{show_figure(ratio)}{per}")
        if mid < 1:
            ctx.fail("E148", f"squeeze width {rule} is {mid}",
                     "ratio" if spec.ratio is not None else None,
                     fix="raise `ratio`, or write `mid:`")
            return None
        ctx.record("ratio", raw, mid, rule, exact=raw if math.isfinite(raw) else None,
                   instead="mid")
    return SE(in_shape=ctx.in_shape, out_shape=ctx.in_shape, origin=ctx.origin, mid=mid,
              act=spec.act, gate=spec.gate, bias=spec.bias)


def trace(b: SE, g: GraphBuilder, x: Tensor) -> Tensor:
    return trace_squeeze_excite(g, x, se_ch=b.mid, act=b.act, act_field="act", gate=b.gate,
                                bias=b.bias, field=("ratio", "mid"), gate_field="gate",
                                width=("mid", "ratio"))


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """The input's shape, on a feature map (see Family.shape)."""
    return ctx.in_shape if ctx.in_hw is not None else None


EXAMPLE = """\
- {block: se, ratio: 0.25}                          # round(16×0.25) = 4 (EfficientNet's rule)
- {block: se, ratio: 0.25, round: divisible, divisor: 4, gate: hardsigmoid}   # GhostNet's
- {block: se, mid: 8, act: silu}
"""

FAMILY = register(Family("se", SESpec, resolve, trace, SE, "squeeze-and-excitation",
                         shape=shape, example=EXAMPLE))
