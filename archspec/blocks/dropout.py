"""``dropout``: dropout, the identity at inference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from archspec.blocks.base import (
    BlockModel,
    Family,
    ResolveContext,
    ResolvedBlock,
    register,
    same_shape,
)

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class DropoutSpec(BlockModel):
    """Dropout (identity at inference)."""

    block: Literal["dropout"]
    p: Annotated[float, Field(ge=0, lt=1)]


@dataclass(frozen=True, kw_only=True)
class Dropout(ResolvedBlock):
    family = "dropout"
    p: float


def resolve_dropout(spec: DropoutSpec, ctx: ResolveContext) -> Dropout:
    return Dropout(in_shape=ctx.in_shape, out_shape=ctx.in_shape, origin=ctx.origin, p=spec.p)


def trace_dropout(b: Dropout, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("p"):
        return g.dropout(x, "dropout", b.p)


EXAMPLE = """\
- {block: dropout, p: 0.2}
"""

DROPOUT = register(Family("dropout", DropoutSpec, resolve_dropout, trace_dropout, Dropout,
                          "dropout", shape=same_shape, example=EXAMPLE))
