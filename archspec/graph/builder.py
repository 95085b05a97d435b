"""Building an OpGraph: block tracers call one method per primitive op.

Each method infers the output shape, records the op's attributes, asks the cost table for its
costs and stamps it with the current block's provenance. Shapes are per image (no batch axis).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from archspec.core.norm import Norm
from archspec.core.shapes import conv_out
from archspec.diagnostics import UNKNOWN_SPAN, Span
from archspec.graph.cost import cost_of
from archspec.graph.op import NO_ORIGIN, Op, OpKind, OpOrigin, numel

if TYPE_CHECKING:
    from archspec.graph.opgraph import OpGraph


@dataclass(frozen=True)
class Tensor:
    """A value flowing between ops: the node that produced it and its per-image shape."""

    node: int
    shape: tuple[int, ...]

    @property
    def ch(self) -> int:
        return self.shape[0]


#: the aspects of a part that names none (shared: one dict, never written to)
_NO_ASPECTS: dict[str, tuple[str, ...]] = {}
_NO_SPANS: dict[str, Span] = {}


class _Part:
    """What :meth:`GraphBuilder.part` returns: stamps ``origin`` on the ops emitted inside
    (a plain context manager: it runs for every few ops of a trace)."""

    __slots__ = ("builder", "origin", "saved")

    def __init__(self, builder: GraphBuilder, origin: OpOrigin):
        self.builder = builder
        self.origin = self.saved = origin

    def __enter__(self) -> None:
        self.saved = self.builder._origin
        self.builder._origin = self.origin

    def __exit__(self, *exc: object) -> None:
        self.builder._origin = self.saved


@dataclass(frozen=True)
class Fragment:
    """The ops one block emitted, as :meth:`GraphBuilder.fragment` recorded them: node ids
    relative to its first op (-1: the block's input), its output, and the block's path."""

    path: str
    ops: tuple[Op, ...]
    edges: tuple[tuple[int, int, dict[str, Any]], ...]
    output: int
    out_shape: tuple[int, ...]
    #: the ops renamed to other paths, by path (see :meth:`renamed`)
    moved: dict[str, tuple[Op, ...]] = field(default_factory=dict, compare=False, repr=False)

    def renamed(self, path: str) -> tuple[Op, ...]:
        """The ops as the same block at ``path`` emits them: names, origins' blocks and
        lineages moved from this fragment's path (an origin shared by several ops stays
        shared). Kept per path: a sweep's next candidate has the block at the same place."""
        ops = self.moved.get(path)
        if ops is None:
            if len(self.moved) >= 64:  # bounded: a stage of thousands of repeats
                self.moved.clear()
            ops = self.moved[path] = self._move(path)
        return ops

    def _move(self, path: str) -> tuple[Op, ...]:
        old = self.path
        cut = len(old)

        def move(name: str) -> str:
            return path + name[cut:] if name.startswith(old) else name

        origins: dict[int, OpOrigin] = {}
        out = []
        for op in self.ops:
            origin = origins.get(id(op.origin))
            if origin is None:
                origin = replace(op.origin, block=move(op.origin.block),
                                 lineage=tuple(move(p) for p in op.origin.lineage))
                origins[id(op.origin)] = origin
            out.append(replace(op, name=move(op.name), origin=origin))
        return tuple(out)


