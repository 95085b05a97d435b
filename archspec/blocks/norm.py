"""``norm``: a norm layer on its own (EMO's final LayerNorm), on a feature map or on a vector
(RepViT's head: BatchNorm1d after the global pool and flatten, before the classifier)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from archspec.blocks.base import (
    BlockModel,
    Family,
    NormField,
    ResolveContext,
    ResolvedBlock,
    register,
    resolve_norm,
    same_shape,
)
from archspec.core.norm import Norm

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class NormBlockSpec(BlockModel):
    """A norm on its own (EMO's final LayerNorm); on a vector (after a `linear`, or as a
    head's first block after the pool) `bn` is BatchNorm1d and `ln` a LayerNorm over C."""

    block: Literal["norm"]
    norm: NormField


@dataclass(frozen=True, kw_only=True)
class NormBlock(ResolvedBlock):
    family = "norm"
    norm: Norm


def resolve_normblock(spec: NormBlockSpec, ctx: ResolveContext) -> NormBlock:
    return NormBlock(in_shape=ctx.in_shape, out_shape=ctx.in_shape, origin=ctx.origin,
                     norm=resolve_norm(spec.norm))


def trace_normblock(b: NormBlock, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.part("norm", operator="norm"):
        return g.norm(x, "norm", b.norm)


EXAMPLE = """\
- {block: norm, norm: {type: bn, eps: 1.0e-3}}
"""

NORM = register(Family("norm", NormBlockSpec, resolve_normblock, trace_normblock, NormBlock,
                       "a norm layer", shape=same_shape, example=EXAMPLE))
