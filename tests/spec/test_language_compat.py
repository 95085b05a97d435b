"""Specs written before the residual container keep working, and mean what the new constructs mean.

Issue 11's designers wrote a residual around several blocks as a `parallel` add with an empty
branch, and a depthwise conv with `groups` equal to its width. Both still load, and each equals
its new spelling (`residual`, `groups: depthwise`) in parameters, MACs, memory access and — the
weights copied by position from one to the other — in outputs.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.spec.document import Document

FRAME = """\
archspec: 1
name: compat
input: {{channels: 16, size: 16}}
stem:
{block}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""

WORKAROUND = """\
  - block: parallel
    merge: add
    branches:
      - []
      - - {block: conv, out: 48, k: 1, act: relu6}
        - {block: conv, out: 48, k: 3, groups: 48, act: relu6}
        - {block: conv, out: 16, k: 1, act: none}
"""

CONTAINER = """\
  - block: residual
    blocks:
      - {block: conv, out: 48, k: 1, act: relu6}
      - {block: conv, out: 48, k: 3, groups: depthwise, act: relu6}
      - {block: conv, out: 16, k: 1, act: none}
"""


def doc(block: str) -> Document:
    return archspec.loads(FRAME.format(block=block), "compat.yaml")


def test_the_parallel_workaround_still_loads_and_equals_the_residual() -> None:
    old, new = archspec.analyze(doc(WORKAROUND)), archspec.analyze(doc(CONTAINER))
    assert old.total.params == new.total.params
    assert old.total.macs == new.total.macs
    assert old.total.mem_access == new.total.mem_access
    assert old.net.output_shape == new.net.output_shape


def test_the_parallel_workaround_computes_what_the_residual_computes() -> None:
    torch = pytest.importorskip("torch")
    old, new = archspec.build(doc(WORKAROUND)).eval(), archspec.build(doc(CONTAINER)).eval()
    archspec.transfer_weights(old, new)  # by position; verifies outputs on a seeded batch
    x = torch.randn(2, 16, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.allclose(old(x), new(x), rtol=0, atol=1e-6)
