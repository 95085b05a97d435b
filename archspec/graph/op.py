"""The record every OpGraph node carries: one primitive op with its shapes, costs and origin."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from math import prod
from typing import Any

from archspec.diagnostics import UNKNOWN_SPAN, Span


class OpKind(enum.StrEnum):
    """Primitive ops. The cost table in :mod:`archspec.graph.cost` has one entry per kind."""

    INPUT = "input"
    OUTPUT = "output"
    CONV = "conv"
    NORM = "norm"
    ACT = "act"
    MATMUL = "matmul"
    SOFTMAX = "softmax"
    ADD = "add"
    MUL = "mul"
    PAD = "pad"
    CROP = "crop"
    RESIZE = "resize"  # bilinear/nearest interpolation of a map to another H×W
    RESHAPE = "reshape"  # reshape/permute; a copy when attrs["copy"], a free view otherwise
    FLATTEN = "flatten"
    POOL = "pool"
    CONCAT = "concat"
    SPLIT = "split"
    SHUFFLE = "shuffle"
    LINEAR = "linear"
    DROPOUT = "dropout"


#: Kinds that do arithmetic per element and move data, but multiply-accumulate nothing. G4's set.
ELEMENTWISE_KINDS = frozenset(
    {OpKind.NORM, OpKind.ACT, OpKind.ADD, OpKind.MUL, OpKind.SOFTMAX, OpKind.PAD, OpKind.CROP,
     OpKind.RESIZE, OpKind.RESHAPE, OpKind.CONCAT, OpKind.SPLIT, OpKind.SHUFFLE}
)


def numel(shape: tuple[int, ...]) -> int:
    return prod(shape) if shape else 1


@dataclass(frozen=True, slots=True)
class OpOrigin:
    """Where an op came from, as its family's tracer stated it: rules read this, never op names.

    ``block`` is the path of the block that emitted the op (its identity, ``""`` for the graph's
    input and output), ``family`` its tag, ``lineage`` the enclosing blocks, outermost first (a
    block in a parallel branch has its parallel there). ``field`` is the spec field that produced
    the op (``dw_k``, ``exp``, ``se``, ``attn``…), None when the tracer named none; ``span`` is that
    field's YAML span when the block wrote it, else the block's. ``fields`` names, per aspect of
    the op a rule may point at (``k``, ``width``, ``window``…), the spec fields that set it, first
    written wins; an aspect not listed is set by ``field``. Ops keep generic attribute names (a
    depthwise conv's kernel is ``attrs["k"]``); the YAML's name for it (``dw_k``) lives here.
    """

    block: str = ""
    family: str = ""
    lineage: tuple[str, ...] = ()
    field: str | None = None
    span: Span = UNKNOWN_SPAN
    block_span: Span = UNKNOWN_SPAN
    fields: Mapping[str, tuple[str, ...]] = dc_field(default_factory=dict)
    #: the block's written fields and their spans (the block origin's own mapping, shared)
    field_spans: Mapping[str, Span] = dc_field(default_factory=dict)

    @property
    def parent(self) -> str | None:
        """The enclosing block (a parallel's path for a block in one of its branches)."""
        return self.lineage[-1] if self.lineage else None

    @property
    def top(self) -> str:
        """The top-level block the op belongs to (its own block when not nested)."""
        return self.lineage[0] if self.lineage else self.block

    def _candidates(self, aspect: str | None, or_field: bool = True) -> tuple[str, ...]:
        if aspect is not None and aspect in self.fields:
            return self.fields[aspect]
        return (self.field,) if self.field and or_field else ()

    def field_of(self, aspect: str | None = None) -> str | None:
        """The spec field that set ``aspect`` of the op (its ``field`` by default): the first
        one the block wrote, else the first the tracer named."""
        names = self._candidates(aspect)
        return next((n for n in names if n in self.field_spans), names[0] if names else None)

    def span_of(self, aspect: str | None = None, *, or_field: bool = True) -> Span:
        """The YAML span of the field that set ``aspect`` if written, else the block's span.
        ``or_field=False``: only a field the tracer named for ``aspect`` (``operator``: the field
        that chose which operator the op is, as a norm's ``bn``/``ln``) counts."""
        for name in self._candidates(aspect, or_field):
            span = self.field_spans.get(name)
            if span is not None:
                return span
        return self.block_span


NO_ORIGIN = OpOrigin()


@dataclass(frozen=True)
class Op:
    """One primitive op, per image (batch 1).

    ``params`` are learnable parameters; ``macs`` multiply-accumulates (conv, linear, matmul only);
    ``mem_access`` elements read and written (inputs + outputs + weights: the ShuffleNet V2 paper's
    "MAC", renamed so it is never confused with multiply-accumulates); ``norm_elems`` what fvcore
    counts for a norm (2 per element for eval BatchNorm, 5 for LayerNorm).
    """

    kind: OpKind
    name: str
    in_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    attrs: Mapping[str, Any] = dc_field(default_factory=dict)
    params: int = 0
    macs: int = 0
    mem_access: int = 0
    fvcore_extra: int = 0
    origin: OpOrigin = NO_ORIGIN

    @property
    def block(self) -> str:
        """The path of the block that emitted the op (``""`` for the graph's ends)."""
        return self.origin.block

    @property
    def span(self) -> Span:
        """The YAML span of the op's block (``origin.span`` is the span of its field)."""
        return self.origin.block_span

    @property
    def out_elems(self) -> int:
        return numel(self.out_shape)

    @property
    def in_elems(self) -> int:
        return sum(numel(s) for s in self.in_shapes)

    @property
    def is_view(self) -> bool:
        """True when the op aliases its input's storage: it costs no memory traffic."""
        return self.kind in (OpKind.FLATTEN, OpKind.SPLIT, OpKind.DROPOUT, OpKind.INPUT,
                             OpKind.OUTPUT) or (
            self.kind == OpKind.RESHAPE and not self.attrs.get("copy", False))
