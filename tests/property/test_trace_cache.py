"""A traced block replayed from the sweep's cache is the block traced afresh: the same ops (names,
shapes, costs, origins) and edges, whether it recurs at its own path (the next candidate) or
at another (the repeats of a stage), on generated networks and on every shipped one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import archspec
from archspec.blocks.trace import TraceCache, trace
from archspec.graph.opgraph import OpGraph
from archspec.testing.strategies import GeneratedSpec, specs

from ._support import examples, load_generated, variants_of

SPECS = sorted(Path(__file__).parents[2].joinpath("specs").glob("*.yaml"))


def _contents(graph: OpGraph) -> tuple[list[Any], list[Any]]:
    g = graph.graph
    nodes = [(n, g.nodes[n]["op"]) for n in sorted(g.nodes)]
    edges = sorted((a, b, sorted(d.items())) for a, b, d in g.edges(data=True))
    return nodes, edges


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_a_replayed_block_is_the_block_traced_afresh(spec: GeneratedSpec) -> None:
    doc = load_generated(spec.document)
    cache = TraceCache()
    for variant in variants_of(doc):
        net = archspec.resolve(doc, variant)
        fresh = _contents(trace(net))
        assert _contents(trace(net, cache)) == fresh  # filled (and replayed within the net)
        assert _contents(trace(net, cache)) == fresh  # every block replayed


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_shipped_network_traces_the_same_through_the_cache(path: Path) -> None:
    doc = archspec.load(path)
    cache = TraceCache()
    for variant in doc.resolvable:
        net = archspec.resolve(doc, variant)
        assert _contents(trace(net, cache)) == _contents(trace(net)), variant
    assert cache.hits > 0  # repeats of a stage, and variants sharing blocks, were replayed


def test_the_cache_stays_within_its_limit() -> None:
    doc = archspec.load(SPECS[0])
    cache = TraceCache(limit=3)
    net = archspec.resolve(doc, doc.resolvable[0])
    assert _contents(trace(net, cache)) == _contents(trace(net))
    assert len(cache) <= 3
