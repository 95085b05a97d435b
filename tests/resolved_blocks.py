"""Resolved blocks and networks for the torch tests, through archspec's own loader and resolver.

Tests write blocks as the mappings a spec holds; these helpers put them in a spec document, load
it (``archspec.loads``) and resolve it (``archspec.resolve``), so every module under test is
built from exactly what a user's spec would give it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import archspec
from archspec.blocks.base import ResolvedBlock
from archspec.spec.resolved import ResolvedNet

Shape = tuple[int, ...]
Block = dict[str, Any]


def document(*, input_shape: Shape = (3, 32, 32), stem: Sequence[Block] = (),
             stages: dict[str, list[Block]] | None = None, head: Sequence[Block] = (),
             init: str = "torchvision", drop_path: float = 0.0, name: str = "tiny") -> dict:
    """A spec document (as plain data) with these blocks, stages written as ``blocks:`` lists."""
    channels, h, w = input_shape
    doc: dict[str, Any] = {
        "archspec": 1, "name": name, "input": {"channels": channels, "size": [h, w]},
        "stem": list(stem), "head": list(head), "init": init,
        "stages": [{"name": s, "blocks": blocks} for s, blocks in (stages or {}).items()],
    }
    if drop_path:
        doc["drop_path"] = drop_path
    return doc


def resolve_net(**parts: Any) -> ResolvedNet:
    """The :func:`document` of ``parts``, loaded and resolved (its base variant)."""
    return archspec.resolve(archspec.loads(archspec.dump(document(**parts)), "tiny.yaml"))


def resolve_block(block: Block, in_shape: Shape) -> ResolvedBlock:
    """One block resolved at ``in_shape``: the only block of stage ``s1``.

    A vector input (``(C,)``) is made by a linear layer in the stem, on a C×1×1 input.
    """
    if len(in_shape) == 1:
        net = resolve_net(input_shape=(in_shape[0], 1, 1),
                          stem=[{"block": "linear", "out": in_shape[0]}], stages={"s1": [block]})
    else:
        net = resolve_net(input_shape=in_shape, stages={"s1": [block]})
    resolved = net.section("stages")[0]
    assert resolved.in_shape == tuple(in_shape), resolved.in_shape
    return resolved
