"""Tests for archspec.spec.source: safe YAML loading, YAML 1.2 scalars, and exact source spans."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import yaml

from archspec.diagnostics import Span, SpecError
from archspec.spec import yaml_nodes
from archspec.spec.source import MAX_BYTES, Source, parse_source, read_source

MALFORMED = Path(__file__).parent / "malformed"
EXPECTED_TABLE = MALFORMED / "EXPECTED.yaml"
EXPECTED: dict[str, dict[str, object]] = yaml.safe_load(EXPECTED_TABLE.read_text("utf-8"))
FIXTURES = sorted(p.name for p in MALFORMED.iterdir() if p.name != EXPECTED_TABLE.name)

LOADERS = ["libyaml", "python"]


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the libyaml composer and again with PyYAML's pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(yaml_nodes, "_LOADER", yaml_nodes._PyLoader)
    elif yaml_nodes._CParser is None:
        pytest.skip("PyYAML built without libyaml")
    return request.param


def errors_of(text: str | bytes, file: str = "<string>") -> list[tuple[str, int, int]]:
    """(code, line, col) of every diagnostic parse_source raises for ``text``."""
    with pytest.raises(SpecError) as info:
        parse_source(text, file)
    return [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics]


# --------------------------------------------------------------------------------------------
# Malformed fixtures
# --------------------------------------------------------------------------------------------


def test_fixture_table_lists_every_fixture() -> None:
    assert len(FIXTURES) >= 30
    assert sorted(EXPECTED) == FIXTURES


@pytest.mark.parametrize("name", FIXTURES)
def test_malformed_fixture_is_refused_at_the_expected_place(name: str, loader: str) -> None:
    path = MALFORMED / name
    want = EXPECTED[name]
    with pytest.raises(SpecError) as info:
        read_source(path)
    diagnostics = info.value.diagnostics
    found = [(d.code, d.span.line, d.span.col) for d in diagnostics]
    assert (want["code"], want["line"], want["col"]) in found, found
    for diag in diagnostics:
        assert diag.span.file == str(path)
        assert diag.severity == "error"
        assert diag.message and diag.fix and diag.expected


@pytest.mark.parametrize("name", FIXTURES)
def test_malformed_fixture_is_a_single_kind_of_problem(name: str) -> None:
    """Each fixture exercises one loader-level problem, so the CLI test sees one code per file."""
    with pytest.raises(SpecError) as info:
        read_source(MALFORMED / name)
    assert {d.code for d in info.value.diagnostics} == {EXPECTED[name]["code"]}


# --------------------------------------------------------------------------------------------
# YAML 1.2 core schema scalars
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1e-3", 0.001),
        ("1e-6", 1e-6),
        ("1E+2", 100.0),
        ("2.5", 2.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("-0.25", -0.25),
        ("3", 3),
        ("-7", -7),
        ("+12", 12),
        ("0777", 777),
        ("0o17", 15),
        ("0x10", 16),
        ("0xfF", 255),
        ('"3"', "3"),
        ("'1e-3'", "1e-3"),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("~", None),
        ("null", None),
        ("NULL", None),
        ("", None),
        ('"yes"', "yes"),
        ("'on'", "on"),
        ("!!str yes", "yes"),
        ("1:30", "1:30"),
        ("0b101", "0b101"),
        ("-0x10", "-0x10"),
        ("1_000", "1_000"),
        ("inf", "inf"),
        ("nan", "nan"),
        ("hello world", "hello world"),
        ("|\n  kept\n", "kept\n"),
    ],
)
def test_yaml12_scalars(written: str, value: object, loader: str) -> None:
    data = parse_source(f"v: {written}\n").data
    assert data["v"] == value
    assert type(data["v"]) is type(value)


@pytest.mark.parametrize(
    "word", ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
             "y", "Y", "n", "N"],
)
def test_yaml11_boolean_words_are_refused(word: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_source(f"flag: {word}\n")
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.span.line, diag.span.col) == ("E111", 1, 7)
    assert f"`{word}`" in diag.message and "quote" in diag.message
    assert diag.key_path == ("flag",)


def test_yaml11_boolean_key_is_refused_and_quoted_one_accepted() -> None:
    assert errors_of("name: a\nOFF: 1\n") == [("E111", 2, 1)]
    assert parse_source("name: a\n'on': 1\n").data == {"name": "a", "on": 1}


@pytest.mark.parametrize("written", [".inf", "-.inf", "+.Inf", ".INF", ".nan", ".NaN", ".NAN",
                                     "1e400", "-1e400"])
def test_non_finite_numbers_are_refused(written: str, loader: str) -> None:
    assert errors_of(f"x: {written}\n") == [("E110", 1, 4)]


def test_keys_stay_strings_as_written() -> None:
    data = parse_source("3: a\ntrue: b\nnull: c\n1.5: d\n").data
    assert data == {"3": "a", "true": "b", "null": "c", "1.5": "d"}


def test_result_is_plain_python() -> None:
    data = parse_source("a: {b: [1, 2.0, x, true, null]}\n").data

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return type(value) is dict and all(
                isinstance(k, str) and plain(v) for k, v in value.items()
            )
        if isinstance(value, list):
            return type(value) is list and all(plain(v) for v in value)
        return value is None or type(value) in (str, int, float, bool)

    assert plain(data)


# --------------------------------------------------------------------------------------------
# Spans
# --------------------------------------------------------------------------------------------

SPEC = """\
# comment line
name: tiny
stem:
  out: 16
  act: relu
