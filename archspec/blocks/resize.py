"""``resize``: bilinear or nearest interpolation of the map to another size (torch's
``F.interpolate``): by a ``scale`` (output ⌊H·scale⌋ × ⌊W·scale⌋, PyTorch's rule) or to a
``size``. Its op counts no multiply-accumulates (decision 0031: FlopCounterMode counts none) and
the input and output maps as memory access."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    BlockModel,
    Family,
    ResolveContext,
    ResolvedBlock,
    register,
)
from archspec.diagnostics import show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor

Side = Annotated[int, Field(ge=1, le=65536)]


class ResizeSpec(BlockModel):
    """Interpolation of the map: one of ``scale`` and ``size``."""

    block: Literal["resize"]
    scale: Annotated[float, Field(gt=0, le=64)] | None = Field(
        None, description="Scale factor of H and W: the output is ⌊H·scale⌋ × ⌊W·scale⌋.")
    size: Side | Annotated[list[Side], Field(min_length=2, max_length=2)] | None = Field(
        None, description="Output size: one int for a square, or [H, W].")
    mode: Literal["nearest", "bilinear"] = Field("nearest", description="Interpolation.")
    align_corners: bool = Field(
        False, description="Bilinear only: align the corner pixels' centres (torch's "
        "`align_corners`).")


@dataclass(frozen=True, kw_only=True)
class Resize(ResolvedBlock):
    family = "resize"
    scale: float | None  # the module interpolates by it when written (torch's own coordinates)
    mode: str
    align_corners: bool


def _out_hw(hw: tuple[int, int], scale: float | None, size: Any) -> tuple[int, int]:
    if scale is not None:
        return (math.floor(hw[0] * scale), math.floor(hw[1] * scale))
    return (size, size) if isinstance(size, int) else (size[0], size[1])


def resolve(spec: ResizeSpec, ctx: ResolveContext) -> Resize | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    if (spec.scale is None) == (spec.size is None):
        both = spec.scale is not None
        ctx.fail("E153", "sets both `scale` and `size`" if both else
                 "needs one of `scale` and `size`", "size" if both else None,
                 fix="keep one" if both else
                 "write `scale: 2` (a factor) or `size: [H, W]` (the output size)")
        return None
    if spec.align_corners and spec.mode == "nearest":
        ctx.fail("E153", "`align_corners` applies to bilinear interpolation only",
                 "align_corners", fix="drop `align_corners`, or write `mode: bilinear`")
        return None
    out = _out_hw(hw, spec.scale, spec.size)
    if min(out) < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} × {show_figure(spec.scale or 0)} "
                 f"collapses below 1×1", "scale", fix="raise the scale")
        return None
    return Resize(in_shape=ctx.in_shape, out_shape=(ctx.in_ch, *out), origin=ctx.origin,
                  scale=spec.scale, mode=spec.mode, align_corners=spec.align_corners)


def trace(b: Resize, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("scale", "size", mode="mode"):
        return g.resize(x, "resize", b.out_hw, mode=b.mode, align_corners=b.align_corners)


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(C, H', W') from ``scale`` or ``size`` (see Family.shape)."""
    scale, size = f.get("scale"), f.get("size")
    if ctx.in_hw is None or (scale is None) == (size is None):
        return None
    out = _out_hw(ctx.in_hw, scale, size)
    return (ctx.in_ch, *out) if min(out) >= 1 else None


EXAMPLE = """\
- {block: resize, scale: 2, mode: bilinear}
- {block: resize, size: [20, 24]}
"""

FAMILY = register(Family("resize", ResizeSpec, resolve, trace, Resize,
                         "interpolation to another size", shape=shape, example=EXAMPLE))
