"""The space file: loaded over a real base, and every mistake located at its line and column."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archspec.diagnostics import Diagnostic, SpecError
from archspec.spec.source import parse_source
from archspec.sweep.space import MAX_VALUES, Space, load_space, space_schema
from tests.sweep._support import EMO, ROOT, at, write_space

EXAMPLE = """\
sweep: 1
base: BASE
variant: emo_1m
space:
  stages.s3.depth: [6, 8, 10]
  stages.s3.block.exp: {min: 2.0, max: 4.0, step: 0.5}
  stages.*.block.dw_k: [3, 5]
  input.size: [224, 256]
  width.mult: [0.75, 1.0]
  stages.s3.first.exp: {tie: stages.s3.block.exp, times: 2.0}
skip:
  - stages.s3.depth > 8 and input.size == 256
"""


def problems(path: Path) -> list[Diagnostic]:
    with pytest.raises(SpecError) as caught:
        load_space(path)
    return caught.value.diagnostics


def one(path: Path, code: str) -> Diagnostic:
    found = [d for d in problems(path) if d.code == code]
    assert len(found) == 1, found
    return found[0]


def where(d: Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.col


def test_the_briefs_example_loads(tmp_path: Path) -> None:
    space = load_space(write_space(tmp_path, EXAMPLE))
    assert space.base == str(EMO) and space.variant == "emo_1m"
    assert space.paths == ("stages.s3.depth", "stages.s3.block.exp", "stages.*.block.dw_k",
                           "input.size", "width.mult", "stages.s3.first.exp")
    kinds = [a.kind for a in space.axes]
    assert kinds == ["choices", "range", "choices", "choices", "choices", "tie"]
    assert list(space.axes[1].values) == [2.0, 2.5, 3.0, 3.5, 4.0]
    assert space.size() == 3 * 5 * 2 * 2 * 2  # the tie is derived, not sampled
    values = space.combine([10, 3.5, 5, 256, 1.0])
    assert dict(values)["stages.s3.first.exp"] == 7.0
    assert space.skipped(values) and not space.skipped(space.combine([8, 3.5, 5, 256, 1.0]))
    setup = space.setup(select=["G1"])
    assert setup.base == str(EMO) and setup.variant == "emo_1m" and setup.axes == space.paths
    assert setup.select == ("G1",) and setup.device is None


def test_the_variant_defaults_to_the_bases_default(tmp_path: Path) -> None:
    space = load_space(write_space(tmp_path, EXAMPLE.replace("variant: emo_1m\n", "")))
    assert space.variant == "emo_1m"


def test_a_shipped_networks_name_is_a_base_and_picks_its_variant(tmp_path: Path) -> None:
    space = load_space(write_space(tmp_path, EXAMPLE.replace("variant: emo_1m\n", ""),
                                   base="emo_2m"))
    assert space.variant == "emo_2m" and Path(space.base).name == "emo.yaml"
    path = write_space(tmp_path, EXAMPLE, base="emo_2m")
    d = one(path, "E131")
    assert where(d) == at(path, "emo_1m")


def test_an_integer_range_needs_no_step_and_stays_integer(tmp_path: Path) -> None:
    space = load_space(write_space(tmp_path, """\
        sweep: 1
        base: BASE
        space:
          stages.s3.depth: {min: 2, max: 9, step: 3}
          stages.s2.depth: {min: 1, max: 3}
        """))
    assert list(space.axes[0].values) == [2, 5, 8]
    assert list(space.axes[1].values) == [1, 2, 3]
    assert all(type(v) is int for a in space.axes for v in a.values)


def test_a_spec_passed_as_the_space_is_e200(tmp_path: Path) -> None:
    (d,) = problems(EMO)
    assert d.code == "E200" and "looks like a spec" in d.message


def test_an_unknown_version_is_e200_at_the_version(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("sweep: 1", "sweep: 2"))
    (d,) = problems(path)
    assert d.code == "E200" and where(d) == at(path, "2")


def test_an_unknown_key_is_e201_with_did_you_mean(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("skip:", "skips:"))
    d = one(path, "E201")
    assert where(d) == at(path, "skips") and d.fix == "did you mean `skip`?"


def test_an_axis_that_is_no_list_range_or_tie_is_e201(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("input.size: [224, 256]", "input.size: 224"))
    d = one(path, "E201")
    assert where(d) == at(path, "224") and "{min, max, step}" in (d.expected or "")


def test_a_range_key_misspelt_is_e201_with_did_you_mean(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("step: 0.5", "stpe: 0.5"))
    d = one(path, "E201")
    assert where(d) == at(path, "stpe") and d.fix == "did you mean `step`?"


@pytest.mark.parametrize(("axis", "needle", "message"), [
    ("{min: 4.0, max: 2.0, step: 0.5}", "2.0", "below"),
    ("{min: 2.0, max: 4.0, step: -0.5}", "-0.5", "not positive"),
    ("{min: 2.0, max: 4.0}", "{min", "needs a `step`"),
])
def test_a_bad_range_is_e201_at_its_key(tmp_path: Path, axis: str, needle: str,
                                        message: str) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("{min: 2.0, max: 4.0, step: 0.5}", axis))
    d = one(path, "E201")
    assert where(d) == at(path, needle) and message in d.message


def test_a_repeated_choice_is_e201(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("[6, 8, 10]", "[6, 8, 6.0]"))
    d = one(path, "E201")
    assert where(d) == at(path, "6.0")


def test_a_base_that_is_neither_file_nor_name_is_e201(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE, base="emo_1n")
    d = one(path, "E201")
    assert where(d) == at(path, "emo_1n") and d.fix == "did you mean `emo_1m`?"


def test_an_unknown_variant_is_e131_at_the_space_files_variant(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("variant: emo_1m", "variant: emo_3m"))
    d = one(path, "E131")
    assert where(d) == at(path, "emo_3m") and d.fix is not None and "emo_" in d.fix


@pytest.mark.parametrize(("old", "new", "fix"), [
    ("stages.s3.depth", "stages.s33.depth", "did you mean `s3`?"),
    ("stages.s3.block.exp:", "stages.s3.block.epx:", "did you mean `exp`?"),
    ("stages.s3.depth", "stages.s3.dpeth", "did you mean `depth`?"),
    ("width.mult", "width.mul", "did you mean `mult`?"),
    ("width.mult", "widht.mult", "did you mean `width`?"),
    ("stages.*.block.dw_k", "stages.*.block.dwk", "did you mean `dw_k`?"),
])
def test_a_path_not_in_the_base_is_e202_at_its_key(tmp_path: Path, old: str, new: str,
                                                   fix: str) -> None:
    path = write_space(tmp_path, EXAMPLE.replace(old, new, 1))
    d = one(path, "E202")
    assert where(d) == at(path, new.rstrip(":")) and d.fix == fix


@pytest.mark.parametrize(("axis", "words"), [
    ("stem.0.out: [16, 24]", "is a list"),
    ("stages.s3.block.block: [mmb]", "cannot be swept"),
    ("input.size.h: [224]", "is a value"),
    ("stages.s3.depth.x: [1]", "is a value"),
    ("stages.s3: [1]", "stages.<name>.<key>"),
])
def test_paths_that_address_no_field_are_e202(tmp_path: Path, axis: str, words: str) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("width.mult: [0.75, 1.0]", axis))
    d = one(path, "E202")
    assert words in d.message and where(d) == at(path, axis.split(":")[0] + ":")


def test_a_value_the_field_refuses_is_e203_at_the_value(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("[3, 5]", "[3, 0, five]")
                       .replace("[0.75, 1.0]", "[0.75, 99.0]"))
    found = {d.message.split(":")[0]: d for d in problems(path)}
    assert {d.code for d in found.values()} == {"E203"}
    zero = found["`stages.*.block.dw_k[1]`"]
    assert zero.message.endswith("out of range")  # once, though four stages refuse it
    assert where(zero) == at(path, "0, five") and "out of range" in zero.message
    assert where(found["`stages.*.block.dw_k[2]`"]) == at(path, "five")
    assert where(found["`width.mult[1]`"]) == at(path, "99.0")


def test_a_range_is_checked_at_its_ends(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("{min: 2.0, max: 4.0, step: 0.5}",
                                                 "{min: 2.0, max: 70.0, step: 0.5}"))
    ranged, tied = problems(path)  # 70 is over an mmb's 64, and so is the tie's 140
    assert ranged.code == tied.code == "E203"
    assert where(ranged) == at(path, "70.0") and ranged.message.startswith(
        "`stages.s3.block.exp.max`: 70.0 is out of range")
    assert where(tied) == at(path, "stages.s3.block.exp, times")
    assert "140.0" in tied.message and "derived from `stages.s3.block.exp` = 70.0" in tied.message


def test_an_integer_field_refuses_a_float_range(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("[6, 8, 10]", "{min: 6.0, max: 8.0, step: 1.0}"))
    low, high = problems(path)
    assert where(low) == at(path, "6.0") and where(high) == at(path, "8.0")
    assert "expected an integer" in low.message and low.code == high.code == "E203"


def test_a_tied_value_is_checked_where_the_tie_is_written(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("times: 2.0", "times: 20.0"))
    d = one(path, "E203")  # 4.0 × 20 = 80 > 64, the most an mmb's exp may be
    assert where(d) == at(path, "stages.s3.block.exp, times")


def test_a_tie_to_no_axis_is_e204_with_did_you_mean(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("{tie: stages.s3.block.exp",
                                                 "{tie: stages.s3.block.xp"))
    d = one(path, "E204")
    assert where(d) == at(path, "stages.s3.block.xp")
    assert d.fix == "did you mean `stages.s3.block.exp`?"


def test_ties_in_a_cycle_are_e204(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace(
        "  width.mult: [0.75, 1.0]\n",
        "  stages.s1.out: {tie: stages.s2.out}\n  stages.s2.out: {tie: stages.s1.out}\n"))
    found = [d for d in problems(path) if d.code == "E204"]
    assert len(found) == 2 and all("cycle" in d.message for d in found)
    assert where(found[0]) == at(path, "stages.s2.out}")


def test_times_on_an_axis_of_strings_is_e204(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace(
        "  width.mult: [0.75, 1.0]\n",
        "  stages.s3.block.f: [attn, dwconv]\n  stages.s4.block.f: {tie: stages.s3.block.f, "
        "times: 2}\n"))
    d = one(path, "E204")
    assert "numbers" in d.message


def test_a_tie_without_arithmetic_copies_any_value(tmp_path: Path) -> None:
    space = load_space(write_space(tmp_path, EXAMPLE.replace(
        "  width.mult: [0.75, 1.0]\n",
        "  stages.s3.block.f: [attn, dwconv]\n  stages.s4.block.f: {tie: stages.s3.block.f}\n")))
    values = dict(space.combine([6, 2.0, 3, 224, "dwconv"]))
    assert values["stages.s4.block.f"] == "dwconv"


@pytest.mark.parametrize(("condition", "needle", "words"), [
    ("stages.s3.depht > 8", "stages.s3.depht", "did you mean `stages.s3.depth`?"),
    ("input.size > 8 and open('x') == 1", "open", "not allowed"),
    ("stages.s3.depth ** 2 > 8", "stages.s3.depth **", "only + - * / // %"),
    ("stages.*.block.dw_k == 5", "stages.*", "stages.*"),
    ("input.size + 'px' == 3", "input.size +", "numbers on both sides"),
    ("input.size", "input.size", "true or false"),
    ("input.size >", "input.size >", "not a condition"),
])
def test_a_bad_skip_is_e205_at_its_column(tmp_path: Path, condition: str, needle: str,
                                          words: str) -> None:
    path = write_space(tmp_path, EXAMPLE.replace(
        "stages.s3.depth > 8 and input.size == 256", condition))
    d = one(path, "E205")
    assert words in f"{d.message} {d.fix}"
    line, col = at(path, needle, nth=0 if needle not in EXAMPLE.split("skip:")[0] else 1)
    assert d.span.line == line and (d.span.col == col or words == "not a condition")


def test_a_skip_longer_than_500_characters_is_e205(tmp_path: Path) -> None:
    long = " or ".join(["input.size == 224"] * 30)
    path = write_space(tmp_path, EXAMPLE.replace(
        "stages.s3.depth > 8 and input.size == 256", long))
    assert "characters" in one(path, "E205").message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("stages.s3.depth", "stages.s9.depth", 1)
                       .replace("[0.75, 1.0]", "[0.75, -1.0]")
                       .replace("{tie: stages.s3.block.exp", "{tie: nothing")
                       .replace("input.size == 256", "input.size === 256"))
    assert [d.code for d in problems(path)] == ["E202", "E203", "E204", "E205"]


def test_a_bad_axis_or_key_hides_no_other_problem(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("variant:", "varaint:")
                       .replace("stages.s3.depth", "stages.s9.depth", 1)
                       .replace("[224, 256]", "224")
                       .replace("step: 0.5", "stpe: 0.5")
                       .replace("  - stages.s3.depth > 8", "  - 5\n  - stages.s3.depth > 8"))
    found = [(d.code, where(d)) for d in problems(path)]
    assert found == [("E201", at(path, "varaint")), ("E202", at(path, "stages.s9.depth")),
                     ("E201", at(path, "stpe")), ("E201", at(path, "224")),
                     ("E201", (at(path, "- 5")[0], 5)), ("E205", at(path, "stages.s3.depth >"))]


def test_a_huge_range_is_e206_not_a_list_of_ten_million(tmp_path: Path) -> None:
    path = write_space(tmp_path, EXAMPLE.replace("[224, 256]", "{min: 1, max: 1000000000}"))
    d = one(path, "E206")
    assert f"{MAX_VALUES:,}" in d.message and where(d) == at(path, "{min: 1")


def test_a_bad_base_reports_the_bases_own_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("archspec: 1\nname: x\ninput: {size: 0}\n", encoding="utf-8")
    found = problems(write_space(tmp_path, EXAMPLE, base="bad.yaml"))
    assert found and all(d.span.file.endswith("bad.yaml") for d in found)


def test_the_schema_is_checked_in_and_accepts_the_example(tmp_path: Path) -> None:
    schema = space_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    checked_in = json.loads((ROOT / "docs" / "sweep.schema.json").read_text(encoding="utf-8"))
    assert checked_in == schema, "run: archspec schema --space -o docs/sweep.schema.json"
    data = parse_source(EXAMPLE.replace("BASE", "emo.yaml")).data
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "spase": 1}, schema)


def test_space_is_a_plain_record(tmp_path: Path) -> None:
    space = load_space(write_space(tmp_path, EXAMPLE))
    assert isinstance(space, Space) and space.file.endswith("space.yaml")


def test_archspec_schema_space_writes_the_checked_in_schema(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from archspec.cli import main

    out = tmp_path / "sweep.schema.json"
    assert main(["schema", "--space", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == \
        (ROOT / "docs" / "sweep.schema.json").read_text(encoding="utf-8")
    assert main(["schema", "--space"]) == 0
    assert json.loads(capsys.readouterr().out) == space_schema()


@pytest.mark.parametrize(("text", "needle"), [
    ("sweep: 1\nbase: BASE\n", "sweep"),  # no space: the mapping that lacks it
    ("sweep: 1\nbase: BASE\nspace: [a]\n", "[a]"),
    ("sweep: 1\nbase: BASE\nspace: {}\n", "{}"),
    ("sweep: 1\nbase: 3\nspace: {input.size: [224]}\n", "3"),
    ("sweep: 1\nbase: BASE\nvariant: a b\nspace: {input.size: [224]}\n", "a b"),
    ("sweep: 1\nbase: BASE\nspace: {input.size: [224]}\nskip: true\n", "true"),
])
def test_a_malformed_file_is_one_located_e201(tmp_path: Path, text: str, needle: str) -> None:
    path = write_space(tmp_path, text)
    (d,) = problems(path)
    assert d.code == "E201" and where(d) == at(path, needle)


@given(start=st.integers(0, len(EXAMPLE)), length=st.integers(0, 12),
       junk=st.text(alphabet=" \n:{}[],-.*#'\"abcs0123456789_", max_size=12))
@settings(max_examples=60)
def test_a_mangled_space_file_loads_or_is_a_spec_error(start: int, length: int,
                                                       junk: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        text = EXAMPLE[:start] + junk + EXAMPLE[start + length:]
        path = write_space(Path(folder), text, base=str(EMO))
        try:
            load_space(path)
        except SpecError as exc:
            assert all(d.span.line >= 1 and d.span.col >= 1 for d in exc.diagnostics)