stages:
  - repeat: 2
    widths: [24, 48]
  - {repeat: 3, stride: 2}
"""
# Columns worked out by hand (1-based):
#   line 2 "name: tiny"          key name@1, value tiny@7
#   line 3 "stem:"               key stem@1; its mapping starts at "out" on line 4, col 3
#   line 4 "  out: 16"           key out@3, value 16@8
#   line 5 "  act: relu"         key act@3, value relu@8
#   line 6 "stages:"             key stages@1; its list starts at the '-' on line 7, col 3
#   line 7 "  - repeat: 2"       item 0 mapping@5 (key repeat@5), value 2@13
#   line 8 "    widths: [24, 48]" key widths@5, list '['@13, 24@14, 48@18
#   line 9 "  - {repeat: 3, stride: 2}" item 1 '{'@5, repeat@6, 3@14, stride@17, 2@25


def test_spans_of_nested_keys_and_items(loader: str) -> None:
    src = parse_source(SPEC, "tiny.yaml")

    def at(line: int, col: int) -> Span:
        return Span("tiny.yaml", line, col)

    assert src.data == {
        "name": "tiny",
        "stem": {"out": 16, "act": "relu"},
        "stages": [{"repeat": 2, "widths": [24, 48]}, {"repeat": 3, "stride": 2}],
    }
    assert src.value_spans[()] == at(2, 1)
    assert src.value_spans[("name",)] == at(2, 7)
    assert src.key_spans[("name",)] == at(2, 1)
    assert src.value_spans[("stem",)] == at(4, 3)
    assert src.key_spans[("stem",)] == at(3, 1)
    assert src.value_spans[("stem", "out")] == at(4, 8)
    assert src.key_spans[("stem", "out")] == at(4, 3)
    assert src.value_spans[("stem", "act")] == at(5, 8)
    assert src.value_spans[("stages",)] == at(7, 3)
    assert src.value_spans[("stages", 0)] == at(7, 5)
    assert src.key_spans[("stages", 0, "repeat")] == at(7, 5)
    assert src.value_spans[("stages", 0, "repeat")] == at(7, 13)
    assert src.key_spans[("stages", 0, "widths")] == at(8, 5)
    assert src.value_spans[("stages", 0, "widths")] == at(8, 13)
    assert src.value_spans[("stages", 0, "widths", 0)] == at(8, 14)
    assert src.value_spans[("stages", 0, "widths", 1)] == at(8, 18)
    assert src.value_spans[("stages", 1)] == at(9, 5)
    assert src.key_spans[("stages", 1, "repeat")] == at(9, 6)
    assert src.value_spans[("stages", 1, "repeat")] == at(9, 14)
    assert src.key_spans[("stages", 1, "stride")] == at(9, 17)
    assert src.value_spans[("stages", 1, "stride")] == at(9, 25)


def test_every_value_and_key_has_a_span() -> None:
    src = parse_source(SPEC)

    def walk(value: object, path: tuple[str | int, ...]) -> None:
        assert path in src.value_spans
        if isinstance(value, dict):
            for key, child in value.items():
                assert (*path, key) in src.key_spans
                walk(child, (*path, key))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, (*path, index))

    walk(src.data, ())


def test_span_of_falls_back_to_nearest_ancestor() -> None:
    src = parse_source(SPEC, "tiny.yaml")
    assert src.span_of(("stem", "missing", 3)) == Span("tiny.yaml", 4, 3)
    assert src.span_of(("stages", 0, "widths", 7)) == Span("tiny.yaml", 8, 13)
    assert src.span_of(("nowhere",)) == Span("tiny.yaml", 2, 1)
    assert src.span_of(()) == Span("tiny.yaml", 2, 1)
    assert src.span_of(["stem", "out"]) == Span("tiny.yaml", 4, 8)  # type: ignore[arg-type]


def test_key_span_of_prefers_the_key() -> None:
    src = parse_source(SPEC, "tiny.yaml")
    assert src.key_span_of(("stem", "act")) == Span("tiny.yaml", 5, 3)
    assert src.key_span_of(("stages", 1)) == Span("tiny.yaml", 9, 5)  # no key: the item itself
    assert src.key_span_of(("stem", "nope")) == Span("tiny.yaml", 4, 3)


def test_line_text() -> None:
    src = parse_source(SPEC)
    assert src.line_text(1) == "# comment line"
    assert src.line_text(4) == "  out: 16"
    assert src.line_text(0) == ""
    assert src.line_text(99) == ""


def test_crlf_and_bom_do_not_shift_positions(loader: str) -> None:
    src = parse_source(b"\xef\xbb\xbfname: a\r\nstem:\r\n  out: 8\r\n", "w.yaml")
    assert src.data == {"name": "a", "stem": {"out": 8}}
    assert src.value_spans[("stem", "out")] == Span("w.yaml", 3, 8)
    assert src.key_spans[("name",)] == Span("w.yaml", 1, 1)
    assert src.line_text(3) == "  out: 8"
    assert not src.text.startswith("\ufeff")


def test_non_ascii_columns_count_characters() -> None:
    src = parse_source("note: 'héllo wörld'\nx: 1\nz: [é, 2]\n")
    assert src.value_spans[("z", 1)] == Span("<string>", 3, 8)


# --------------------------------------------------------------------------------------------
# Duplicates, aliases, collection of many diagnostics
# --------------------------------------------------------------------------------------------


def test_duplicate_keys_name_the_first_occurrence() -> None:
    text = "name: a\nstem:\n  out: 1\n  out: 2\nname: b\n"
    with pytest.raises(SpecError) as info:
        parse_source(text)
    diags = info.value.diagnostics
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("E106", 4, 3), ("E106", 5, 1)]
    assert "line 3" in diags[0].message and "`out`" in diags[0].message
    assert "line 1" in diags[1].message
    assert diags[0].key_path == ("stem", "out")


def test_all_problems_are_reported_together() -> None:
    text = "a: yes\nb: .nan\nb: 2\nc: !!int '3'\n? [x]\n: 1\n"
    assert errors_of(text) == [
        ("E111", 1, 4), ("E110", 2, 4), ("E106", 3, 1), ("E107", 4, 4), ("E112", 5, 3),
    ]


def test_aliases_expand_into_independent_copies() -> None:
    src = parse_source("base: &b {out: 16, act: relu}\nother: *b\n")
    assert src.data["other"] == {"out": 16, "act": "relu"}
    assert src.data["other"] is not src.data["base"]
    # an aliased value points at the anchored node
    assert src.value_spans[("other", "out")] == Span("<string>", 1, 16)


def test_problem_inside_an_aliased_value_is_reported_once() -> None:
    assert errors_of("a: &x [yes]\nb: *x\nc: *x\n") == [("E111", 1, 8)]


def test_alias_expansion_limit_counts_expanded_nodes() -> None:
    ok = "a: &a [" + ", ".join(["1"] * 300) + "]\nb: [" + ", ".join(["*a"] * 300) + "]\n"
    assert len(parse_source(ok).data["b"]) == 300  # 300 * 301 + ... < 100,000
    bomb = "a: &a [" + ", ".join(["1"] * 400) + "]\nb: [" + ", ".join(["*a"] * 400) + "]\n"
    assert errors_of(bomb) == [("E108", 2, 4)]


def test_forty_nine_levels_are_fine_fifty_one_are_not() -> None:
    assert parse_source("a: " + "[" * 49 + "]" * 49 + "\n").data["a"] is not None
    assert errors_of("a: " + "[" * 50 + "]" * 50 + "\n") == [("E109", 1, 53)]


def test_very_deep_nesting_is_refused_not_crashed(loader: str) -> None:
    codes = {code for code, _, _ in errors_of("a: " + "[" * 3000 + "]" * 3000 + "\n")}
    assert codes == {"E109"}


# --------------------------------------------------------------------------------------------
# Files, sizes, encodings
# --------------------------------------------------------------------------------------------


def test_read_source_uses_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "net.yaml").write_text("name: net\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    src = read_source("net.yaml")
    assert isinstance(src, Source)
    assert src.file == "net.yaml"
    assert src.span_of(("name",)) == Span("net.yaml", 1, 7)
    assert read_source(tmp_path / "net.yaml").file == str(tmp_path / "net.yaml")


def test_missing_file_and_directory_are_e100(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpecError) as info:
        read_source(missing)
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.span) == ("E100", Span(str(missing), 1, 1))
    with pytest.raises(SpecError) as info:
        read_source(tmp_path)
    assert info.value.diagnostics[0].code == "E100"


def test_files_over_one_mebibyte_are_refused_before_parsing(tmp_path: Path) -> None:
    big = "x: " + "a" * MAX_BYTES + "\n"
    assert errors_of(big) == [("E113", 1, 1)]
    assert errors_of(big.encode()) == [("E113", 1, 1)]
    path = tmp_path / "big.yaml"
    path.write_text("[" * (MAX_BYTES + 1), "utf-8")  # would be a syntax error if parsed
    with pytest.raises(SpecError) as info:
        read_source(path)
    assert [d.code for d in info.value.diagnostics] == ["E113"]
    assert parse_source("x: " + "a" * (MAX_BYTES - 10) + "\n").data["x"].startswith("aaa")


def test_text_and_bytes_give_the_same_source() -> None:
    text = "name: café\nlr: 1e-3\n"
    assert parse_source(text).data == parse_source(text.encode()).data == {"name": "café",
                                                                             "lr": 0.001}


def test_syntax_error_message_carries_context_and_fix() -> None:
    with pytest.raises(SpecError) as info:
        parse_source('name: "net\ndepth: 3\n')
    (diag,) = info.value.diagnostics
    assert diag.code == "E103"
    assert "line 1, column 7" in diag.message  # where the quote was opened
    assert diag.fix and "quot" in diag.fix
    with pytest.raises(SpecError) as info:
        parse_source("a:\n\t- b\n")
    assert "tab" in (info.value.diagnostics[0].fix or "")


def test_random_corruptions_never_escape_as_other_exceptions() -> None:
    """Whatever the bytes, the loader returns a Source or raises SpecError, nothing else."""
    seeds = [SPEC.encode(), (MALFORMED / "alias_bomb.yaml").read_bytes()]
    alphabet = b"[]{}:,-?&*!|>'\"#%@`\t\n\r \x00\xff\xc3.~0aeyo"
    rng = random.Random(1234)
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data) + 1)
            if rng.random() < 0.5 and pos < len(data):
                del data[pos]
            else:
                data[pos:pos] = bytes([rng.choice(alphabet)])
        try:
            src = parse_source(bytes(data))
        except SpecError as exc:
            assert all(d.span.line >= 1 and d.span.col >= 1 for d in exc.diagnostics)
        else:
            assert isinstance(src.data, dict)
            for value in _leaves(src.data):
                assert not (isinstance(value, float) and not math.isfinite(value))


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for child in value.values() for leaf in _leaves(child)]
    if isinstance(value, list):
        return [leaf for child in value for leaf in _leaves(child)]
    return [value]
