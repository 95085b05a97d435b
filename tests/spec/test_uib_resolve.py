"""Resolution of ``uib`` blocks: the expanded width, where the stride sits, the skip, and the
located errors for what cannot be built."""

from __future__ import annotations

import pytest

import archspec
from archspec.diagnostics import SpecError

SPEC = """\
archspec: 1
name: t
input: {{channels: 3, size: 32}}
{width}
stem:
  - {{block: conv, out: 20, k: 3, stride: 2}}
stages:
  - name: s1
    blocks:
      - {{block: uib, out: {out}, exp: {exp}{fields}}}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""


def block(fields: str = "", *, out: int = 20, exp: float = 4, width: str = ""):
    text = SPEC.format(out=out, exp=exp, fields=f", {fields}" if fields else "", width=width)
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    return net.section("stages")[0], net


def errors(fields: str, **kwargs) -> list[tuple[str, int, int]]:
    with pytest.raises(SpecError) as info:
        block(fields, **kwargs)
    return [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics]


def test_expanded_width_is_make_divisible_and_recorded() -> None:
    b, net = block(exp=2.3)  # 20 × 2.3 = 46 → 48
    assert b.mid == 48
    (rounding,) = [r for r in net.roundings if r.field == "exp"]
    assert (rounding.written, rounding.value, rounding.exact) == (46.0, 48, None)


@pytest.mark.parametrize(("fields", "strides"), [
    ("dw_k: 3, stride: 2", (1, 2, 1)),
    ("start_dw_k: 3, dw_k: 5, stride: 2", (1, 2, 1)),
    ("start_dw_k: 3, stride: 2", (2, 1, 1)),
    ("start_dw_k: 3, end_dw_k: 3, stride: 2", (2, 1, 1)),
    ("end_dw_k: 3, stride: 2", (1, 1, 2)),
])
def test_the_stride_sits_on_the_middle_then_start_then_end_conv(fields, strides) -> None:
    b, _ = block(fields)
    assert (b.start_stride, b.dw_stride, b.end_stride) == strides
    assert b.out_shape == (20, 8, 8)
    assert not b.skip


def test_skip_by_default_when_shapes_allow() -> None:
    assert block("dw_k: 3")[0].skip
    assert not block("dw_k: 3", out=24)[0].skip
    assert not block("dw_k: 4")[0].skip  # an even kernel grows the map by one
    assert not block("dw_k: 3, skip: false")[0].skip


def test_se_width_rounds_the_expanded_width() -> None:
    b, _ = block("dw_k: 3, se: 0.3")  # mid 80 × 0.3 = 24
    assert b.se_ch == 24


def test_an_ffn_cannot_carry_a_stride() -> None:
    assert errors("stride: 2") == [("E144", 10, 47)]  # at the value of `stride`


def test_skip_needs_equal_shapes() -> None:
    assert errors("dw_k: 3, stride: 2, skip: true") == [("E144", 10, 65)]  # at the value of `skip`


def test_width_multiplier_scales_out_and_then_mid() -> None:
    b, _ = block("dw_k: 3", width="width: {mult: 0.5}")
    assert b.in_ch == 16 and b.out_ch == 16 and b.mid == 64


def test_null_kernel_removes_a_depthwise_conv_in_a_variant() -> None:
    text = SPEC.format(out=20, exp=4, fields=", start_dw_k: 3, dw_k: 3", width="") + (
        "variants:\n  base: {}\n  convnext:\n    stages: {s1: {blocks: "
        "[{block: uib, out: 20, exp: 4, start_dw_k: 3}]}}\n")
    doc = archspec.loads(text, "t.yaml")
    assert archspec.resolve(doc, "convnext").section("stages")[0].dw_k is None
    assert archspec.resolve(doc, "base").section("stages")[0].dw_k == 3
