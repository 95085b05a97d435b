"""trace(resolved) → OpGraph: each block emits its primitive ops through its family's tracer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archspec.blocks import FAMILIES
from archspec.graph.builder import GraphBuilder, Tensor
from archspec.graph.opgraph import OpGraph

if TYPE_CHECKING:
    from archspec.blocks.base import ResolvedBlock
    from archspec.spec.resolved import ResolvedNet


def trace_block(block: ResolvedBlock, g: GraphBuilder, x: Tensor) -> Tensor:
    with g.scope(block):
        y = FAMILIES[block.family].trace(block, g, x)
    assert y.shape == block.out_shape, (
        f"{block.path}: traced {y.shape}, resolved {block.out_shape}")
    return y


def trace(net: ResolvedNet) -> OpGraph:
    """The network as a DAG of primitive ops with shapes, costs and provenance: traced on every
    call (nothing is cached; :mod:`archspec.pipeline` traces each variant once per run)."""
    g = GraphBuilder(net.input_shape, net.span)
    x = g.input
    for block in net.blocks:
        x = trace_block(block, g, x)
    return g.finish(x)
