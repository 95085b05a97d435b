"""``residual``: a residual connection around a group of blocks (ResNet's identity shortcut).

The branch is a list of ordinary blocks (``blocks:``), resolved and traced in turn like a
``parallel`` branch; the shortcut is the identity, or a list of blocks of its own (a projection:
GhostNet's strided depthwise conv + BN, then 1×1 conv + BN)::

    y = shortcut(x) + γ · drop_path(blocks(x))        # γ: per-channel layer scale (CaiT)

MobileNetV4's Mobile MQA is ``residual[norm, mqa]`` with ``layer_scale``, GhostNet's bottleneck
``residual[ghost, dw, se, ghost]`` with a projection shortcut on its strided blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    BlockModel,
    Family,
    ResolveContext,
    ResolvedBlock,
    TraceChild,
    register,
)

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class ResidualSpec(BlockModel):
    """A residual over ``blocks``: the output is ``shortcut(x) + γ·drop_path(blocks(x))``."""

    block: Literal["residual"]
    blocks: list[dict[str, Any]] = Field(
        min_length=1, description="The residual branch: blocks applied in turn (each a "
        "mapping with `block:`).")
    shortcut: list[dict[str, Any]] | None = Field(
        None, description="The shortcut's blocks (a projection); unset: the identity, which "
        "needs the branch to end in the input's shape.")
    layer_scale: Annotated[float, Field(gt=0, le=1e3)] | None = Field(
        None, description="Initial value of a learnable per-channel scale γ on the branch's "
        "output, before the add (CaiT's LayerScale); unset: none.")


@dataclass(frozen=True, kw_only=True)
class Residual(ResolvedBlock):
    family = "residual"
    blocks: tuple[ResolvedBlock, ...]
    shortcut: tuple[ResolvedBlock, ...] | None  # None: the identity
    layer_scale: float | None
    drop_path: float = 0.0

    def children(self) -> tuple[ResolvedBlock, ...]:
        return self.blocks + (self.shortcut or ())


def resolve(spec: ResidualSpec, ctx: ResolveContext) -> Residual | None:
    blocks = ctx.chain(("blocks",), len(spec.blocks))
    shortcut = ctx.chain(("shortcut",), len(spec.shortcut)) if spec.shortcut else None
    if blocks is None or (spec.shortcut and shortcut is None):
        return None
    out = blocks[-1].out_shape
    skip = shortcut[-1].out_shape if shortcut else ctx.in_shape
    if out != skip:
        what = "the shortcut ends in" if shortcut else "the identity shortcut keeps the input"
        ctx.fail("E147", f"the blocks end in {out} but {what} {skip}; the add needs them equal",
                 "shortcut" if shortcut else "blocks",
                 fix="end the shortcut at the blocks' shape" if shortcut else
                 "keep the input's width and size in `blocks`, or add a projection `shortcut:` "
                 "(e.g. a strided depthwise conv and a 1×1 conv to the output width)")
        return None
    return Residual(in_shape=ctx.in_shape, out_shape=out, origin=ctx.origin, blocks=blocks,
                    shortcut=shortcut, layer_scale=spec.layer_scale, drop_path=ctx.drop_path)


def trace(b: Residual, g: GraphBuilder, x: Tensor, trace_child: TraceChild) -> Tensor:
    """The branch's blocks, then the shortcut's (if any), then γ and the add."""
    y = x
    for child in b.blocks:
        y = trace_child(child, g, y)
    skip = x
    for child in b.shortcut or ():
        skip = trace_child(child, g, skip)
    if b.layer_scale is not None:
        with g.part("layer_scale"):
            y = g.scale(y, "layer_scale", b.layer_scale, learnable=y.ch)  # γ: one per channel
    with g.part("shortcut", operator="skip"):
        return g.add(skip, y, "skip")


EXAMPLE = """\
- block: residual                     # identity shortcut: the blocks keep the shape
  blocks:
    - {block: conv, out: 32, k: 1}
    - {block: conv, out: 32, k: 3, groups: depthwise}
    - {block: se, ratio: 0.25}
    - {block: conv, out: 16, k: 1, act: none}
  layer_scale: 1.0e-5
- block: residual                     # projection shortcut: the blocks downsample
  blocks:
    - {block: conv, out: 32, k: 3, stride: 2}
  shortcut:
    - {block: conv, out: 16, k: 3, stride: 2, groups: depthwise, act: none}
    - {block: conv, out: 32, k: 1, act: none}
"""

FAMILY = register(Family("residual", ResidualSpec, resolve, None, Residual,
                         "residual over a group of blocks", trace_nested=trace, example=EXAMPLE))
