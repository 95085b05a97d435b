"""Every op knows where it came from: block, family, enclosing blocks and the spec field.

Rules read these origins instead of family types, op names or path strings (decision 0019), so a
new family is linted by every rule as soon as its tracer names its fields.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.blocks import FAMILIES
from archspec.diagnostics import Span
from archspec.graph.op import OpKind
from archspec.graph.opgraph import OpGraph
from archspec.spec.resolved import ResolvedNet

SPECS = sorted((Path(__file__).parents[2] / "specs").glob("*.yaml"))

#: One block of every family, a parallel and a residual holding several, every field of
#: interest written.
EVERY_FAMILY = textwrap.dedent("""\
    archspec: 1
    name: origins
    input: {channels: 3, size: 16}
    stem:
      - {block: conv, out: 16, k: 3, stride: 2, norm: bn, act: relu}
      - {block: ghost, out: 16, ratio: 3, k: 1, dw_k: 3, norm: bn, act: relu}
    stages:
      - name: s1
        blocks:
          - block: mmb
            out: 16
            exp: 2
            dw_k: 5
            se: 0.25
            f: attn
            dim_head: 8
            window: 3
            pre_norm: ln
            expand_act: gelu
          - {block: shuffle, out: 16, dw_k: 3}
          - block: parallel
            branches:
              - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
              - [{block: pool, kind: max, k: 3, stride: 1, padding: 1}, {block: norm, norm: bn},
                 {block: act, act: relu6}, {block: conv, out: 16, k: 1}]
          - {block: transformer, partition: window, window: 5, heads: 2, mlp_ratio: 2,
             layer_scale: 0.1, final_norm: true}
          - block: residual
            blocks:
              - {block: conv, out: 32, k: 3, stride: 2}
              - {block: se, ratio: 0.25, act: silu}
            shortcut:
              - {block: conv, out: 32, k: 1, stride: 2, act: none}
            layer_scale: 0.5
          - {block: mqa, out: 32, heads: 2, dim_head: 8, kv_stride: 2}
          - {block: resize, scale: 1, mode: bilinear}
    head:
      - {block: pool, global: true}
      - {block: dropout, p: 0.1}
      - {block: linear, out: 10}
    """)


def _graph(text: str = EVERY_FAMILY) -> tuple[ResolvedNet, OpGraph]:
    net = archspec.resolve(archspec.loads(text, "origins.yaml"))
    return net, archspec.trace(net)


def _key_at(text: str, span: Span) -> str:
    """The YAML text from the key whose value starts at ``span`` (spans point at values)."""
    line = text.splitlines()[span.line - 1]
    before = line[:span.col - 1].rstrip()
    assert before.endswith(":"), (line, span)
    start = max(before.rfind(" "), before.rfind("{")) + 1
    return line[start:]


def test_every_op_carries_its_block_family_and_lineage() -> None:
    net, graph = _graph()
    blocks = {b.path: b for b in net.walk()}
    parents = {c.path: b.path for b in net.walk() for c in b.children()}
    families = set()
    for op in graph.ops():
        if op.kind in (OpKind.INPUT, OpKind.OUTPUT):
            assert op.origin.block == "" and op.origin.field is None
            continue
        block = blocks[op.origin.block]
        families.add(op.origin.family)
        assert op.origin.family == block.family, op.name
        assert op.origin.parent == parents.get(block.path), op.name
        assert op.origin.top == (op.origin.lineage[0] if op.origin.lineage else block.path)
        assert op.origin.block_span == block.origin.span == op.span
    # every family registered when this test was written (the UIB, added in parallel, is traced
    # by the shipped mobilenet_v4.yaml below)
    assert families >= set(FAMILIES) - {"uib"}


def test_nested_blocks_name_their_parallel_as_parent() -> None:
    _, graph = _graph()
    nested = [op for op in graph.ops() if op.origin.lineage]
    assert nested
    assert {op.origin.parent for op in nested} == {"stages.s1[2]", "stages.s1[4]"}
    assert {op.origin.family for op in nested} == {"conv", "pool", "norm", "act", "se"}


@pytest.mark.parametrize(("op_name", "field", "family"), [
    ("stem[0].conv", "k", "conv"),
    ("stem[0].norm", "norm", "conv"),
    ("stem[1].primary", "k", "ghost"),
    ("stem[1].primary_norm", "norm", "ghost"),
    ("stem[1].cheap", "dw_k", "ghost"),
    ("stem[1].cheap_act", "act", "ghost"),
    ("stem[1].concat", "ratio", "ghost"),
    ("stem[1].slice", "out", "ghost"),
    ("stages.s1[0].pre_norm", "pre_norm", "mmb"),
    ("stages.s1[0].qk", "dim_head", "mmb"),
    ("stages.s1[0].attn.softmax", "attn", "mmb"),
    ("stages.s1[0].expand", "exp", "mmb"),
    ("stages.s1[0].expand_act", "expand_act", "mmb"),
    ("stages.s1[0].dw", "dw_k", "mmb"),
    ("stages.s1[0].se.reduce", "se", "mmb"),
    ("stages.s1[0].proj", "out", "mmb"),
    ("stages.s1[0].skip", "skip", "mmb"),
    ("stages.s1[1].branch2.dw", "dw_k", "shuffle"),
    ("stages.s1[1].branch2.pw1", "out", "shuffle"),
    ("stages.s1[1].shuffle", "groups", "shuffle"),
    ("stages.s1[2].merge", "merge", "parallel"),
    ("stages.s1[2].branches[1][0].pool", "k", "pool"),
    ("stages.s1[2].branches[1][1].norm", "norm", "norm"),
    ("stages.s1[2].branches[1][2].act", "act", "act"),
    ("stages.s1[3].resize", "partition", "transformer"),
    ("stages.s1[3].layers.0.attn.qkv", "heads", "transformer"),
    ("stages.s1[3].layers.0.attn.softmax", "heads", "transformer"),
    ("stages.s1[3].layers.0.mlp.fc1", "mlp_ratio", "transformer"),
    ("stages.s1[3].layers.0.attn.ls", "layer_scale", "transformer"),
    ("stages.s1[3].layers.0.mlp.add", "depth", "transformer"),
    ("stages.s1[3].norm", "final_norm", "transformer"),
    ("stages.s1[4].layer_scale", "layer_scale", "residual"),
    ("stages.s1[4].blocks[0].conv", "k", "conv"),
    ("stages.s1[4].blocks[1].se.reduce", "ratio", "se"),
    ("stages.s1[4].blocks[1].se.act", "ratio", "se"),
    ("stages.s1[4].shortcut[0].conv", "k", "conv"),
    ("head[1].dropout", "p", "dropout"),
    ("head[2].linear", "out", "linear"),
])
def test_ops_name_the_spec_field_that_produced_them(op_name: str, field: str,
                                                    family: str) -> None:
    _, graph = _graph()
    op = next(op for op in graph.ops() if op.name == op_name)
    assert (op.origin.field, op.origin.family) == (field, family)
    written = op.origin.field_spans.get(field)
    assert op.origin.span == (written if written is not None else op.origin.block_span)
    if written is not None:
        assert _key_at(EVERY_FAMILY, op.origin.span).startswith(f"{field}:")


def test_a_residual_add_points_at_its_shortcut_else_at_the_block() -> None:
    """The add of a projection shortcut names `shortcut:` (its span: the list's first block);
    an identity shortcut writes no field, so the add points at the residual block."""
    net, graph = _graph()
    add = next(op for op in graph.ops() if op.name == "stages.s1[4].skip")
    assert (add.origin.field, add.origin.family) == ("shortcut", "residual")
    shortcut = next(b for b in net.walk() if b.path == "stages.s1[4].shortcut[0]")
    assert add.origin.span.line == shortcut.origin.span.line
    text = "\n".join(line for line in EVERY_FAMILY.splitlines()
                     if "shortcut:" not in line and "k: 1, stride: 2" not in line)
    text = text.replace("{block: conv, out: 32, k: 3, stride: 2}", "{block: conv, out: 24, k: 3}")
    net, graph = _graph(text)
    add = next(op for op in graph.ops() if op.name == "stages.s1[4].skip")
    block = next(b for b in net.walk() if b.path == "stages.s1[4]")
    assert add.origin.span == block.origin.span


def test_a_depthwise_kernel_is_k_on_the_graph_and_dw_k_in_the_origin() -> None:
    _, graph = _graph()
    dw = next(op for op in graph.ops() if op.name == "stages.s1[0].dw")
    assert dw.attrs["k"] == 5 and "dw_k" not in dw.attrs
    assert dw.origin.field_of("k") == "dw_k"
    assert _key_at(EVERY_FAMILY, dw.origin.span_of("k")).startswith("dw_k: 5")


def test_attention_ops_carry_window_heads_and_padding() -> None:
    _, graph = _graph()
    scores = next(op for op in graph.ops() if op.name == "stages.s1[0].attn.scores")
    # 8×8 map, window 3: padded to 9×9 (bottom 1, right 1), 3×3 windows; 16 channels / 8 = 2 heads
    assert scores.attrs["window"] == (3, 3)
    assert scores.attrs["padding"] == (1, 1)
    assert scores.attrs["windows"] == (3, 3)
    assert scores.attrs["map"] == (8, 8)
    assert (scores.attrs["heads"], scores.attrs["dim_head"]) == (2, 8)
    assert _key_at(EVERY_FAMILY, scores.origin.span_of("window")).startswith("window: 3")


def test_a_global_attention_says_so_with_no_window() -> None:
    text = EVERY_FAMILY.replace("window: 3", "partition: global")
    _, graph = _graph(text)
    scores = next(op for op in graph.ops() if op.name == "stages.s1[0].attn.scores")
    assert scores.attrs["window"] is None and scores.attrs["padding"] == (0, 0)


def test_pool_ops_say_mode_not_kind() -> None:
    _, graph = _graph()
    pools = [op for op in graph.ops() if op.kind == OpKind.POOL]
    assert {(op.attrs["mode"], op.attrs["global_pool"]) for op in pools} == {
        ("avg", True), ("max", False)}
    assert not any("kind" in op.attrs or "global_" in op.attrs for op in pools)


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_shipped_specs_every_op_has_a_field(path: Path) -> None:
    doc = archspec.load(path)
    for variant in list(doc.variants)[:1] or [None]:
        net = archspec.resolve(doc, variant)
        for op in archspec.trace(net).ops():
            if op.kind not in (OpKind.INPUT, OpKind.OUTPUT):
                assert op.origin.field, op.name


def test_a_finding_on_an_op_points_at_its_field() -> None:
    """H102 on a depthwise conv points at the `dw_k` the block wrote, the op's field."""
    text = EVERY_FAMILY.replace("dw_k: 5", "dw_k: 9")
    findings = archspec.lint(archspec.loads(text, "origins.yaml"), select=["H102"])
    assert findings
    d = findings[0]
    _, graph = _graph(text)
    dw = next(op for op in graph.ops() if op.name == "stages.s1[0].dw")
    assert d.span == dw.origin.span_of("k")
    assert _key_at(text, d.span).startswith("dw_k: 9")


def test_a_missing_operator_points_at_the_field_that_chose_it(tmp_path: Path) -> None:
    """H104 anchors at the field that chose the operator (`se_gate: hardsigmoid`), else the block."""
    text = EVERY_FAMILY.replace("se: 0.25", "se: 0.25\n        se_gate: hardsigmoid")
    target = tmp_path / "lacks.yaml"
    target.write_text("select: [ALL]\nrules:\n  H104:\n    lacks: [hardsigmoid, softmax]\n")
    findings = {d.data["operator"]: d for d in archspec.lint(
        archspec.loads(text, "origins.yaml"), target=str(target), select=["H104"])}
    assert _key_at(text, findings["hardsigmoid"].span).startswith("se_gate: hardsigmoid")
    net, _ = _graph(text)
    block = next(b for b in net.walk() if b.path == "stages.s1[0]")
    assert findings["softmax"].span == block.origin.span  # no field chooses a softmax
