"""Kernels: the op graph as a target runs it, after the target's fusions.

The OpGraph counts every primitive op as the ShuffleNet V2 cost model does: each reads its inputs
and writes its output. A deployment runtime fuses some of them: BatchNorm folds into the conv
before it, an activation (or a residual add) runs in the conv's epilogue, a fused attention kernel
never writes its score matrix, ShuffleNet V2's implementation merges concat and channel shuffle
into one copy. :func:`kernels` applies the fusions a target states (:class:`Fusion`) in one pass
over the graph in topological order and returns, per op, the kernel it runs in and the memory
access it still costs; views (split, flatten, non-copy reshapes, eval dropout) run in no kernel.

G3 counts kernels; G4 sums the memory access of element-wise ops. A fused op costs nothing extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archspec.graph.op import ELEMENTWISE_KINDS, Op, OpKind, numel

if TYPE_CHECKING:
    from archspec.graph.opgraph import OpGraph
    from archspec.rules.targets import Fusion

_PRODUCERS = (OpKind.CONV, OpKind.LINEAR)
#: the op kinds a fusion may put into the kernel before them
_FUSABLE = frozenset({OpKind.NORM, OpKind.ACT, OpKind.ADD, OpKind.SHUFFLE, OpKind.MUL,
                      OpKind.SOFTMAX, OpKind.MATMUL})


def _port(edge: tuple[int, Mapping[str, Any]]) -> int:
    port = edge[1]["port"]
    assert isinstance(port, int)
    return port


@dataclass
class Kernel:
    """One launched kernel: its anchor op and the ops fused into it (anchor first)."""

    anchor: int
    ops: list[int] = field(default_factory=list)
    kind: OpKind = OpKind.CONV
    block: str = ""  # the anchor's (leaf) block path
    macs: int = 0
    gemm_macs: int = 0  # work of one independent GEMM/conv in the kernel (batched matmuls split)

    @property
    def tail(self) -> int:
        return self.ops[-1]


@dataclass
class KernelMap:
    """Per op node: its kernel's anchor (None for views) and its memory access after fusion."""

    kernels: dict[int, Kernel]
    kernel_of: dict[int, int | None]
    mem_access: dict[int, int]
    fused: set[int]

    def is_fused(self, node: int) -> bool:
        return node in self.fused


def is_depthwise(op: Op) -> bool:
    """A k×k conv with one input channel per group (groups == in == out channels)."""
    if op.kind != OpKind.CONV:
        return False
    cin = op.in_shapes[0][-3]
    return op.attrs.get("groups", 1) == cin == op.out_shape[-3] and cin > 1


def is_elementwise(op: Op) -> bool:
    return op.kind in ELEMENTWISE_KINDS


def gemm_work(op: Op) -> int:
    """The work of one independent GEMM in an op: a batched matmul runs many small ones."""
    if op.kind == OpKind.MATMUL:
        *batch, m, k = op.in_shapes[0]
        return m * k * op.in_shapes[1][-1]
    return op.macs


def kernels(graph: OpGraph, fusion: Fusion) -> KernelMap:
    """Assign every op to a kernel under ``fusion``; O(ops + edges)."""
    g = graph.graph
    ks: dict[int, Kernel] = {}
    kernel_of: dict[int, int | None] = {}
    mem: dict[int, int] = {}
    fused: set[int] = set()
    acts = set(fusion.act_into_conv)

    def tail_kernel(node: int, kinds: tuple[OpKind, ...]) -> Kernel | None:
        """The kernel ``node`` ends, if its anchor is one of ``kinds`` and only one op reads it."""
        anchor = kernel_of.get(node)
        if anchor is None:
            return None
        k = ks[anchor]
        if k.kind not in kinds or k.tail != node or g.out_degree(node) != 1:
            return None
        return k

    def join(node: int, k: Kernel, cost: int = 0) -> None:
        k.ops.append(node)
        kernel_of[node] = k.anchor
        mem[node] = cost
        fused.add(node)

    for node, op in zip(graph.order, graph.ops(), strict=True):
        mem[node] = op.mem_access
        if op.is_view or op.kind in (OpKind.INPUT, OpKind.OUTPUT):
            kernel_of[node] = None
            continue
        kind = op.kind
        host: Kernel | None = None
        if kind in _FUSABLE:  # the others always start a kernel: no need for their inputs
            preds = [u for u, _ in sorted(g.pred[node].items(), key=_port)]
        if kind == OpKind.NORM and op.attrs.get("type") == "bn" and fusion.norm_into_conv:
            host = tail_kernel(preds[0], _PRODUCERS)
        elif kind == OpKind.ACT and op.attrs.get("type") in acts:
            host = tail_kernel(preds[0], _PRODUCERS)
        elif kind == OpKind.ADD and fusion.add_into_conv:
            for p in reversed(preds):  # the residual branch is the second operand
                host = tail_kernel(p, _PRODUCERS)
                if host is not None:
                    break
        elif kind == OpKind.SHUFFLE and fusion.concat_shuffle:
            host = tail_kernel(preds[0], (OpKind.CONCAT,))
        elif fusion.attention and kind in (OpKind.MUL, OpKind.SOFTMAX) and len(preds) == 1:
            host = tail_kernel(preds[0], (OpKind.MATMUL,))
            if host is not None and kind == OpKind.MUL and "scalar" not in op.attrs:
                host = None
        elif fusion.attention and kind == OpKind.MATMUL:
            host = tail_kernel(preds[0], (OpKind.MATMUL,))
            if host is not None and g.nodes[host.tail]["op"].kind != OpKind.SOFTMAX:
                host = None
            if host is not None:  # the score matrix is neither written nor read back
                scores = g.nodes[host.anchor]["op"]
                mem[host.anchor] = scores.in_elems
                join(node, host, numel(op.in_shapes[1]) + op.out_elems)
                host.macs += op.macs
                continue
        if host is not None:
            join(node, host)
            host.macs += op.macs
            continue
        ks[node] = Kernel(anchor=node, ops=[node], kind=op.kind, block=op.block, macs=op.macs,
                          gemm_macs=gemm_work(op))
        kernel_of[node] = node
    return KernelMap(ks, kernel_of, mem, fused)