class GraphBuilder:
    """Accumulates ops into a networkx DiGraph (made by :meth:`finish`); one instance traces
    one network."""

    def __init__(self, input_shape: tuple[int, ...], span: Span = UNKNOWN_SPAN):
        #: the ops and edges emitted so far; :meth:`finish` makes them one DiGraph in a single
        #: pass (networkx's per-call bookkeeping would otherwise dominate a large trace)
        self._nodes: list[tuple[int, dict[str, Op]]] = []
        self._edges: list[tuple[int, int, dict[str, Any]]] = []
        self._next = 0
        self._block = ""
        self._span = span
        self._blocks: list[str] = []  # the paths of the blocks being traced, outermost first
        self._origin = self._block_origin = OpOrigin(block_span=span, span=span)
        #: the origins of the current block's parts, by part() arguments (made once per block)
        self._origins: dict[object, OpOrigin] = {}
        self.input = self._add(Op(OpKind.INPUT, "input", (), tuple(input_shape)), [])

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def scope(self, block: str, span: Span, *, family: str = "",
              field_spans: Mapping[str, Span] | None = None) -> Iterator[None]:
        """Stamp every op emitted inside with a block's origin: its path, family, the blocks
        enclosing it (a block traced inside another has it as parent), its YAML span and the
        spans of the fields it wrote (what :meth:`part` points at)."""
        saved = (self._block, self._span, self._origin, self._origins, self._block_origin)
        lineage = tuple(self._blocks)
        self._blocks.append(block)
        self._block, self._span = block, span
        self._origin = self._block_origin = OpOrigin(
            block, family, lineage, None, span, span, _NO_ASPECTS,
            field_spans if field_spans is not None else _NO_SPANS)
        self._origins = {}
        try:
            yield
        finally:
            self._blocks.pop()
            self._block, self._span, self._origin, self._origins, self._block_origin = saved

    def part(self, field: str, *alternatives: str, **aspects: str | tuple[str, ...]) -> _Part:
        """Name the spec field that produces the ops emitted inside (``with g.part("dw_k"):``).

        ``alternatives`` are fields that set the same thing (``part("exp", "mid")``: the first
        the block wrote is the op's field). ``aspects`` name the fields behind one aspect of the
        ops a rule may point at, where it is not ``field`` (``width="out"``, ``window=("window",
        "partition")``). Ops outside any part have no field and point at the block's span.
        """
        key: object = (field, alternatives, *aspects.items()) if alternatives or aspects else field
        origin = self._origins.get(key)
        if origin is None:
            base = self._block_origin
            written = base.field_spans
            chosen = field
            if alternatives and field not in written:
                chosen = next((n for n in alternatives if n in written), field)
            fields = {k: (v,) if isinstance(v, str) else v for k, v in aspects.items()} \
                if aspects else _NO_ASPECTS
            origin = OpOrigin(base.block, base.family, base.lineage, chosen,
                              written.get(chosen, base.block_span), base.block_span,
                              fields, written)
            self._origins[key] = origin
        return _Part(self, origin)

    def _add(self, op: Op, inputs: Sequence[Tensor]) -> Tensor:
        cost = cost_of(op)  # costs depend on kind, shapes and attrs only
        origin = self._origin if op.origin is NO_ORIGIN else op.origin
        op = Op(op.kind, op.name, op.in_shapes, op.out_shape, op.attrs, params=cost.params,
                macs=cost.macs, mem_access=cost.mem_access, fvcore_extra=cost.fvcore_extra,
                origin=origin)
        node = self._next
        self._next += 1
        self._nodes.append((node, {"op": op}))
        self._edges.extend((t.node, node, {"port": port, "shape": t.shape})
                           for port, t in enumerate(inputs))
        return Tensor(node, op.out_shape)

    def op(self, op_kind: OpKind, name: str, inputs: Sequence[Tensor],
           out_shape: tuple[int, ...], /, **attrs: Any) -> Tensor:
        """Emit any op; the typed helpers below are preferred."""
        full = f"{self._block}.{name}" if self._block else name
        return self._add(
            Op(op_kind, full, tuple(t.shape for t in inputs), tuple(out_shape), attrs), inputs)

    # ------------------------------------------------------------------ fragments

    def mark(self) -> tuple[int, int]:
        """Where the next op and edge will go (the start of a :class:`Fragment`)."""
        return len(self._nodes), len(self._edges)

    def fragment(self, start: tuple[int, int], x: Tensor, y: Tensor, path: str) -> Fragment:
        """The ops and edges emitted since ``start`` by the block at ``path``, fed by ``x`` alone
        and producing ``y``: what :meth:`replay` emits again for an identical block."""
        first, first_edge = start
        base = self._nodes[first][0] if first < len(self._nodes) else self._next
        ops = tuple(op["op"] for _, op in self._nodes[first:])
        edges = tuple((-1 if a == x.node else a - base, b - base, data)
                      for a, b, data in self._edges[first_edge:])
        assert all(a >= -1 for a, _, _ in edges), f"{path} reads a tensor it was not given"
        return Fragment(path, ops, edges, y.node - base if y.node != x.node else -1, y.shape)

    def replay(self, fragment: Fragment, x: Tensor, path: str) -> Tensor:
        """Emit ``fragment``'s ops again, fed by ``x``, as the block at ``path`` (names and
        origins renamed from the recorded block's path when it differs); returns its output."""
        base = self._next
        ops = fragment.ops if path == fragment.path else fragment.renamed(path)
        self._nodes.extend((base + i, {"op": op}) for i, op in enumerate(ops))
        self._next += len(ops)
        self._edges.extend((x.node if a == -1 else base + a, base + b, data)
                           for a, b, data in fragment.edges)
        return Tensor(x.node if fragment.output == -1 else base + fragment.output,
                      fragment.out_shape)

    def finish(self, x: Tensor) -> OpGraph:
        import networkx as nx

        from archspec.graph.opgraph import OpGraph

        out = self._add(Op(OpKind.OUTPUT, "output", (x.shape,), x.shape,
                           origin=OpOrigin(block_span=self._span, span=self._span)), [x])
        graph = nx.DiGraph()
        graph.add_nodes_from(self._nodes)
        graph.add_edges_from(self._edges)
        return OpGraph(graph, self.input.node, out.node)

    # ------------------------------------------------------------------ typed helpers

    def conv(self, x: Tensor, name: str, *, out: int, k: int = 1, stride: int = 1,
             padding: int = 0, dilation: int = 1, groups: int = 1, bias: bool = False) -> Tensor:
        *lead, _, h, w = x.shape  # a leading axis holds attention windows
        oh = conv_out(h, k, stride, padding, dilation)
        ow = conv_out(w, k, stride, padding, dilation)
        return self.op(OpKind.CONV, name, [x], (*lead, out, oh, ow), k=k, stride=stride,
                       padding=padding, dilation=dilation, groups=groups, bias=bias)

    def norm(self, x: Tensor, name: str, norm: Norm) -> Tensor:
        """Norm over channels (axis -3 of a map)."""
        if not norm.present:
            return x
        return self.op(OpKind.NORM, name, [x], x.shape, type=norm.type, eps=norm.eps,
                       momentum=norm.momentum)

    def act(self, x: Tensor, name: str, act: str) -> Tensor:
        if act == "none":
            return x
        return self.op(OpKind.ACT, name, [x], x.shape, type=act)

    def add(self, a: Tensor, b: Tensor, name: str) -> Tensor:
        assert a.shape == b.shape, f"add of {a.shape} and {b.shape} in {self._block}"
        return self.op(OpKind.ADD, name, [a, b], a.shape)

    def mul(self, a: Tensor, gate: Tensor, name: str) -> Tensor:
        """Element-wise multiply, ``gate`` broadcast over ``a`` (SE's channel scaling)."""
        return self.op(OpKind.MUL, name, [a, gate], a.shape)

    def matmul(self, a: Tensor, b: Tensor, name: str, **attrs: Any) -> Tensor:
        """Batched matmul; an attention's carries its geometry in ``attrs`` (window, heads…)."""
        *batch, m, k = a.shape
        *batch_b, k2, n = b.shape
        assert k == k2 and batch == batch_b, f"matmul {a.shape} @ {b.shape} in {self._block}"
        return self.op(OpKind.MATMUL, name, [a, b], (*batch, m, n), **attrs)

    def scale(self, x: Tensor, name: str, factor: float, *, learnable: int = 0) -> Tensor:
        """Multiply by a constant (attention's dim_head^-0.5), or by ``learnable`` parameters
        initialised to ``factor`` (layer scale's per-channel γ): an element-wise pass."""
        if learnable:
            return self.op(OpKind.MUL, name, [x], x.shape, scalar=factor, params=learnable)
        return self.op(OpKind.MUL, name, [x], x.shape, scalar=factor)

    def softmax(self, x: Tensor, name: str) -> Tensor:
        return self.op(OpKind.SOFTMAX, name, [x], x.shape, dim=-1)

    def pad(self, x: Tensor, name: str, *, bottom: int, right: int) -> Tensor:
        c, h, w = x.shape
        return self.op(OpKind.PAD, name, [x], (c, h + bottom, w + right), bottom=bottom,
                       right=right)

    def crop(self, x: Tensor, name: str, hw: tuple[int, int]) -> Tensor:
        return self.op(OpKind.CROP, name, [x], (x.shape[0], *hw))

    def resize(self, x: Tensor, name: str, hw: tuple[int, int], *, mode: str = "bilinear",
               align_corners: bool = False) -> Tensor:
        """Interpolate a map to ``hw`` (``mode``: ``bilinear`` or ``nearest``), every channel
        alike: reads the input, writes the output, multiply-accumulates nothing."""
        return self.op(OpKind.RESIZE, name, [x], (x.shape[0], *hw), mode=mode,
                       align_corners=align_corners)

    def reshape(self, x: Tensor, name: str, shape: tuple[int, ...], *, copy: bool,
                pattern: str = "") -> Tensor:
        assert numel(shape) == numel(x.shape), f"reshape {x.shape} -> {shape} in {self._block}"
        return self.op(OpKind.RESHAPE, name, [x], shape, copy=copy, pattern=pattern)

    def pool(self, x: Tensor, name: str, *, mode: str, k: int = 1, stride: int = 1,
             padding: int = 0, ceil_mode: bool = False, global_pool: bool = False) -> Tensor:
        """Average or max pooling (``mode``: ``avg``/``max``; the YAML's pool ``kind``, renamed
        on the graph so it never reads as ``Op.kind``); a global pool covers the whole map."""
        c, h, w = x.shape
        if global_pool:
            return self.op(OpKind.POOL, name, [x], (c, 1, 1), mode=mode, global_pool=True, k=h)
        oh = conv_out(h, k, stride, padding, 1, ceil_mode)
        ow = conv_out(w, k, stride, padding, 1, ceil_mode)
        return self.op(OpKind.POOL, name, [x], (c, oh, ow), mode=mode, global_pool=False, k=k,
                       stride=stride, padding=padding, ceil_mode=ceil_mode)

    def concat(self, xs: Sequence[Tensor], name: str) -> Tensor:
        rest = xs[0].shape[1:]
        assert all(t.shape[1:] == rest for t in xs), f"concat shapes in {self._block}"
        return self.op(OpKind.CONCAT, name, xs, (sum(t.ch for t in xs), *rest))

    def split(self, x: Tensor, name: str, sizes: Sequence[int]) -> list[Tensor]:
        """A channel split is a view; one op per piece keeps every node single-output."""
        assert sum(sizes) == x.ch
        outs, start = [], 0
        for i, size in enumerate(sizes):
            outs.append(self.op(OpKind.SPLIT, f"{name}.{i}", [x], (size, *x.shape[1:]),
                                start=start))
            start += size
        return outs

    def narrow(self, x: Tensor, name: str, size: int, start: int = 0) -> Tensor:
        """Channels ``start`` … ``start + size`` of ``x``: a view (torch's ``narrow``), one
        piece of a split whose other pieces nobody reads."""
        assert start >= 0 and start + size <= x.ch, f"narrow {x.shape} in {self._block}"
        return self.op(OpKind.SPLIT, name, [x], (size, *x.shape[1:]), start=start)

    def shuffle(self, x: Tensor, name: str, groups: int) -> Tensor:
        return self.op(OpKind.SHUFFLE, name, [x], x.shape, groups=groups)

    def flatten(self, x: Tensor, name: str) -> Tensor:
        return self.op(OpKind.FLATTEN, name, [x], (numel(x.shape),))

    def linear(self, x: Tensor, name: str, *, out: int, bias: bool) -> Tensor:
        assert len(x.shape) == 1, f"linear on {x.shape} in {self._block}"
        return self.op(OpKind.LINEAR, name, [x], (out,), bias=bias)

    def dropout(self, x: Tensor, name: str, p: float) -> Tensor:
        if p == 0:
            return x
        return self.op(OpKind.DROPOUT, name, [x], x.shape, p=p)
