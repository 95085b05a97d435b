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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from math import prod

from archspec.graph.op import Op, OpKind
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


def _pool_class(op: Op) -> str:
    a = op.attrs
    return f"pool.{a['mode']}.global" if a.get("global_pool") else f"pool.{a['mode']}"


#: Kind → its class (``add``, ``matmul``, ``softmax``…: the kind's name), or the function that
#: reads it from the op. A table rather than a chain of tests: prediction asks once per op.
_CLASS_OF: dict[OpKind, str | Callable[[Op], str]] = {
    **{kind: str(kind.value) for kind in OpKind},
    OpKind.CONV: _conv_class,
    OpKind.NORM: lambda op: f"norm.{op.attrs['type']}",
    OpKind.ACT: lambda op: f"act.{op.attrs['type']}",
    OpKind.MUL: lambda op: "mul.scalar" if "scalar" in op.attrs else "mul",
    OpKind.POOL: _pool_class,
    OpKind.RESHAPE: lambda op: "copy" if op.attrs.get("copy") else "view",
    OpKind.SPLIT: lambda op: "view",
    OpKind.FLATTEN: lambda op: "view",
}


def kernel_class(op: Op) -> str | None:
    """The class of ``op``'s kernel; None for an op no backend runs (the graph's ends, dropout)."""
    kind = op.kind
    if kind in FREE_KINDS:
        return None
    of = _CLASS_OF[kind]
    return of if isinstance(of, str) else of(op)


#: Kernel groups: classes that share how their time changes inside a network (caches shared
#: with neighbours, weights cold, dispatch through modules), so the network correction fits one
#: factor per group rather than per class (networks alone cannot tell thirty classes apart).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pointwise", ("conv.pw", "conv.grouped.pw")),
    ("depthwise", ("conv.dw",)),
    ("gemv", ("conv.gemv", "linear")),
    ("conv", ("conv",)),
    ("attention", ("attention", "matmul", "softmax")),
    ("elementwise", ("act", "norm", "add", "mul", "pad", "crop", "resize")),
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
    ins = op.in_shapes
    read = prod(ins[0]) if len(ins) == 1 else sum(map(prod, ins))  # prod(()) = numel(()) = 1
    return (1.0, float(op.macs), float(read), float(prod(op.out_shape)), float(op.params))


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
    succ = graph.graph._succ  # networkx's own successor dicts: its views cost a call each
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


def summed_features(ops: Iterable[Op]) -> tuple[float, ...]:
    """The features of a chain run as one kernel: its ops' features summed, one call."""
    total = [sum(column, 0.0) for column in zip(*map(features, ops), strict=True)]
    total[0] = 1.0  # one call
    return tuple(total)


def kernels(graph: OpGraph, fusion: Sequence[FusionRule] = ()) -> Iterator[Kernel]:
    """The graph's kernels in traced order, fused as ``fusion`` says."""
    for cls, head, fused, _, *counts in kernel_rows(graph, fusion):
        yield Kernel(cls, (1.0, *(float(v) for v in counts)), (head, *fused))


#: One kernel as prediction reads it, flat: class, the node it heads, the nodes fused into it,
#: the top-level block it belongs to (its head's ``origin.top``), then its features after
#: ``calls`` (always one): MACs, elements read, elements written, weights (ints as counted,
#: floats where a fused chain summed them).
Row = tuple[str, int, tuple[int, ...], str, float, float, float, float]


def kernel_rows(graph: OpGraph, fusion: Sequence[FusionRule] = ()) -> list[Row]:
    """:func:`kernels` as a list of flat tuples: what prediction iterates, once per op of the
    network on every call. One loop with :func:`kernel_class` and :func:`features` written out
    (no generator, one tuple and no record per kernel, no float conversions): less than half
    the time of going through them (benchmarks/predict_speed.py)."""
    op_of = graph.op_of
    free = FREE_KINDS
    class_of = _CLASS_OF
    absorbed: set[int] = set()
    rules_of: dict[str, list[FusionRule]] = {}
    rows: list[Row] = []
    append = rows.append
    for node in graph.order:
        op = op_of[node]
        kind = op.kind
        if kind in free or node in absorbed:
            continue
        of = class_of[kind]
        cls = of if type(of) is str else of(op)  # type: ignore[operator]
        if fusion:
            rules = rules_of.get(cls)
            if rules is None:
                rules = rules_of[cls] = [r for r in fusion if r.heads(cls)]
            if rules:
                fused = _fused(graph, node, cls, rules, absorbed)
                if fused is not None:
                    append(fused)
                    continue
        ins = op.in_shapes
        read = prod(ins[0]) if len(ins) == 1 else sum(map(prod, ins))  # prod(()) = 1 = numel(())
        origin = op.origin
        top = origin.lineage[0] if origin.lineage else origin.block  # OpOrigin.top, inlined
        append((cls, node, (), top, op.macs, read, prod(op.out_shape), op.params))
    return rows


@dataclass(frozen=True)
class KernelTable:
    """A graph's kernels as a backend with ``fusion`` runs them: everything a prediction needs
    from the graph, shared by every profile with that fusion. Listing them is most of a
    prediction's time; to predict one graph on many profiles, build the table once
    (:func:`kernel_table`) and pass it to :func:`~archspec.latency.predict.predict`."""

    graph: OpGraph
    fusion: tuple[FusionRule, ...]
    rows: tuple[Row, ...]


def kernel_table(graph: OpGraph, fusion: Sequence[FusionRule] = ()) -> KernelTable:
    return KernelTable(graph, tuple(fusion), tuple(kernel_rows(graph, fusion)))


def _fused(graph: OpGraph, node: int, cls: str, rules: list[FusionRule], absorbed: set[int]
           ) -> Row | None:
    """The kernel the first of ``rules`` that fuses anything makes at ``node`` (its absorbed
    nodes added to ``absorbed``), None when none does."""
    op_of = graph.op_of
    for rule in rules:
        nodes = _chain(graph, node, rule)
        if len(nodes) == 1:
            continue
        absorbed.update(nodes[1:])
        feats = features(op_of[node]) if rule.as_class is None else \
            summed_features(op_of[n] for n in nodes)
        return (rule.as_class or cls, node, tuple(nodes[1:]), op_of[node].origin.top,
                feats[1], feats[2], feats[3], feats[4])
    return None


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
