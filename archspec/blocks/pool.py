"""``pool``: average or max pooling, windowed or global."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from archspec.blocks.base import (
    BlockModel,
    Family,
    NonNegInt,
    PosInt,
    ResolveContext,
    ResolvedBlock,
    register,
)
from archspec.core.shapes import conv_out

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class PoolSpec(BlockModel):
    """Average or max pooling; ``global: true`` pools the whole map to 1×1."""

    model_config = ConfigDict(populate_by_name=True)

    block: Literal["pool"]
    kind: Literal["avg", "max"] = "avg"
    global_: bool = Field(False, alias="global", description="Pool the whole map to 1×1.")
    k: PosInt = 2
    stride: PosInt | None = Field(None, description="Defaults to k, as PyTorch does.")
    padding: NonNegInt = 0
    ceil_mode: bool = False


@dataclass(frozen=True, kw_only=True)
class Pool(ResolvedBlock):
    family = "pool"
    kind: str
    global_: bool
    k: int
    stride: int
    padding: int
    ceil_mode: bool


def resolve_pool(spec: PoolSpec, ctx: ResolveContext) -> Pool | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    stride = spec.stride or spec.k
    if spec.global_:
        return Pool(in_shape=ctx.in_shape, out_shape=(ctx.in_ch, 1, 1), origin=ctx.origin,
                    kind=spec.kind, global_=True, k=hw[0], stride=1, padding=0, ceil_mode=False)
    if spec.padding > spec.k // 2:
        ctx.fail("E122", f"padding {spec.padding} exceeds half the kernel ({spec.k})", "padding",
                 expected=f"padding ≤ {spec.k // 2}")
        return None
    oh, ow = (conv_out(s, spec.k, stride, spec.padding, 1, spec.ceil_mode) for s in hw)
    if oh < 1 or ow < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} collapses below 1×1 (k={spec.k})", "k")
        return None
    return Pool(in_shape=ctx.in_shape, out_shape=(ctx.in_ch, oh, ow), origin=ctx.origin,
                kind=spec.kind, global_=False, k=spec.k, stride=stride, padding=spec.padding,
                ceil_mode=spec.ceil_mode)


def trace_pool(b: Pool, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("k", mode="kind"):
        return g.pool(x, "pool", mode=b.kind, k=b.k, stride=b.stride, padding=b.padding,
                      ceil_mode=b.ceil_mode, global_pool=b.global_)


def shape_pool(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(in, 1, 1) when global, else (in, H', W') from ``k``, ``stride``, ``padding`` and
    ``ceil_mode`` (see Family.shape)."""
    if ctx.in_hw is None or "global_" not in f:
        return None
    if f["global_"]:
        return (ctx.in_ch, 1, 1)
    if not {"k", "padding", "ceil_mode"} <= f.keys() or "stride" not in f \
            or f["padding"] > f["k"] // 2:
        return None
    stride = f["stride"] or f["k"]
    hw = [conv_out(s, f["k"], stride, f["padding"], 1, f["ceil_mode"]) for s in ctx.in_hw]
    return (ctx.in_ch, *hw) if min(hw) >= 1 else None


EXAMPLE = """\
- {block: pool, kind: max, k: 3, stride: 2, padding: 1}
"""

POOL = register(Family("pool", PoolSpec, resolve_pool, trace_pool, Pool, "avg/max pooling",
                       shape=shape_pool, example=EXAMPLE))
