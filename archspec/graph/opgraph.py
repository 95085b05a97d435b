"""OpGraph: the networkx DiGraph of primitive ops, with the questions rules and reports ask of it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from archspec.graph.op import Op, numel

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Totals:
    params: int
    macs: int
    mem_access: int
    fvcore_extra: int

    @property
    def flops(self) -> int:
        return 2 * self.macs


class OpGraph:
    """A DAG with one ``input`` and one ``output`` node; node attribute ``op`` holds an :class:`Op`."""

    def __init__(self, graph: nx.DiGraph, input_node: int, output_node: int):
        self.graph = graph
        self.input_node = input_node
        self.output_node = output_node

    @cached_property
    def order(self) -> tuple[int, ...]:
        """The lexicographical topological order of the nodes. A traced graph numbers its nodes
        in the order they were emitted, every edge running from a lower number to a higher one;
        then that order is simply the sorted nodes, found in linear time."""
        import networkx as nx

        if all(u < v for u, v in self.graph.edges):
            return tuple(sorted(self.graph.nodes))
        return tuple(nx.lexicographical_topological_sort(self.graph))

    @cached_property
    def op_of(self) -> dict[int, Op]:
        """Node → its op, built once (networkx's node views are slow to query per node).
        The graph is read-only once traced, so the dict never goes stale."""
        return dict(self.graph.nodes(data="op"))

    def ops(self) -> Iterator[Op]:
        """Ops in a deterministic topological order (the order they were traced in)."""
        op_of = self.op_of
        for node in self.order:
            yield op_of[node]

    def op(self, node: int) -> Op:
        return self.op_of[node]

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.op(self.output_node).out_shape

    def ops_of(self, block_path: str) -> list[Op]:
        """Ops traced for a block and its nested children (``stages.s1[0]`` and ``…[0].branches``)."""
        return self.ops_by_block([block_path])[block_path]

    def ops_by_block(self, block_paths: Iterable[str]) -> dict[str, list[Op]]:
        """:meth:`ops_of` for many blocks in one pass over the ops (linear in the network).

        An op belongs to its own block if listed, else to the innermost listed block enclosing
        it (its origin's lineage: a block in a parallel branch belongs to its parallel).
        """
        groups: dict[str, list[Op]] = {path: [] for path in block_paths}
        for op in self.ops():
            origin = op.origin
            group = groups.get(origin.block)
            if group is None:
                group = next((groups[p] for p in reversed(origin.lineage) if p in groups), None)
            if group is not None:
                group.append(op)
        return groups

    def totals(self, ops: list[Op] | None = None) -> Totals:
        """The sums over ``ops``, or over the whole network (computed once: the size check, the
        results, the memory estimate and build's label all ask for it)."""
        return self._network_totals if ops is None else self._sum(ops)

    @cached_property
    def _network_totals(self) -> Totals:
        return self._sum(list(self.ops()))

    @staticmethod
    def _sum(ops: list[Op]) -> Totals:
        return Totals(
            params=sum(o.params for o in ops),
            macs=sum(o.macs for o in ops),
            mem_access=sum(o.mem_access for o in ops),
            fvcore_extra=sum(o.fvcore_extra for o in ops),
        )

    def peak_activation_elems(self) -> int:
        """Largest set of tensors alive at once when ops run in topological order.

        A tensor lives from the op that writes it until its last reader has run; views share their
        source's storage and add nothing. The network input counts as alive until last read.
        """
        g = self.graph
        position = {node: i for i, node in enumerate(self.order)}
        storage: dict[int, int] = {}  # node -> node owning its storage
        for node in self.order:
            op = self.op(node)
            preds = list(g.predecessors(node))
            storage[node] = storage[preds[0]] if op.is_view and preds else node
        last_use: dict[int, int] = {}
        for node in self.order:
            for succ in g.successors(node):
                owner = storage[node]
                last_use[owner] = max(last_use.get(owner, 0), position[succ])
        live = 0
        peak = 0
        frees: dict[int, int] = {}
        for i, node in enumerate(self.order):
            op = self.op(node)
            if storage[node] == node:
                live += numel(op.out_shape)
                frees[last_use.get(node, i)] = frees.get(last_use.get(node, i), 0) + numel(
                    op.out_shape)
            peak = max(peak, live)
            live -= frees.pop(i, 0)
        return peak
