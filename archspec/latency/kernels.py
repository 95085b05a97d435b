"""What a backend runs as one kernel, and the numbers a kernel's latency is predicted from.

Every op of an :class:`~archspec.graph.opgraph.OpGraph` falls into one kernel *class* (a
depthwise 3×3 conv at stride 1, a GELU, a window-partition copy…): ops of one class run the same
code on a backend, so one fitted model per class predicts them all. A kernel's *features* are
counts that any backend's time grows with: one call, multiply-accumulates, elements read, elements
written, weights. A device profile stores, per class, one non-negative coefficient per feature.

Which ops the backend runs as one kernel is the profile's ``fusion`` (ONNX Runtime folds a
BatchNorm into the conv before it and runs a ReLU inside the conv; eager torch runs every op by
itself): an absorbed op costs nothing of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from archspec.graph.op import Op, OpKind, numel
from archspec.graph.opgraph import OpGraph

#: The features of every kernel, in the order a profile's coefficients are written.
FEATURES: tuple[str, ...] = ("calls", "macs", "in_elems", "out_elems", "weight_elems")

#: Kinds that run nothing on any backend (eval-mode dropout, the graph's ends).
FREE_KINDS = frozenset({OpKind.INPUT, OpKind.OUTPUT, OpKind.DROPOUT})


def _conv_class(op: Op) -> str:
    a = op.attrs
    k, groups, stride = a["k"], a["groups"], a["stride"]
    cin = op.in_shapes[0][-3]
    if groups == 1 and k == 1 and op.out_shape[-1] * op.out_shape[-2] == 1:
        return "conv.gemv"  # a 1×1 conv on a 1×1 map (SE's convs): a matrix-vector product,
        # bound by reading its weights, not by its arithmetic
    if groups == 1:
        base = "conv.pw" if k == 1 else f"conv.k{k}"
    elif groups == cin:
        base = f"conv.dw.k{k}"
    else:
        base = "conv.grouped.pw" if k == 1 else "conv.grouped"
    return f"{base}.s2" if stride > 1 else base


def kernel_class(op: Op) -> str | None:
    """The class of ``op``'s kernel; None for an op no backend runs (the graph's ends, dropout)."""
    kind = op.kind
    if kind in FREE_KINDS:
        return None
    a = op.attrs
    if kind == OpKind.CONV:
        return _conv_class(op)
    if kind == OpKind.NORM:
        return f"norm.{a['type']}"
    if kind == OpKind.ACT:
        return f"act.{a['type']}"
    if kind == OpKind.MUL:
        return "mul.scalar" if "scalar" in a else "mul"
    if kind == OpKind.POOL:
        return f"pool.{a['mode']}.global" if a.get("global_pool") else f"pool.{a['mode']}"
    if kind == OpKind.RESHAPE:
        return "copy" if a.get("copy") else "view"
    if kind in (OpKind.SPLIT, OpKind.FLATTEN):
        return "view"
    return str(kind.value)


#: Kernel groups: classes that share how their time changes inside a network (caches shared
#: with neighbours, weights cold, dispatch through modules), so the network correction fits one
#: factor per group rather than per class (networks alone cannot tell thirty classes apart).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pointwise", ("conv.pw", "conv.grouped.pw")),
    ("depthwise", ("conv.dw",)),
    ("gemv", ("conv.gemv", "linear")),
    ("conv", ("conv",)),
    ("attention", ("attention", "matmul", "softmax")),
    ("elementwise", ("act", "norm", "add", "mul", "pad", "crop")),
    ("layout", ("copy", "concat", "shuffle", "view")),
    ("pool", ("pool",)),
)


def kernel_group(cls: str) -> str:
    """The group of a kernel class (:data:`GROUPS`, first match by prefix); ``other`` else."""
    for group, prefixes in GROUPS:
        for prefix in prefixes:
            if cls == prefix or cls.startswith(prefix + "."):
                return group
    return "other"


def features(op: Op) -> tuple[float, ...]:
    """The values of :data:`FEATURES` for one op (per image)."""
    weights = op.params
    return (1.0, float(op.macs), float(sum(numel(s) for s in op.in_shapes)),
            float(numel(op.out_shape)), float(weights))


@dataclass(frozen=True, slots=True)
class Kernel:
    """One kernel the backend runs: its class, features, and the graph nodes it covers (the
    first is the op whose class and features it has; the rest were fused into it)."""

    cls: str
    features: tuple[float, ...]
    nodes: tuple[int, ...]


@dataclass(frozen=True)
class FusionRule:
    """Ops a backend runs as one kernel: a head of class ``into`` (a class or a prefix of one,
    ``conv``) followed by ``absorbs``, each consuming the previous op's output and nothing else
    consuming it. Without ``as_class`` each absorbed op is optional and free (ONNX Runtime folds
    a BatchNorm into the conv and runs a ReLU in its epilogue): the kernel keeps the head's class
    and features. With ``as_class`` the whole chain must match and becomes one kernel of that
    class, its features summed over the chain (eager torch runs q·kᵀ, the scale, the softmax and
    the product with v as one ``scaled_dot_product_attention``: class ``attention``)."""

    into: str
    absorbs: tuple[str, ...]
    as_class: str | None = None

    def heads(self, cls: str) -> bool:
        return cls == self.into or cls.startswith(self.into + ".")


def _chain(graph: OpGraph, node: int, rule: FusionRule) -> list[int]:
    """The nodes ``rule`` fuses into the kernel headed by ``node`` (``node`` first)."""
    op_of = graph.op_of
    succ = graph.graph.succ
    nodes = [node]
    tail = node
    for absorb in rule.absorbs:
        after = succ[tail]
        if len(after) != 1:
            break
        (candidate,) = after
        if kernel_class(op_of[candidate]) != absorb:
            if rule.as_class is not None:
                break
            continue
        tail = candidate
        nodes.append(tail)
    if rule.as_class is not None and len(nodes) != len(rule.absorbs) + 1:
        return [node]
    return nodes


def _summed(ops: Iterable[Op]) -> tuple[float, ...]:
    total = [0.0] * len(FEATURES)
    for op in ops:
        for i, v in enumerate(features(op)):
            total[i] += v
    total[0] = 1.0  # one call
    return tuple(total)


def kernels(graph: OpGraph, fusion: Sequence[FusionRule] = ()) -> Iterator[Kernel]:
    """The graph's kernels in traced order, fused as ``fusion`` says."""
    op_of = graph.op_of
    absorbed: set[int] = set()
    for node in graph.order:
        if node in absorbed:
            continue
        op = op_of[node]
        cls = kernel_class(op)
        if cls is None:
            continue
        for rule in fusion:
            if not rule.heads(cls):
                continue
            nodes = _chain(graph, node, rule)
            if len(nodes) == 1:
                continue
            absorbed.update(nodes[1:])
            if rule.as_class is not None:
                yield Kernel(rule.as_class, _summed(op_of[n] for n in nodes), tuple(nodes))
            else:
                yield Kernel(cls, features(op), tuple(nodes))
            break
        else:
            yield Kernel(cls, features(op), (node,))


def class_totals(kernel_list: Iterable[Kernel]) -> Mapping[str, list[float]]:
    """Per class, the sum of its kernels' features: what a network's time is linear in."""
    totals: dict[str, list[float]] = {}
    for k in kernel_list:
        row = totals.setdefault(k.cls, [0.0] * len(FEATURES))
        for i, v in enumerate(k.features):
            row[i] += v
    return totals


#: What eager torch runs as one kernel, beyond one op each: archspec's attention modules call
#: ``scaled_dot_product_attention`` (nn/mmb.py), which the graph traces as its four ops.
TORCH_FUSION: tuple[FusionRule, ...] = (
    FusionRule("matmul", ("mul.scalar", "softmax", "matmul"), as_class="attention"),
)
