"""``act``: an activation on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from archspec.blocks.base import (
    ActName,
    BlockModel,
    Family,
    ResolveContext,
    ResolvedBlock,
    register,
    same_shape,
)

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class ActBlockSpec(BlockModel):
    """An activation on its own."""

    block: Literal["act"]
    act: ActName


@dataclass(frozen=True, kw_only=True)
class ActBlock(ResolvedBlock):
    family = "act"
    act: str


def resolve_actblock(spec: ActBlockSpec, ctx: ResolveContext) -> ActBlock:
    return ActBlock(in_shape=ctx.in_shape, out_shape=ctx.in_shape, origin=ctx.origin,
                    act=spec.act)


def trace_actblock(b: ActBlock, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("act", operator="act"):
        return g.act(x, "act", b.act)


EXAMPLE = """\
- {block: act, act: hardswish}
"""

ACT = register(Family("act", ActBlockSpec, resolve_actblock, trace_actblock, ActBlock,
                      "an activation", shape=same_shape, example=EXAMPLE))
