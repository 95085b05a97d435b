"""Metamorphic properties of the analysis: how the figures must move when the spec moves.

* Scaling every width (and the input channels) of a conv network by an integer k multiplies the
  multiply-accumulates of every conv and linear by exactly k² (MACs count no bias; groups stay).
* A width multiplier k with divisor 1 gives exactly the network with every width written ×k.
* Adding a shape-preserving block never lowers params or MACs, and adds exactly its own.
* Every 1×1 conv of a stride-1 ShuffleNet V2 unit (out == in) meets guideline G1's bound: memory
  access hw(c1+c2)+c1c2 equals 2·√(hw·B) + B/hw, a G1 figure of 1.0.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import archspec
from archspec.graph.op import OpKind, numel
from archspec.testing.strategies import blocks, documents, shufflenets

from ._support import examples, load_generated

CONV_FAMILIES = ("conv", "pool", "act", "norm", "dropout", "linear")


def _scale_outs(doc: dict[str, Any], k: int, *, classifier: bool = True) -> dict[str, Any]:
    """Every written width ×k (the head's last linear only if ``classifier``)."""
    doc = copy.deepcopy(doc)
    head = doc.get("head") or []
    last_linear = max((i for i, b in enumerate(head) if b.get("block") == "linear"),
                      default=None)

    def walk(node: Any, is_classifier: bool = False) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("out"), int) and (classifier or not is_classifier):
                node["out"] *= k
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for key in ("stem", "stages"):
        walk(doc.get(key))
    for i, b in enumerate(head):
        walk(b, is_classifier=i == last_linear)
    return doc


def _macs_by_op(doc: archspec.spec.document.Document
                ) -> dict[str, tuple[OpKind, int, tuple[int, ...]]]:
    """op name → (kind, MACs, (input widths…, output width, groups))."""
    a = archspec.analyze(doc)
    return {op.name: (op.kind, op.macs, (*(s[0] for s in op.in_shapes if s), op.out_shape[0],
                                         op.attrs.get("groups", 1)))
            for op in a.graph.ops()}


@settings(max_examples=examples(cheap=True))
@given(document=documents(families=CONV_FAMILIES, variants=False, width=False),
       k=st.sampled_from([2, 3]))
def test_scaling_widths_scales_macs_by_k_squared(document: dict[str, Any], k: int) -> None:
    """Every op whose widths all scale by k (and its groups not) does k² the MACs; a depthwise
    conv, whose groups scale with its width, k×. A MixConv piece may not scale by k at all
    (channels split into equal parts, the remainder to the first: 3 = 2 + 1, but 6 = 3 + 3); its
    MACs are then free to differ, and so is the total."""
    scaled = _scale_outs(document, k)
    scaled["input"] = {**scaled["input"], "channels": scaled["input"].get("channels", 3) * k}
    base, big = _macs_by_op(load_generated(document, "base.yaml")), \
        _macs_by_op(load_generated(scaled, "scaled.yaml"))
    assert base.keys() == big.keys()
    proportional = True
    for name, (kind, macs, widths) in base.items():
        if kind == OpKind.CONV:
            assert macs > 0, name
        *chans, groups = widths
        *big_chans, big_groups = big[name][2]
        if big_chans != [k * w for w in chans] or big_groups not in (groups, k * groups):
            proportional = False
            continue
        factor = k * k if big_groups == groups else k
        proportional = proportional and factor == k * k
        assert big[name][1] == factor * macs, f"{name} ({kind}): {macs} → {big[name][1]}"
    if proportional:
        assert sum(m for _, m, _ in big.values()) == k * k * sum(m for _, m, _ in base.values())
    event(f"conv ops: {min(3, sum(kind == OpKind.CONV for kind, _, _ in base.values()))}+")
    event(f"every op's widths scale by k: {proportional}")


@settings(max_examples=examples(cheap=True))
@given(document=documents(families=CONV_FAMILIES, variants=False, width=False),
       k=st.sampled_from([2, 3]))
