"""Issue 8 §3, §4, §6: the values a spec holds (decision 0011).

* §3: a 5,000-digit integer (``0xfff…f``) never raises Python's int→str ValueError: not in
  ``loads`` (``input.size``), ``resolve``/``lint`` (a block's ``out``), nor ``repr`` of a Document;
  every message shows user values bounded.
* §4: ``archspec: true``/``1.0`` and a shuffle ``stride: true``/``2.0`` are E121 (strict types,
  bool is not an int, Literal fields included); every directive but ``%YAML 1.2`` is E103 at the
  directive.
* §6: numbers in messages have at most 4 significant digits.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.diagnostics import SpecError, show_figure, show_number, show_value
from archspec.rules.figures import pct
from archspec.spec.source import parse_source

HUGE = "0x" + "f" * 5000
NET = """\
archspec: 1
name: t
input: {{channels: 8, size: {size}}}
{extra}stem:
  - {{block: {block}, out: {out}{more}}}
"""


def _spec(*, size: str = "8", block: str = "conv", out: str = "8", more: str = "",
          extra: str = "") -> str:
    return NET.format(size=size, block=block, out=out, more=more, extra=extra)


def _errors(text: str) -> list[tuple[str, int, int, str]]:
    """(code, line, col, message) of every error loading, resolving and tracing ``text``."""
    with pytest.raises(SpecError) as info:
        doc = archspec.loads(text, "t.yaml")
        for variant in doc.variants or [None]:
            archspec.trace(archspec.resolve(doc, variant))
    return [(d.code, d.span.line, d.span.col, d.message) for d in info.value.diagnostics
            if d.severity == "error"]


# ------------------------------------------------------------------ §3 huge numbers


def test_huge_input_size_is_a_spec_error_with_the_value_abbreviated() -> None:
    ((code, line, col, message),) = _errors(_spec(size=HUGE))
    assert (code, line, col) == ("E122", 3, 28)
    assert "0xfff…f (5,000 hex digits) is out of range" in message


def test_huge_block_out_is_a_spec_error_in_resolve_and_lint() -> None:
    text = _spec(out=HUGE, more=", k: 3")
    ((code, line, col, message),) = _errors(text)
    assert (code, line, col) == ("E122", 5, 24) and "0xfff…f (5,000 hex digits)" in message
    with pytest.raises(SpecError):
        archspec.lint(archspec.loads(text, "t.yaml"))


@pytest.mark.parametrize("field", ["k", "stride", "dilation"])
def test_huge_integers_in_other_block_fields_are_bounded(field: str) -> None:
    ((code, _, _, message),) = _errors(_spec(more=f", {field}: {HUGE}"))
    assert code == "E122" and "0xfff…f (5,000 hex digits)" in message and len(message) < 200


def test_repr_of_a_document_is_bounded() -> None:
    doc = archspec.loads(_spec(out=HUGE), "t.yaml")  # pass 1 does not bound a block's out
    assert repr(doc) == "Document('t.yaml', name='t', variants=[])"
    assert len(repr(doc.source)) < 100


def test_a_decimal_integer_past_the_int_str_limit_is_e110() -> None:
    ((code, line, col, message),) = _errors(_spec(size="9" * 5000))
    assert (code, line, col) == ("E110", 3, 28) and "5,000 digits" in message
    assert len(message) < 100


def test_long_strings_and_keys_are_cut_in_messages() -> None:
    errors = _errors(_spec(block="x" * 100_000) + "k" * 1000 + ": 1\n")  # YAML: keys ≤ 1024
    assert sorted(code for code, *_ in errors) == ["E120", "E124"]
    for *_, message in errors:
        assert len(message) < 300 and "…" in message


@pytest.mark.parametrize(("value", "shown"), [
    (True, "true"), (None, "null"), (3, "3"), (2.0, "2.0"), (1e-300, "1e-300"),
    (0.123456, "0.1235"), (int("f" * 5000, 16), "0xfff…f (5,000 hex digits)"),
    (-(10**30), "-0xc9f…0 (25 hex digits)"), ("ab", "'ab'"), ({}, "a mapping"), ([], "a list"),
    ("é" * 61, "'" + "é" * 60 + "…' (61 characters)"),
], ids=lambda v: show_value(v)[:20])  # pytest's own ids would str() the huge integer
def test_show_value(value: object, shown: str) -> None:
    assert show_value(value) == shown


def test_numbers_keep_four_significant_digits() -> None:
    assert show_number(1234567, grouped=True) == "1,234,567"
    assert [show_figure(x) for x in (16.0, 22.4, 1 / 3, 8e-300)] == ["16", "22.4", "0.3333",
                                                                    "8e-300"]
    assert pct(0.071) == "7.1%" and pct(1e300) == "1e+302%" and pct(62.0) == "6200%"


def test_s104_under_a_small_multiplier_prints_short_numbers() -> None:
    """§6: `width: {mult: 1e-300}` printed a 300-digit percentage; the smallest multiplier
    allowed now gives a short message, figures at 4 significant digits."""
    text = _spec(out="40", more=", k: 3", extra="width: {mult: 0.3333333}\n")
    (finding,) = [d for d in archspec.lint(archspec.loads(text, "t.yaml")) if d.code == "S104"]
    assert finding.message == ("`out`: 40×0.3333 = 13.33 is rounded to 16 (+20.0%; "
                               "make_divisible(40×0.3333, 8))")


# ------------------------------------------------------------------ §4 strict types


@pytest.mark.parametrize(("extra", "block", "more", "line", "col", "got"), [
    ("", "conv", "", 1, 11, "got true (boolean)"),
    ("", "conv", "", 1, 11, "got 1.0 (number)"),
    ("", "shuffle", ", stride: true", 5, 38, "got true (boolean)"),
    ("", "shuffle", ", stride: 2.0", 5, 38, "got 2.0 (number)"),
    ("", "shuffle", ', stride: "2"', 5, 38, "got '2' (string)"),
])
def test_bool_and_float_are_not_integers_even_for_literals(extra: str, block: str, more: str,
                                                           line: int, col: int, got: str) -> None:
    text = _spec(block=block, more=more, extra=extra)
    if line == 1:
        text = text.replace("archspec: 1", f"archspec: {got.split()[1]}")
    errors = _errors(text)
    assert [(c, ln, co) for c, ln, co, _ in errors] == [("E121", line, col)]
    assert got in errors[0][3]


def test_a_wrong_integer_for_a_literal_stays_e122() -> None:
    assert [c for c, *_ in _errors(_spec(block="shuffle", more=", stride: 3"))] == ["E122"]
    assert [c for c, *_ in _errors(_spec().replace("archspec: 1", "archspec: 2"))] == ["E122"]


def test_an_error_in_a_norm_blocks_norm_inside_branches_is_located_at_the_field() -> None:
    text = ("archspec: 1\nname: t\ninput: {channels: 3, size: 8}\nstem:\n  - block: parallel\n"
            "    branches:\n      - - {block: norm, norm: gn}\n")
    ((code, line, col, message),) = _errors(text)
    assert (code, line, col) == ("E122", 7, 31) and "branches[0][0].norm" in message


# ------------------------------------------------------------------ §4 directives


@pytest.mark.parametrize(("prologue", "line"), [
    ("%YAML 1.1\n---\n", 1), ("%YAML 1.0\n---\n", 1), ("%YAML 2.0\n---\n", 1),
    ("# a comment\n\n%TAG ! tag:example.com,2000:\n---\n", 3),
    ("%YAML 1.2\n%TAG !e! tag:e.com,2000:\n---\n", 2), ("%FOO bar\n---\n", 1),
])
def test_every_directive_but_yaml_1_2_is_e103_at_the_directive(prologue: str, line: int) -> None:
    with pytest.raises(SpecError) as info:
        parse_source(prologue + _spec(), "t.yaml")
    ((code, got_line, col),) = [(d.code, d.span.line, d.span.col)
                                for d in info.value.diagnostics]
    assert (code, got_line, col) == ("E103", line, 1)
    assert "YAML 1.2" in info.value.diagnostics[0].message


@pytest.mark.parametrize("prologue", ["%YAML 1.2\n---\n", "%YAML 1.2 # the version\r\n---\r\n",
                                      "# only a comment\n"])
def test_yaml_1_2_directive_is_accepted(prologue: str) -> None:
    assert parse_source(prologue + _spec(), "t.yaml").data["name"] == "t"


def test_a_percent_line_inside_a_document_is_not_a_directive() -> None:
    assert parse_source('a: "x\n%YAML 1.1"\n', "t.yaml").data == {"a": "x %YAML 1.1"}


def test_a_figure_too_large_for_a_float_is_abbreviated_not_an_overflow() -> None:
    assert show_figure(16**5000 - 1) == "0xfff…f (5,000 hex digits)"
