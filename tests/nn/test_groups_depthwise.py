"""`groups: depthwise` follows the width multiplier: the built conv has one group per channel."""

from __future__ import annotations

import dataclasses

import torch

import archspec
from archspec.blocks.conv import Conv

SPEC = """
archspec: 1
name: dw
input: {channels: 3, size: 16}
width: {mult: 0.5}
stem:
  - {block: conv, out: 32, k: 3, stride: 2}
  - {block: conv, out: 32, k: 3, groups: depthwise}
  - {block: conv, out: 64, k: 3, groups: depthwise}
  - {block: mmb, out: 32, exp: 2, groups: depthwise}
head:
  - {block: pool, kind: avg, global: true}
  - {block: linear, out: 10}
"""


def test_depthwise_resolves_to_the_scaled_input_width() -> None:
    net = archspec.resolve(archspec.loads(SPEC))
    dw, dw_x2 = net.blocks[1], net.blocks[2]
    assert isinstance(dw, Conv) and type(dw.groups) is int
    assert {f.name: f.type for f in dataclasses.fields(Conv)}["groups"] in (int, "int")
    assert (dw.in_ch, dw.groups, dw.out_ch) == (16, 16, 16)  # 32 × 0.5
    assert (dw_x2.in_ch, dw_x2.groups, dw_x2.out_ch) == (16, 16, 32)  # channel multiplier 2
    assert net.blocks[3].groups == net.blocks[3].mid == 64  # mmb: depthwise = mid (32 · 2)


def test_built_conv_has_groups_equal_to_in_channels() -> None:
    model = archspec.build(archspec.loads(SPEC))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.groups) for c in convs[1:3]] == [(16, 16), (16, 16)]
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 16, 16)).shape == (1, 10)


def test_depthwise_equals_the_written_integer_at_mult_one() -> None:
    plain = archspec.analyze(archspec.loads(SPEC.replace("mult: 0.5", "mult: 1.0")))
    written = archspec.analyze(archspec.loads(SPEC.replace("mult: 0.5", "mult: 1.0")
                               .replace("out: 32, k: 3, groups: depthwise",
                                        "out: 32, k: 3, groups: 32")
                               .replace("out: 64, k: 3, groups: depthwise",
                                        "out: 64, k: 3, groups: 32")))
    assert plain.total == written.total
