"""The record every OpGraph node carries: one primitive op with its shapes, costs and origin."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
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
     OpKind.RESHAPE, OpKind.CONCAT, OpKind.SPLIT, OpKind.SHUFFLE}
)


def numel(shape: tuple[int, ...]) -> int:
    return prod(shape) if shape else 1


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
    attrs: Mapping[str, Any] = field(default_factory=dict)
    params: int = 0
    macs: int = 0
    mem_access: int = 0
    fvcore_extra: int = 0
    block: str = ""
    span: Span = UNKNOWN_SPAN

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

    @property
    def weight_elems(self) -> int:
        return int(self.attrs.get("weight_elems", self.params))
