"""trace(net) → OpGraph: each block emits its primitive ops through its family's tracer.

The dispatch by family lives here, above the families and the graph builder: ``archspec.graph``
knows nothing of block families, and a container family (parallel) traces its children through
the :func:`trace_block` callback it is given, never by importing this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from archspec.blocks.base import FAMILIES
from archspec.graph.builder import GraphBuilder, Tensor

if TYPE_CHECKING:
    from archspec.blocks.base import ResolvedBlock
    from archspec.diagnostics import Span
    from archspec.graph.opgraph import OpGraph


class Traceable(Protocol):
    """What tracing reads of a network (a ``ResolvedNet``): its input, span and blocks."""

    @property
    def input_shape(self) -> tuple[int, int, int]: ...
    @property
    def span(self) -> Span: ...
    @property
    def blocks(self) -> Sequence[ResolvedBlock]: ...


def trace_block(block: ResolvedBlock, g: GraphBuilder, x: Tensor) -> Tensor:
    """Emit ``block``'s ops (its children's too) into ``g``, fed by ``x``; returns its output."""
    family = FAMILIES[block.family]
    with g.scope(block.path, block.origin.span, family=block.family,
                 field_spans=block.origin.field_spans):
        if family.trace_nested is not None:
            y = family.trace_nested(block, g, x, trace_block)
        else:
            assert family.trace is not None
            y = family.trace(block, g, x)
    assert y.shape == block.out_shape, (
        f"{block.path}: traced {y.shape}, resolved {block.out_shape}")
    return y


def trace(net: Traceable) -> OpGraph:
    """The network as a DAG of primitive ops with shapes, costs and provenance, traced afresh on
    every call (nothing is cached on the frozen network)."""
    g = GraphBuilder(net.input_shape, net.span)
    x = g.input
    for block in net.blocks:
        x = trace_block(block, g, x)
    return g.finish(x)
