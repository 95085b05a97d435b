"""Blocks nested in a parallel's `branches` and a stage's `first:` naming its `block:` are typed
in pass 1 like every other block: an unknown type or key is found where it is written, with the
code, message and suggestion the same mistake gets in a plain block list, before anything is
resolved. A `first:` without `block:` is a layer of the template's fields, checked once composed
onto the template (pass 2)."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec import SpecError

BRANCHES = """\
archspec: 1
name: t
input: {size: 8}
stem:
  - block: parallel
    branches:
      - - {block: conv, out: 8}
      - - %s
"""

LISTED = """\
archspec: 1
name: t
input: {size: 8}
stem:
  - %s
"""

STAGE = """\
archspec: 1
name: t
input: {size: 8}
stages:
  - {name: s1, out: 8, depth: 2, block: {block: conv}, first: %s}
"""


def _found(text: str) -> list[tuple[str, int, int, str, str | None]]:
    with pytest.raises(SpecError) as exc:
        archspec.resolve(archspec.loads(textwrap.dedent(text), "t.yaml"))
    return [(d.code, d.span.line, d.span.col, d.message, d.fix) for d in exc.value.diagnostics]


def _at(text: str, line: int, col: int) -> str:
    return text.splitlines()[line - 1][col - 1:]


def _same_as_listed(text: str, block: str, *, line: int, points_at: str, path: str) -> None:
    """The one mistake in ``text`` is at ``points_at`` on ``line``, under ``path``, with the
    code, message and fix that ``block`` gets written in the stem's block list."""
    [(code, found_line, col, message, fix)] = _found(text)
    assert found_line == line and _at(text, line, col).startswith(points_at)
    assert message.startswith(f"`{path}")
    [(listed_code, _, _, listed_message, listed_fix)] = _found(LISTED % block)
    assert (code, fix) == (listed_code, listed_fix)
    assert message.split(": ", 1)[1] == listed_message.split(": ", 1)[1]


@pytest.mark.parametrize(("block", "points_at", "path"), [
    ("{block: convv, out: 8}", "convv", "block"),
    ("{block: conv, out: 8, kk: 3}", "kk", "kk"),
    ("{block: conv, out: eight}", "eight", "out"),
    ("{block: norm, norm: gn}", "gn", "norm"),
    ("{out: 8}", "{out: 8}", "block"),
])
def test_a_branch_block_is_checked_where_it_is_written(block, points_at, path):
    _same_as_listed(BRANCHES % block, block, line=8, points_at=points_at,
                    path=f"stem[0].branches[1][0].{path}`: ")


def test_nested_branches_are_typed_at_any_depth():
    text = BRANCHES % "{block: parallel, branches: [[{block: pol}]]}"
    [(code, line, col, message, fix)] = _found(text)
    assert line == 8 and _at(text, line, col).startswith("pol")
    assert message.startswith("`stem[0].branches[1][0].branches[0][0].block`: unknown block type")
    assert fix == "did you mean `pool`?"


@pytest.mark.parametrize(("first", "points_at", "key"), [
    ("{block: convv, stride: 2}", "convv", "block"),
    ("{block: pool, kk: 2}", "kk", "kk"),
])
def test_first_naming_its_type_is_a_layer_of_that_type(first, points_at, key):
    _same_as_listed(STAGE % first, first, line=5, points_at=points_at,
                    path=f"stages.s1.first.{key}`: ")
    [(*_, fix)] = _found(STAGE % first)
    assert fix is not None and fix.startswith("did you mean")


def test_first_that_is_no_mapping_is_a_type_error():
    text = STAGE % "3"
    [(code, line, col, message, _)] = _found(text)
    assert line == 5 and _at(text, line, col).startswith("3}")
    assert message == "`stages.s1.first`: expected a mapping, got 3 (integer)"


def test_first_without_a_type_is_checked_on_the_template():
    """Its keys are the template's: known only once composed onto it (pass 2)."""
    text = STAGE % "{stride: 2, exp: 4.0}"
    [(code, line, col, message, _)] = _found(text)
    [(listed_code, *_)] = _found(LISTED % "{block: conv, out: 8, exp: 4.0}")
    assert code == listed_code and line == 5 and _at(text, line, col).startswith("exp")
