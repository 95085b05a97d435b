"""Mixed convolutions (MixConv): a ``conv`` whose ``k`` is a list, an ``mmb`` whose ``dw_k`` is a
list or whose 1×1 convs are split (``expand_split``, ``proj_split``). The channel pieces, the
graph they trace to, ``[k]`` meaning ``k``, and the located E155 for what cannot be split."""

from __future__ import annotations

import dataclasses

import pytest

import archspec
from archspec.blocks.conv import ConvPiece
from archspec.core.shapes import split_channels
from archspec.diagnostics import SpecError
from archspec.graph.op import OpKind

SPEC = """\
archspec: 1
name: t
input: {{channels: 3, size: 32}}
stem:
  - {{block: conv, out: 22, k: 3, stride: 2}}
  - {block}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""


def load(block: str) -> archspec.Document:
    return archspec.loads(SPEC.format(block=block), "t.yaml")


def resolved(block: str):
    return archspec.resolve(load(block)).section("stem")[1]


def errors(block: str) -> list[tuple[str, int, int]]:
    with pytest.raises(SpecError) as info:
        archspec.resolve(load(block))
    return [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics]


@pytest.mark.parametrize(("channels", "parts", "pieces"), [
    (22, 3, (8, 7, 7)), (24, 3, (8, 8, 8)), (5, 2, (3, 2)), (3, 3, (1, 1, 1)), (7, 1, (7,)),
])
def test_split_channels_gives_the_remainder_to_the_first_piece(channels, parts, pieces) -> None:
    assert split_channels(channels, parts) == pieces
    assert sum(pieces) == channels


def test_a_kernel_list_is_a_mixed_conv_with_one_piece_per_kernel() -> None:
    b = resolved("{block: conv, out: 22, k: [3, 5, 7], groups: depthwise, stride: 2}")
    assert b.k == (3, 5, 7) and b.padding == (1, 2, 3) and b.groups == 22
    assert b.mix == (ConvPiece(in_ch=8, out=8, k=3, padding=1, groups=8),
                     ConvPiece(in_ch=7, out=7, k=5, padding=2, groups=7),
                     ConvPiece(in_ch=7, out=7, k=7, padding=3, groups=7))
    assert b.out_shape == (22, 8, 8)


def test_a_dense_mixed_conv_splits_input_and_output_apart() -> None:
    b = resolved("{block: conv, out: 9, k: [1, 1]}")
    assert [(p.in_ch, p.out, p.groups) for p in b.mix] == [(11, 5, 1), (11, 4, 1)]


def test_the_graph_is_split_then_one_conv_per_piece_then_concat() -> None:
    graph = archspec.trace(archspec.resolve(load(
        "{block: conv, out: 22, k: [3, 5], groups: depthwise}")))
    ops = [op for op in graph.ops() if op.origin.block == "stem[1]"]
    kinds = [op.kind for op in ops]
    assert kinds == [OpKind.SPLIT, OpKind.SPLIT, OpKind.CONV, OpKind.CONV, OpKind.CONCAT,
                     OpKind.NORM, OpKind.ACT]
    assert sorted(op.attrs["k"] for op in ops if op.kind == OpKind.CONV) == [3, 5]


@pytest.mark.parametrize(("one", "plain"), [
    ("{block: conv, out: 22, k: [3], groups: depthwise}",
     "{block: conv, out: 22, k: 3, groups: depthwise}"),
    ("{block: mmb, out: 22, exp: 2, dw_k: [5], expand_split: 1, proj_split: 1}",
     "{block: mmb, out: 22, exp: 2, dw_k: 5}"),
])
def test_a_list_of_one_kernel_is_that_kernel(one: str, plain: str) -> None:
    a, b = resolved(one), resolved(plain)
    assert a == dataclasses.replace(b, origin=a.origin)
    a, b = archspec.analyze(load(one)), archspec.analyze(load(plain))
    assert (a.total.params, a.total.macs, a.total.mem_access) == (
        b.total.params, b.total.macs, b.total.mem_access)


def test_mmb_pieces_for_the_expansion_the_depthwise_conv_and_the_projection() -> None:
    b = resolved("{block: mmb, out: 23, exp: 3, dw_k: [3, 5, 7], expand_split: 2, "
                 "proj_split: 2}")
    assert b.mid == 66 and b.dw_k == (3, 5, 7) and b.padding == (1, 2, 3)
    assert [(p.in_ch, p.out) for p in b.expand_mix] == [(11, 33), (11, 33)]
    assert [(p.in_ch, p.k, p.groups) for p in b.dw_mix] == [(22, 3, 22), (22, 5, 22),
                                                             (22, 7, 22)]
    assert [(p.in_ch, p.out) for p in b.proj_mix] == [(33, 12), (33, 11)]


@pytest.mark.parametrize(("block", "field"), [
    ("{block: conv, out: 22, k: [3, 4]}", "k"),                        # 11×11 and 12×12
    ("{block: conv, out: 22, k: [3, 5], groups: 2}", "groups"),
    ("{block: conv, out: 33, k: [3, 5], groups: depthwise}", "k"),     # 11→17 pieces
    ("{block: conv, out: 2, k: [1, 1, 1]}", "k"),                      # 3 pieces of 2 channels
    ("{block: mmb, out: 22, exp: 1, expand: false, expand_split: 2}", "expand_split"),
    ("{block: mmb, out: 22, exp: 2, dw_k: [3, 5], groups: 2}", "groups"),
    ("{block: mmb, out: 4, exp: 2, proj_split: 5}", "proj_split"),
    ("{block: mmb, out: 22, exp: 2, dw_k: [3, 2]}", "dw_k"),
    ("{block: mmb, out: 22, exp: 2, f: attn, dim_head: 11, expand_split: 2}", "expand_split"),
])
def test_what_cannot_be_split_is_a_located_e155(block: str, field: str) -> None:
    column = 5 + block.index(f", {field}: ") + len(field) + 4  # the value's column, line 6
    assert errors(block) == [("E155", 6, column)]


def test_an_empty_kernel_list_is_refused_when_loading() -> None:
    with pytest.raises(SpecError) as info:
        load("{block: conv, out: 22, k: []}")
    assert [d.code for d in info.value.diagnostics] == ["E126"]
