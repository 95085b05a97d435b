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
    with g.scope(block.path, block.origin.span, family=block.family,
                 field_spans=block.origin.field_spans):
        y = FAMILIES[block.family].trace(block, g, x)
    assert y.shape == block.out_shape, (
        f"{block.path}: traced {y.shape}, resolved {block.out_shape}")
    return y


def trace(net: ResolvedNet) -> OpGraph:
    """The network as a DAG of primitive ops with shapes, costs and provenance.

    A ResolvedNet is frozen, so its graph is computed once and kept with it (resolution traces to
    refuse absurd sizes; lint and profile reuse that graph). Treat the graph as read-only.
    """
    if net.graph_cache:
        graph = net.graph_cache[0]
        assert isinstance(graph, OpGraph)
        return graph
    g = GraphBuilder(net.input_shape, net.span)
    x = g.input
    for block in net.blocks:
        x = trace_block(block, g, x)
    graph = g.finish(x)
    net.graph_cache.append(graph)
    return graph
