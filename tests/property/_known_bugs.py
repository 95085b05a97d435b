"""Bugs the properties found in other modules, reported and not yet fixed.

Each entry names the bug, where it lives and a minimal spec; ``test_known_bugs.py`` reproduces
every one as a strict xfail, so fixing a bug turns its test into an XPASS failure that asks for
the entry to be deleted here. The properties skip (``assume``) inputs that hit a listed bug, so
one known bug does not hide new ones; anything else still fails them.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from archspec.diagnostics import Diagnostic


@dataclass(frozen=True)
class KnownBug:
    id: str
    where: str
    summary: str
    yaml: str  # a minimal spec that shows it


BUGS = {b.id: b for b in [
    KnownBug(
        "mmb-mid-zero", "archspec/blocks/mmb.py: resolve (_mid, then `mid % groups`)",
        "an expansion that rounds mid down to 0 raises ZeroDivisionError instead of a "
        "located spec error",
        "archspec: 1\nname: t\ninput: {channels: 3, size: 8}\n"
        "stem:\n  - {block: mmb, out: 8, exp: 0.1}\n"),
    KnownBug(
        "mmb-dw-skip-even-kernel", "archspec/blocks/mmb.py: resolve (the dw_skip check)",
        "dw_skip with an even dw_k changes H×W by the dilation, so trace's add asserts "
        "(AssertionError) instead of E144",
        "archspec: 1\nname: t\ninput: {channels: 8, size: 8}\n"
        "stem:\n  - {block: mmb, out: 8, exp: 2, dw_k: 2, dw_skip: true}\n"),
    KnownBug(
        "shuffle-even-kernel", "archspec/blocks/shuffle.py: resolve",
        "a stride-1 unit with an even dw_k grows branch2 by one pixel, so trace's concat "
        "asserts (AssertionError) instead of a spec error",
        "archspec: 1\nname: t\ninput: {channels: 8, size: 8}\n"
        "stem:\n  - {block: shuffle, out: 8, dw_k: 2}\n"),
    KnownBug(
        "first-unknown-block", "archspec/spec/resolve.py: resolve (`if tag not in FAMILIES: "
        "break  # pass 1 reported it`)",
        "a misspelt `block:` in `first:` (not validated in pass 1) silently truncates the "
        "network: no error, zero blocks",
        "archspec: 1\nname: t\ninput: {channels: 3, size: 8}\n"
        "stages:\n  - {name: s1, out: 8, depth: 2, block: {block: conv}, "
        "first: {block: convv}}\n"),
    KnownBug(
        "tag-named-field", "archspec/spec/errors.py: _value_path",
        "in `act` and `norm` blocks the discriminator in pydantic's error location equals "
        "the field name, so errors are reported against that field (`unknown key `act``, "
        "located at `act:`) instead of the key at fault",
        "archspec: 1\nname: t\ninput: {channels: 3, size: 8}\n"
        "stem:\n  - {block: act, act: relu, strid: 2}\n"),
    KnownBug(
        "norm-union-leak", "archspec/spec/errors.py: translate (union members of NormField)",
        "any error inside a mapping-form norm adds a spurious E123 \"required key "
        "`literal['bn','ln','none']` is missing\"",
        "archspec: 1\nname: t\ninput: {channels: 3, size: 8}\n"
        "stem:\n  - {block: conv, out: 8, norm: {type: bn, eps: 2.0}}\n"),
    KnownBug(
        "size-union", "archspec/spec/errors.py: translate (the int | list union of input.size)",
        "`size: [8]` is reported as E121 \"expected an integer or list should have at least 2 "
        "items after validation, not 1, got a list\"; `size: [0, 8]` adds a spurious E121 "
        "\"expected an integer, got a list\"",
        "archspec: 1\nname: t\ninput: {channels: 3, size: [8]}\n"),
]}


def _frames(exc: BaseException) -> list[str]:
    return [f"{f.filename}:{f.name}" for f in traceback.extract_tb(exc.__traceback__)]


def crash_bug(exc: BaseException) -> str | None:
    """The known bug an unexpected exception is, if any."""
    frames = " ".join(_frames(exc))
    if isinstance(exc, ZeroDivisionError) and "blocks/mmb.py:resolve" in frames:
        return "mmb-mid-zero"
    if isinstance(exc, AssertionError) and "graph/builder.py:add" in frames \
            and "blocks/mmb.py:trace" in frames and "dw_skip" in frames + str(exc):
        return "mmb-dw-skip-even-kernel"
    if isinstance(exc, AssertionError) and "graph/builder.py:add" in frames \
            and "blocks/mmb.py:trace" in frames:
        return "mmb-dw-skip-even-kernel"
    if isinstance(exc, AssertionError) and "graph/builder.py:concat" in frames \
            and "blocks/shuffle.py:trace" in frames:
        return "shuffle-even-kernel"
    return None


def near_miss_bug(nm: Any, diagnostics: list[Diagnostic] | None, source: Any) -> str | None:
    """The known bug a near miss reported wrongly hits, if any."""
    if diagnostics is None:
        return "first-unknown-block" if nm.what == "first: unknown block type" else None
    if any("literal[" in d.message for d in diagnostics):
        return "norm-union-leak"
    if nm.key_path[:2] == ("input", "size"):
        return "size-union"
    doc = nm.document
    node, blocks = doc, []
    for part in nm.key_path:
        if isinstance(node, dict) and isinstance(node.get("block"), str):
            blocks.append(node)
        if not isinstance(node, dict | list):
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if blocks and blocks[-1]["block"] in ("act", "norm"):
        return "tag-named-field"
    return None
