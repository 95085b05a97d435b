"""Analysis figures on small specs, against numbers worked out by hand in each test."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.graph.cost import COST_TABLE
from archspec.graph.op import OpKind

SMALL = textwrap.dedent("""\
    archspec: 1
    name: small
    input: {channels: 3, size: 8}
    stem:
      - {block: conv, out: 4, k: 3, norm: bn, act: relu}
    head:
      - {block: pool, global: true}
      - {block: linear, out: 2}
    """)


def test_every_op_kind_has_a_cost_entry() -> None:
    assert set(COST_TABLE) == set(OpKind)


def test_conv_bn_relu_pool_linear_by_hand() -> None:
    a = archspec.analyze(archspec.loads(SMALL, "small.yaml"))
    # conv 3→4, 3×3, no bias: 4·3·9 = 108 weights; BN: 2·4 = 8; linear 4→2 + bias: 10
    assert a.total.params == 108 + 8 + 10
    # conv: 8·8 outputs · 4 channels · 27 = 6912; linear: 4·2 = 8
    assert a.total.macs == 6912 + 8
    assert a.total.flops == 2 * (6912 + 8)
    # memory access (elements): conv in 192 + out 256 + weights 108 = 556; BN 256+256+8 = 520;
    # ReLU 256+256 = 512; global pool 256+4 = 260; flatten is a view (0); linear 4+2+10 = 16
    assert a.total.mem_access == 556 + 520 + 512 + 260 + 16
    # peak live set: BN reads the conv output (256) while writing its own (256) = 512 elements
    assert a.total.activation_bytes == 512 * 4
    assert a.total.output_shape == (2,)
    assert [b.params for b in a.blocks] == [116, 0, 10]
    assert [b.path for b in a.blocks] == ["stem[0]", "head[0]", "head[1]"]


def test_bytes_scale_with_dtype_and_batch() -> None:
    doc = archspec.loads(SMALL, "small.yaml")
    fp32 = archspec.analyze(doc)
    fp16_b8 = archspec.analyze(doc, dtype="fp16", batch=8)
    assert fp16_b8.total.activation_bytes == fp32.total.activation_bytes // 4 * 2 * 8
    assert fp16_b8.blocks[0].activation_bytes == 256 * 2 * 8


def test_fvcore_convention_adds_norm_elements() -> None:
    doc = archspec.loads(SMALL.replace("norm: bn", "norm: ln"), "small.yaml")
    a = archspec.analyze(doc, convention="fvcore")
    # LayerNorm counts 5 per element in fvcore: 5·256 on top of the multiply-accumulates
    assert a.total.flops == 6912 + 8 + 5 * 256


def test_window_attention_by_hand() -> None:
    text = textwrap.dedent("""\
        archspec: 1
        name: attn
        input: {channels: 8, size: [5, 6]}
        stem:
          - {block: mmb, out: 8, exp: 2, f: attn, partition: grid, window: 3, dim_head: 4,
             attn_pre: true, qkv_bias: true, expand_bias: true, expand_norm: none, expand_act: gelu, pre_norm: ln,
             dw_norm: none, dw_act: none, proj_norm: none}
        """)
    a = archspec.analyze(archspec.loads(text, "attn.yaml"))
    ops = {op.name.removeprefix("stem[0]."): op for op in a.graph.ops()}
    # 5×6 pads to 6×6 (one row): 4 windows of 3×3 = 9 tokens, 2 heads of 4 channels
    assert ops["attn.pad"].out_shape == (8, 6, 6)
    assert ops["qk"].out_shape == (4, 16, 3, 3)
    assert ops["qk"].macs == 36 * 8 * 16  # every padded token: C → 2C
    assert ops["attn.scores"].macs == 4 * 2 * 9 * 9 * 4  # windows · heads · T · T · dim_head
    assert ops["attn.apply"].macs == 4 * 2 * 9 * 9 * 4  # attention on x (attn_pre)
    assert ops["expand"].macs == 36 * 8 * 16  # v after attention, still on padded tokens
    assert ops["attn.crop"].out_shape == (16, 5, 6)
    assert ops["dw"].macs == 5 * 6 * 16 * 9
    assert ops["proj"].macs == 5 * 6 * 16 * 8
    params = (8 * 16 + 16) + (8 * 16 + 16) + 16 * 9 + 16 * 8 + 2 * 8  # qk, v, dw, proj, LN
    assert a.total.params == params
    assert a.total.output_shape == (8, 5, 6)


def test_shuffle_unit_by_hand() -> None:
    text = textwrap.dedent("""\
        archspec: 1
        name: sh
        input: {channels: 8, size: 4}
        stem:
          - {block: shuffle, out: 8, stride: 1}
          - {block: shuffle, out: 16, stride: 2}
        """)
    a = archspec.analyze(archspec.loads(text, "sh.yaml"))
    s1, s2 = a.blocks
    # stride 1: branch on 4 channels: 1×1 (16) + BN (8) + dw 3×3 (36) + BN (8) + 1×1 (16) + BN (8)
    assert s1.params == 16 + 8 + 36 + 8 + 16 + 8
    # stride 2, 8 → 16: branch1 dw 8·9 + BN 16 + 1×1 8·8 + BN 16; branch2 1×1 8·8 + BN 16 +
    # dw 8·9 + BN 16 + 1×1 8·8 + BN 16
    assert s2.params == (72 + 16 + 64 + 16) + (64 + 16 + 72 + 16 + 64 + 16)
    assert s2.output_shape == (16, 2, 2)
    # 1×1 macs at stride 1: two convs 4×4·4·4 each = 128 each; dw 4×4·4·9 = 576
    assert s1.macs == 2 * 256 + 576


@pytest.mark.parametrize("variant", ["emo_1m", "emo_2m", "emo_5m", "emo_6m"])
def test_emo_figures_match_the_official_code(variant: str) -> None:
    """Independent figures: the official EMO code (params, FlopCounterMode) and its fvcore logs."""
    expected = {
        "emo_1m": (1_361_168, 255.24, 261), "emo_2m": (2_377_472, 431.92, 439),
        "emo_5m": (5_108_848, 892.22, 903), "emo_6m": (6_168_496, 950.25, 961),
    }[variant]
    a = archspec.analyze("specs/emo.yaml", variant=variant)
    fv = archspec.analyze("specs/emo.yaml", variant=variant, convention="fvcore")
    assert a.total.params == expected[0]
    assert round(a.total.macs / 1e6, 2) == expected[1]
    assert round(fv.total.flops / 1e6) == expected[2]  # the published "FLOPs"


def test_emo_1m_parameters_per_stage() -> None:
    a = archspec.analyze("specs/emo.yaml", variant="emo_1m")
    per_stage: dict[str, int] = {}
    for b in a.blocks:
        key = b.stage or (b.family if b.section == "head" else b.section)
        per_stage[key] = per_stage.get(key, 0) + b.params
    assert per_stage == {"stem": 2760, "s1": 11504, "s2": 27840, "s3": 452704, "s4": 697024,
                         "norm": 336, "pool": 0, "linear": 169000}
