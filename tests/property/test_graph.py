"""OpGraph invariants: a DAG from one input to one output, shapes agreeing along every edge,
totals that are the sum of the blocks, and provenance from every op to a line of the file."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings

import archspec
from archspec.graph.op import OpKind
from archspec.testing.strategies import GeneratedSpec, specs

from ._support import FILE, examples, load_generated, variants_of


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_graph_is_a_dag_with_one_input_and_one_output(spec: GeneratedSpec) -> None:
    doc = load_generated(spec.document)
    for variant in variants_of(doc):
        graph = archspec.trace(archspec.resolve(doc, variant))
        g = graph.graph
        assert nx.is_directed_acyclic_graph(g)
        sources = [n for n in g if g.in_degree(n) == 0]
        sinks = [n for n in g if g.out_degree(n) == 0]
        assert sources == [graph.input_node], [graph.op(n).name for n in sources]
        assert sinks == [graph.output_node], [graph.op(n).name for n in sinks]
        assert graph.op(graph.input_node).kind == OpKind.INPUT
        assert graph.op(graph.output_node).kind == OpKind.OUTPUT
        kinds = [op.kind for op in graph.ops()]
        assert kinds.count(OpKind.INPUT) == kinds.count(OpKind.OUTPUT) == 1
        assert nx.has_path(g, graph.input_node, graph.output_node)


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_shapes_agree_along_every_edge(spec: GeneratedSpec) -> None:
    doc = load_generated(spec.document)
    for variant in variants_of(doc):
        net = archspec.resolve(doc, variant)
        graph = archspec.trace(net)
        for u, v, data in graph.graph.edges(data=True):
            producer, consumer = graph.op(u), graph.op(v)
            assert data["shape"] == producer.out_shape, (producer.name, consumer.name)
            assert data["shape"] == consumer.in_shapes[data["port"]], (producer.name,
                                                                         consumer.name)
        for node in graph.graph:
            op = graph.op(node)
            if op.kind != OpKind.INPUT:
                assert op.in_shapes, f"{op.name} has no inputs"
                assert {graph.op(p).out_shape for p in graph.graph.predecessors(node)} \
                    <= set(op.in_shapes), op.name
        assert graph.output_shape == net.output_shape
        assert graph.op(graph.input_node).out_shape == net.input_shape


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_totals_are_the_sum_of_the_blocks(spec: GeneratedSpec) -> None:
    doc = load_generated(spec.document)
    for variant in variants_of(doc):
        a = archspec.analyze(doc, variant=variant)
        for name in ("params", "macs", "flops", "mem_access"):
            total = getattr(a.total, name)
            assert total == sum(getattr(b, name) for b in a.blocks), name
        owned = sum(len(a.graph.ops_of(b.path)) for b in a.blocks)
        assert owned == a.graph.graph.number_of_nodes() - 2, "an op belongs to no block, or two"
        assert a.total.flops == 2 * a.total.macs


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_every_op_points_at_a_line_of_the_file(spec: GeneratedSpec) -> None:
    doc = load_generated(spec.document)
    lines = archspec.dump(spec.document).count("\n")
    for variant in variants_of(doc):
        net = archspec.resolve(doc, variant)
        paths = {b.path: b for b in net.walk()}
        for op in archspec.trace(net).ops():
            assert op.span.file == FILE, op.name
            assert 1 <= op.span.line <= lines, (op.name, op.span)
            assert op.span.col >= 1, (op.name, op.span)
            if op.kind in (OpKind.INPUT, OpKind.OUTPUT):
                continue
            assert op.block, f"{op.name} has no block"
            assert op.block in paths, f"{op.name}: no resolved block {op.block!r}"
            assert op.span == paths[op.block].origin.span, op.name
            assert op.name.startswith(op.block + "."), op.name
