"""A `mul` with a learnable operand (layer scale's γ) counts that operand as its parameters and
reads it once as weights; a `mul` by a constant (attention's scale) stays parameter-free."""

from __future__ import annotations

import textwrap

import archspec
from archspec.graph.builder import GraphBuilder
from archspec.graph.op import OpKind

ONE_UIB = textwrap.dedent("""\
    archspec: 1
    name: ls
    input: {channels: 8, size: 4}
    stem:
      - {block: uib, out: 8, exp: 2, dw_k: 3, layer_scale: 1.0e-5}
    """)


def _layer_scale_op(text: str) -> object:
    a = archspec.analyze(archspec.loads(text, "ls.yaml"))
    (op,) = [o for o in a.graph.ops() if o.name.endswith("layer_scale")]
    return op


def test_layer_scale_counts_gamma_as_parameters_and_weights() -> None:
    op = _layer_scale_op(ONE_UIB)
    assert op.kind == OpKind.MUL
    # γ: one per output channel; memory access: in 8·4·4 + out 8·4·4 + weights 8
    assert op.params == 8
    assert op.macs == 0
    assert op.mem_access == 128 + 128 + 8


def test_layer_scale_adds_exactly_gamma_to_the_block() -> None:
    without = archspec.analyze(archspec.loads(ONE_UIB.replace(", layer_scale: 1.0e-5", ""),
                                              "plain.yaml"))
    with_ls = archspec.analyze(archspec.loads(ONE_UIB, "ls.yaml"))
    assert with_ls.total.params == without.total.params + 8
    assert with_ls.total.macs == without.total.macs
    assert with_ls.total.mem_access == without.total.mem_access + 128 + 128 + 8


def test_a_constant_scale_has_no_parameters() -> None:
    g = GraphBuilder((4, 2, 2))
    g.scale(g.input, "attn.scale", 0.5)
    (op,) = [o for o in g.finish(g.input).ops() if o.kind == OpKind.MUL]
    assert "params" not in op.attrs
    assert (op.params, op.mem_access) == (0, 16 + 16)
