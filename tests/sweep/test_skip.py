"""Skip conditions: what the little language means, and that no text makes it misbehave."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archspec.sweep.skip import MAX_CHARS, NUMBER, OTHER, STRING, SkipProblem, compile_skip

KINDS = {"stages.s3.depth": NUMBER, "input.size": NUMBER, "stages.s3.block.f": STRING,
         "stages.s-3.block.global": "bool", "stages.s3.block.dw_k": OTHER}
VALUES = {"stages.s3.depth": 8, "input.size": 256, "stages.s3.block.f": "attn",
          "stages.s-3.block.global": True, "stages.s3.block.dw_k": [3, 5]}


@pytest.mark.parametrize(("text", "skipped"), [
    ("stages.s3.depth > 6 and input.size == 256", True),
    ("stages.s3.depth > 8 or input.size != 256", False),
    ("not (stages.s3.depth >= 8)", False),
    ("6 < stages.s3.depth <= 8 < input.size", True),
    ("stages.s3.depth * 32 == input.size", True),
    ("input.size // 3 % 5 == 0 and -stages.s3.depth + 1 == -7", True),
    ("input.size / 512 == 0.5", True),
    ("stages.s3.block.f in ['attn', 'ffn']", True),
    ("stages.s3.block.f not in ('attn',)", False),
    ("stages.s3.block.f < 'b'", True),  # strings order too
    ("stages.s3.block.dw_k == [3, 5]", True),  # any value compares equal or not
    ("stages.s-3.block.global", True),  # a path that is not a Python name
    ("stages.s-3.block.global == false", False),
    ("input.size / (stages.s3.depth - 8) > 1", False),  # a division by zero: not skipped
    ("'input.size' == 'input.size'", True),  # a path inside a string is a string
])
def test_what_a_condition_means(text: str, skipped: bool) -> None:
    assert compile_skip(text, KINDS)(VALUES) is skipped


@pytest.mark.parametrize(("text", "col"), [
    ("input.size > 224 and len(input.size) > 1", 21),
    ("input.size > 224 and stages.s3.block.dw_k > 3", 21),
    ("stages.s3.block.f + 1 == 2", 0),
    ("stages.s3.depth if input.size else 3", 0),
    ("(lambda: 1)() == 1", 0),
    ("input.size[0] == 1", 0),
    ("input.__class__ == 1", 0),
    ("stages.s3.depth > 1 and 3", 24),
])
def test_what_a_condition_cannot_say_and_where(text: str, col: int) -> None:
    with pytest.raises(SkipProblem) as caught:
        compile_skip(text, KINDS)
    assert caught.value.col == col


def never_escapes(text: str) -> None:
    """``text`` compiles to a condition that evaluates to a bool, or is a SkipProblem."""
    try:
        skip = compile_skip(text, KINDS)
    except SkipProblem as bad:
        assert 0 <= bad.col <= len(text)
        return
    assert skip(VALUES) in (True, False)


@given(st.text(max_size=MAX_CHARS + 20))
def test_any_text_is_a_condition_or_a_skip_problem(text: str) -> None:
    never_escapes(text)


@given(st.lists(st.sampled_from(["(", ")", "not ", "-", "input.size", " + ", " < ", "1",
                                 " and ", "'a'", " == ", "[", "]", ","]), max_size=200))
def test_deep_or_odd_expressions_never_escape_as_another_error(parts: list[str]) -> None:
    never_escapes("".join(parts))
