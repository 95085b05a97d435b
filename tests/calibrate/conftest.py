"""Small networks for the calibration tests: shipped families at 64², and a three-block spec
that exports to ONNX in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec
from archspec.calibrate import nets
from archspec.graph.op import Op

SPECS = Path(__file__).parents[2] / "specs"

TINY = """\
archspec: 1
name: tiny
input: {channels: 3, size: 32}
stages:
  - name: s
    depth: 2
    block: {block: conv, out: 8, k: 3, norm: bn, act: relu}
head:
  - {block: pool, kind: avg, global: true}
  - {block: linear, out: 10}
"""


@pytest.fixture(scope="session")
def small_nets() -> list[nets.CalibNet]:
    """Shipped families at 64² (EMO's windows then pad and crop), one variant each."""
    out = []
    for name, variant in (("emo", "emo_1m"), ("mobilenet_v3", "small"),
                          ("shufflenet_v2", "x0_5"), ("mobilenet_v4", "conv_small"),
                          ("mobilenet_v2", "x0_5")):
        got = nets.from_files([SPECS / f"{name}.yaml"], input_size=64)
        out.extend(n for n in got if n.name.endswith(f":{variant}"))
    assert len(out) == 5
    return out


@pytest.fixture(scope="session")
def transformer_ops() -> list[Op]:
    """A MobileViT-like transformer stack on a 7×7 map: resized to 8×8 for its 2×2 patches."""
    doc = archspec.loads("archspec: 1\nname: t\ninput: {channels: 3, size: 7}\nstem:\n"
                         "  - {block: conv, out: 16, k: 3}\n"
                         "  - {block: transformer, partition: unfold, patch: 2, heads: 2, "
                         "depth: 2, final_norm: true, layer_scale: 0.5}\n")
    return list(archspec.analyze(doc).graph.ops())


@pytest.fixture(scope="session")
def tiny_text() -> str:
    return TINY


@pytest.fixture(scope="session")
def tiny_net() -> nets.CalibNet:
    from archspec.spec.document import loads

    (net,) = nets.from_document(loads(TINY, "tiny.yaml"), name="tiny", text=TINY)
    return net
