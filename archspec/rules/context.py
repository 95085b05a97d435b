"""What a rule reads: the resolved network, its op graph, the target, all indexed once.

Everything a rule asks for is computed here a single time per (network, target): ops grouped by
block, kernels after the target's fusions, the suppressions in force for each block. Rules never
scan the whole graph per block, so linting stays linear in the size of the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from archspec.diagnostics import Span
from archspec.graph.op import Op, OpKind

if TYPE_CHECKING:
    from archspec.blocks.base import ResolvedBlock
    from archspec.graph.opgraph import OpGraph
    from archspec.latency.model import DeviceProfile
    from archspec.latency.predict import Prediction
    from archspec.rules.kernels import KernelMap
    from archspec.rules.targets import Target
    from archspec.spec.resolved import ResolvedNet


@dataclass(frozen=True)
class Suppression:
    """One ``noqa`` entry as written: the code, its reason, and the span of its key."""

    code: str
    reason: str
    span: Span
    block: str  # the block (or the first block of the stage) it was found on


Pair = tuple[int, int]


def _pair(value: Any) -> Pair:
    return (int(value[0]), int(value[1]))


class WindowedAttention(NamedTuple):
    """One window attention as its ops record it: map H×W, window, padding (bottom, right) and
    windows (n1, n2); ``op`` is its first matmul (block, origin and spans)."""

    op: Op
    map: Pair
    window: Pair
    padding: Pair
    windows: Pair


@dataclass
class LintContext:
    net: ResolvedNet
    graph: OpGraph
    target: Target
    used: set[tuple[str, Span]] = field(default_factory=set)
    ran: frozenset[str] = frozenset()  # codes of the rules that run on this context
    #: the network predicted on a device profile (``lint --device``): figures in time
    latency: Prediction | None = None

    @property
    def device(self) -> DeviceProfile | None:
        """The device profile findings are stated for (None: no ``--device``)."""
        return self.latency.profile if self.latency is not None else None

    # ------------------------------------------------------------------ blocks and ops

    @cached_property
    def blocks(self) -> dict[str, ResolvedBlock]:
        """Every block by path, nested ones included, in walk order."""
        return {b.path: b for b in self.net.walk()}

    @cached_property
    def top_of(self) -> dict[str, str]:
        """Block path → the top-level block it belongs to (itself when not nested)."""
        return {path: (lineage[0] if lineage else path)
                for path, lineage in self.lineage.items()}

    @cached_property
    def lineage(self) -> dict[str, tuple[str, ...]]:
        """Block path → the blocks enclosing it, outermost first (from the block tree itself)."""
        out: dict[str, tuple[str, ...]] = {}
        stack: list[tuple[ResolvedBlock, tuple[str, ...]]] = [
            (top, ()) for top in reversed(self.net.blocks)]
        while stack:
            b, outer = stack.pop()
            out[b.path] = outer
            stack.extend((c, (*outer, b.path)) for c in reversed(b.children()))
        return out

    @cached_property
    def nodes_by_block(self) -> dict[str, list[int]]:
        """Top-level block path → its op nodes (children's included), in topological order."""
        out: dict[str, list[int]] = {b.path: [] for b in self.net.blocks}
        for node, op in self.ops():
            nodes = out.get(op.origin.top)
            if nodes is not None:
                nodes.append(node)
        return out

    @cached_property
    def own_ops(self) -> dict[str, list[Op]]:
        """Block path → the ops it emitted itself (not its children's), in topological order."""
        out: dict[str, list[Op]] = {}
        for _, op in self.ops():
            out.setdefault(op.block, []).append(op)
        return out

    @cached_property
    def op_of(self) -> dict[int, Op]:
        """Node → its op (a plain dict: rules look ops up hundreds of thousands of times)."""
        return self.graph.op_of

    def op(self, node: int) -> Op:
        return self.op_of[node]

    def ops(self) -> Iterator[tuple[int, Op]]:
        op_of = self.op_of
        for node in self.graph.order:
            yield node, op_of[node]

    @cached_property
    def windowed_attention(self) -> list[WindowedAttention]:
        """Window attentions, one per block, from the graph: an attention's matmuls carry its
        geometry (``window`` None when the partition is global: one window, never padded)."""
        out: list[WindowedAttention] = []
        seen: set[str] = set()
        for _, op in self.ops():
            if op.kind != OpKind.MATMUL or op.attrs.get("window") is None or op.block in seen:
                continue
            seen.add(op.block)
            a = op.attrs
            out.append(WindowedAttention(op, _pair(a["map"]), _pair(a["window"]),
                                         _pair(a["padding"]), _pair(a["windows"])))
        return out

    @cached_property
    def kernels(self) -> KernelMap:
        from archspec.rules.kernels import kernels

        return kernels(self.graph, self.target.fusion)

    @cached_property
    def mem_access(self) -> int:
        """The network's memory access after the target's fusions (G1, G2 and G4 divide by it)."""
        return sum(self.kernels.mem_access.values())

    def block_span(self, path: str, *fields: str) -> Span:
        """The span of the first of ``fields`` written for the block, else the block's own."""
        block = self.blocks.get(path)
        if block is None:
            return self.net.span
        for name in fields:
            span = block.origin.field_spans.get(name)
            if span is not None:
                return span
        return block.origin.span

    def local_name(self, op: Op) -> str:
        """The op's name inside its block: ``stages.s3[1].attn.scores`` → ``attn.scores``."""
        return op.name[len(op.block) + 1:] if op.name.startswith(op.block + ".") else op.name

    # ------------------------------------------------------------------ suppressions

    @cached_property
    def suppressions(self) -> dict[str, list[Suppression]]:
        """Block path → the noqa entries in force on it (its own and its ancestors')."""
        out: dict[str, list[Suppression]] = {}
        for path, block in self.blocks.items():
            own = [Suppression(code, reason, block.origin.noqa_spans.get(code, block.origin.span),
                               path) for code, reason in block.noqa.items()]
            outer = self.lineage.get(path, ())
            out[path] = own + (out.get(outer[-1], []) if outer else [])
        return out

    def excused(self, code: str, block: str | None) -> bool:
        """Whether a ``noqa`` on ``block`` (or an enclosing block) excuses ``code``; an entry that
        excuses something is marked used."""
        if block is None:
            return False
        for s in self.suppressions.get(block, ()):
            if s.code == code:
                self.used.add((s.code, s.span))
                return True
        return False

    def all_suppressions(self) -> list[Suppression]:
        """Each distinct noqa entry once (a stage's entry is shared by its blocks)."""
        seen: dict[tuple[str, Span], Suppression] = {}
        for entries in self.suppressions.values():
            for s in entries:
                seen.setdefault((s.code, s.span), s)
        return list(seen.values())
