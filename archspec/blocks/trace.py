"""trace(net) → OpGraph: each block emits its primitive ops through its family's tracer.

The dispatch by family lives here, above the families and the graph builder: ``archspec.graph``
knows nothing of block families, and a container family (parallel) traces its children through
the :func:`trace_block` callback it is given, never by importing this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from archspec.blocks.base import FAMILIES, Origin, ResolvedBlock
from archspec.graph.builder import Fragment, GraphBuilder, Tensor

if TYPE_CHECKING:
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


def trace(net: Traceable, cache: TraceCache | None = None) -> OpGraph:
    """The network as a DAG of primitive ops with shapes, costs and provenance, traced afresh on
    every call (nothing is cached on the frozen network). With ``cache``, a top-level block
    already traced in the same form at the same input shape (the sweep's candidates, the
    repeats of a stage) is replayed from it instead of traced again."""
    g = GraphBuilder(net.input_shape, net.span)
    x = g.input
    for block in net.blocks:
        if cache is None:
            x = trace_block(block, g, x)
            continue
        key = cache.key(block)
        fragment = cache.get(key)
        if fragment is not None:
            x = g.replay(fragment, x, block.path)
            continue
        start = g.mark()
        y = trace_block(block, g, x)
        cache.put(key, g.fragment(start, x, y, block.path))
        x = y
    return g.finish(x)


class TraceCache:
    """Traced blocks by what decides their ops: everything a resolved block holds (its fields,
    input and output shapes, YAML spans, nested blocks) except where it sits (its path, kept
    relative to the block, and its index: renamed on replay) and its drop-path rate (which
    emits no op).

    The key is the block frozen into nested tuples (:func:`_frozen`): a resolved block is a
    frozen tree of plain values, so equal keys mean equal blocks. Bounded: past ``limit``
    entries the cache is cleared and refilled (a sweep's working set is one network's distinct
    blocks).
    """

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._fragments: dict[Hashable, Fragment] = {}
        self.hits = self.misses = 0

    def key(self, block: ResolvedBlock) -> Hashable:
        return _frozen(block, block.path)

    def __len__(self) -> int:
        return len(self._fragments)

    def get(self, key: Hashable) -> Fragment | None:
        fragment = self._fragments.get(key)
        if fragment is None:
            self.misses += 1
        else:
            self.hits += 1
        return fragment

    def put(self, key: Hashable, fragment: Fragment) -> None:
        if len(self._fragments) >= self.limit:
            self._fragments.clear()
        self._fragments[key] = fragment


_FIELDS: dict[type, tuple[str, ...]] = {}


def _frozen(value: object, root: str) -> Hashable:
    """``value`` as nested tuples, hashable: a resolved block by its fields (drop path left out),
    an origin by what its ops carry (the path relative to ``root``, the index left out)."""
    if isinstance(value, ResolvedBlock):
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = tuple(
                f.name for f in dataclasses.fields(value) if f.name != "drop_path")
        return (type(value), *(_frozen(getattr(value, n), root) for n in names))
    if isinstance(value, Origin):
        path = value.path
        return (value.section, path[len(root):] if path.startswith(root) else path, value.stage,
                value.span, tuple(value.field_spans.items()), tuple(value.noqa_spans.items()),
                value.by_variant)
    if isinstance(value, tuple | list):
        return tuple(_frozen(v, root) for v in value)
    if isinstance(value, Mapping):
        return tuple((k, _frozen(v, root)) for k, v in value.items())
    hash(value)  # anything else must be a plain value (TypeError otherwise: a bug, not a miss)
    return value