def test_width_multiplier_is_writing_every_width_k_times(document: dict[str, Any],
                                                        k: int) -> None:
    multiplied = {**copy.deepcopy(document), "width": {"mult": float(k), "divisor": 1}}
    written = _scale_outs(document, k, classifier=False)
    a = archspec.analyze(load_generated(multiplied, "multiplied.yaml"))
    b = archspec.analyze(load_generated(written, "written.yaml"))
    assert [(op.name, op.out_shape, op.params, op.macs) for op in a.graph.ops()] == \
        [(op.name, op.out_shape, op.params, op.macs) for op in b.graph.ops()]


@st.composite
def _insertions(draw: Any) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """A document, a stem position whose input is a feature map, and a block that keeps it."""
    document = draw(documents(variants=False))
    net = archspec.resolve(archspec.loads(archspec.dump(document)))
    stem = [b for b in net.blocks if b.origin.section == "stem"]
    shapes = [b.in_shape for b in stem] + [stem[-1].out_shape if stem else net.input_shape]
    spots = [i for i, s in enumerate(shapes) if len(s) == 3]
    i = draw(st.sampled_from(spots))
    return document, i, draw(blocks(shapes[i], keep_shape=True))


@settings(max_examples=examples(cheap=True))
@given(case=_insertions())
def test_adding_a_block_adds_exactly_its_own_costs(case: tuple[dict, int, dict]) -> None:
    document, i, block = case
    note(f"inserted at stem[{i}]: {block}")
    bigger = copy.deepcopy(document)
    bigger.setdefault("stem", []).insert(i, block)
    before = archspec.analyze(load_generated(document, "before.yaml"))
    after = archspec.analyze(load_generated(bigger, "after.yaml"))
    added = after.blocks[i]
    assert added.path == f"stem[{i}]" and added.output_shape == added.input_shape
    assert after.total.params >= before.total.params
    assert after.total.macs >= before.total.macs
    assert after.total.params == before.total.params + added.params
    assert after.total.macs == before.total.macs + added.macs
    assert after.total.output_shape == before.total.output_shape
    rest = [(b.family, b.params, b.macs, b.output_shape) for b in after.blocks[:i] +
            after.blocks[i + 1:]]
    assert rest == [(b.family, b.params, b.macs, b.output_shape) for b in before.blocks]


def _g1(op: Any) -> float:
    """Memory access of a 1×1 conv over G1's bound at the same work (Ma et al. 2018, §2)."""
    c1, c2 = op.in_shapes[0][-3], op.out_shape[-3]
    hw = numel(op.out_shape) // c2
    try:
        from archspec.rules.conv_memory import ConvFigure
    except ImportError:  # pragma: no cover - before the rules existed
        b = hw * c1 * c2
        return op.mem_access / (2 * math.sqrt(hw * b) + b / hw)
    figure = ConvFigure(node=0, op=op, c1=c1, c2=c2, hw=hw, k=1, groups=1)
    assert figure.mem_access == op.mem_access, "the cost model and G1 count differently"
    return figure.ratio


@settings(max_examples=examples(cheap=True))
@given(document=shufflenets())
def test_shufflenet_stride1_units_meet_g1(document: dict[str, Any]) -> None:
    doc = load_generated(document, "shufflenet.yaml")
    net = archspec.resolve(doc)
    graph = archspec.trace(net)
    units = [b for b in net.blocks if b.family == "shuffle" and b.stride == 1]
    assert units, "a ShuffleNet with no stride-1 unit"
    for unit in units:
        assert unit.in_shape == unit.out_shape
        convs = [op for op in graph.ops_of(unit.path) if op.kind == OpKind.CONV
                 and op.attrs["k"] == 1]
        assert len(convs) == 2, [op.name for op in convs]  # branch2.pw1, branch2.pw2
        for op in convs:
            c1, c2 = op.in_shapes[0][-3], op.out_shape[-3]
            hw = numel(op.out_shape) // c2
            assert op.mem_access == hw * (c1 + c2) + c1 * c2, op.name
            assert math.isclose(_g1(op), 1.0, rel_tol=1e-12), (op.name, _g1(op))
