"""Resolution: defaults, templates, variants, width policy and located buildability errors."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.core.shapes import make_divisible
from archspec.diagnostics import SpecError

BASE = """\
archspec: 1
name: t
input: {{channels: 3, size: {size}}}
{extra}
stem:
  - {{block: conv, out: 16, k: 3, stride: 2}}
stages:
  - name: s1
    out: 24
    depth: 3
    block: {{block: mmb, exp: 4.0}}
    first: {{stride: 2}}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
{variants}
"""


def doc(size: int = 32, extra: str = "", variants: str = "") -> archspec.spec.document.Document:
    return archspec.loads(BASE.format(size=size, extra=extra, variants=variants), "t.yaml")


def errors_of(text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(SpecError) as info:
        archspec.resolve(archspec.loads(textwrap.dedent(text), "bad.yaml"))
    return [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics]


@pytest.mark.parametrize("value", [3, 8, 12, 15.9, 16, 20, 24.5, 30, 37.5, 44.8, 100, 1280 * 1.4])
@pytest.mark.parametrize("divisor", [4, 8, 16])
def test_make_divisible_matches_torchvision(value: float, divisor: int) -> None:
    from torchvision.models._utils import _make_divisible

    assert make_divisible(value, divisor) == _make_divisible(value, divisor)


def test_template_expands_with_first_block_overrides() -> None:
    net = archspec.resolve(doc())
    stage = net.section("stages")
    assert [b.path for b in stage] == ["stages.s1[0]", "stages.s1[1]", "stages.s1[2]"]
    assert [b.stride for b in stage] == [2, 1, 1]
    assert [b.in_shape for b in stage] == [(16, 16, 16), (24, 8, 8), (24, 8, 8)]
    assert [b.mid for b in stage] == [64, 96, 96]  # exp · in, in = 16 then 24
    assert [b.skip for b in stage] == [False, True, True]  # automatic where possible
    assert net.output_shape == (10,)


def test_defaults_apply_by_block_type_and_are_overridden_by_the_block() -> None:
    extra = "defaults:\n  mmb: {dw_k: 5, dw_act: silu}\n  conv: {act: gelu}"
    net = archspec.resolve(doc(extra=extra))
    assert net.blocks[0].act == "gelu"
    assert {b.dw_k for b in net.section("stages")} == {5}
    assert {b.dw_act for b in net.section("stages")} == {"silu"}


def test_variants_deep_merge_replace_lists_and_address_stages_by_name() -> None:
    variants = textwrap.dedent("""\
        variants:
          base: {}
          wide: {stages: {s1: {out: 32, block: {dw_k: 5}}}}
          deep: {stages: {s1: {depth: 5}}, head: [{block: pool, global: true}]}
        """)
    d = doc(variants=variants)
    base, wide, deep = (archspec.resolve(d, v) for v in ("base", "wide", "deep"))
    assert base.section("stages")[0].out_ch == 24
    assert {b.out_ch for b in wide.section("stages")} == {32}
    assert {b.dw_k for b in wide.section("stages")} == {5}
    assert {b.mid for b in wide.section("stages")[1:]} == {128}  # exp 4.0 kept from the base
    assert len(deep.section("stages")) == 5
    assert deep.output_shape == (24, 1, 1)  # the head list was replaced, not merged
    assert archspec.resolve(d).variant == "base"  # the first variant is the default


def test_first_naming_another_type_replaces_the_template_for_that_block() -> None:
    text = BASE.format(size=32, extra="", variants="").replace(
        "first: {stride: 2}", "first: {block: conv, k: 3, stride: 2}")
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    stage = net.section("stages")
    assert [b.family for b in stage] == ["conv", "mmb", "mmb"]
    assert stage[0].out_ch == 24  # the stage's `out` applies to the replacing block too


def test_explicit_stage_blocks() -> None:
    text = textwrap.dedent("""\
        archspec: 1
        name: t
        input: {size: 16}
        stages:
          - name: s1
            blocks:
              - {block: conv, out: 8, k: 3}
              - {block: mmb, out: 8, mid: 24, dw_k: 5}
              - {block: mmb, out: 16, mid: 40, stride: 2}
        """)
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    assert [b.out_shape for b in net.blocks] == [(8, 16, 16), (8, 16, 16), (16, 8, 8)]
    assert [b.path for b in net.blocks] == ["stages.s1[0]", "stages.s1[1]", "stages.s1[2]"]


def test_width_multiplier_policies_and_classifier() -> None:
    text = textwrap.dedent("""\
        archspec: 1
        name: t
        input: {size: 32}
        width: {mult: 0.5, divisor: 8}
        stem:
          - {block: conv, out: 20, k: 3}
          - {block: conv, out: 20, k: 1, scaling: fixed}
          - {block: conv, out: 40, k: 1, scaling: at_least}
        head:
          - {block: pool, global: true}
          - {block: linear, out: 100}
          - {block: linear, out: 1000}
        """)
    net = archspec.resolve(archspec.loads(text, "t.yaml"), num_classes=7)
    assert [b.out_ch for b in net.blocks] == [make_divisible(10), 20, 40, 40, 48, 7]
    moved = {(r.field, r.written, r.value) for r in net.roundings}
    assert ("out", 20, 16) in moved  # 20·0.5 = 10 → make_divisible → 16
    assert ("out", 1000, 7) in moved  # num_classes
    assert all(r.span.line > 0 for r in net.roundings)


def test_in_channels_and_num_classes_pass_through_resolution() -> None:
    net = archspec.resolve(doc(), in_channels=1, num_classes=3)
    assert net.input_shape == (1, 32, 32)
    assert net.blocks[0].in_shape == (1, 32, 32)
    assert net.output_shape == (3,)
    assert archspec.analyze(doc(), in_channels=1).total.params < archspec.analyze(doc()).total.params


def test_drop_path_is_linear_over_stage_blocks() -> None:
    net = archspec.resolve(doc(extra="drop_path: 0.1"))
    rates = [b.drop_path for b in net.section("stages")]
    # linspace(0, 0.1, 3) = 0, 0.05, 0.1; the first block has no skip so its rate is unused
    assert rates == [0.0, pytest.approx(0.05), pytest.approx(0.1)]


def test_noqa_travels_into_the_resolved_block() -> None:
    text = BASE.format(size=32, extra="", variants="").replace(
        "depth: 3", 'depth: 3\n    noqa: {G1: "expansion kept for accuracy"}')
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    assert all(b.noqa == {"G1": "expansion kept for accuracy"} for b in net.section("stages"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # dim_head does not divide 24: points at the dim_head value (line 8, col 50)
        ("""\
         archspec: 1
         name: t
         input: {size: 16}
         stages:
           - name: s1
             out: 24
             depth: 2
             block: {block: mmb, exp: 2, f: attn, dim_head: 5}
         """, ("E140", 8, 52)),
        # a variant override beats the template line it overrode
        ("""\
         archspec: 1
         name: t
         input: {size: 16}
         stages:
           - name: s1
             out: 24
             depth: 2
             block: {block: mmb, exp: 2, f: attn, dim_head: 8}
         variants:
           v: {stages: {s1: {block: {dim_head: 7}}}}
         """, ("E140", 10, 39)),
        # groups does not divide the input
        ("""\
         archspec: 1
         name: t
         input: {size: 16}
         stem:
           - {block: conv, out: 12, k: 3, groups: 5}
         """, ("E141", 5, 42)),
        # skip: true on a stride-2 block
        ("""\
         archspec: 1
         name: t
         input: {size: 16}
         stem:
           - {block: mmb, out: 8, exp: 2, stride: 2, skip: true}
         """, ("E144", 5, 51)),
        # the map collapses: 16 → 8 → 4 → 2 → 1 → 0 at the fifth 2×2 pool
        ("""\
         archspec: 1
         name: t
         input: {size: 16}
         stages:
           - name: s1
             depth: 6
             block: {block: pool, kind: max, k: 2}
         """, ("E143", 7, 40)),
        # an odd channel count into a shuffle unit
        ("""\
         archspec: 1
         name: t
         input: {size: 16}
         stem:
           - {block: conv, out: 15, k: 3}
           - {block: shuffle, out: 15}
         """, ("E142", 6, 5)),
    ],
)
def test_unbuildable_networks_are_located_errors(text: str, expected: tuple[str, int, int]) -> None:
    assert expected in errors_of(text)


def test_all_problems_are_reported_at_once() -> None:
    codes = errors_of("""\
        archspec: 1
        name: t
        input: {size: 16, chanels: 3}
        stem:
          - {block: conv, out: 8, k: 2.5}
          - {block: mbb, out: 8}
        """)
    assert [c[0] for c in codes] == ["E120", "E121", "E124"]
