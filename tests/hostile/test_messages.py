"""Issue 8 §6: messages that mislead, and `groups: depthwise`.

A key in the wrong mapping says where it belongs (never "did you mean" the key itself); E108 tells
a big file from an alias bomb; E141 under `width:` says that `groups` is absolute and offers
`groups: depthwise`; S104 in a variant points at the variant, H101 at the producer of a width;
messages name places by block path (`stages.s1[2].exp`) and JSON keeps the document path in
`data.path`. Build parity for `groups: depthwise` is in tests/nn/test_groups_depthwise.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.diagnostics import Diagnostic, SpecError
from archspec.spec.document import loads
from archspec.spec.yaml_nodes import MAX_NODES

ROOT = Path(__file__).resolve().parents[2]
HEAD = """\
archspec: 1
name: t
input: {channels: 3, size: 32}
"""
TAIL = """\
head:
  - {block: pool, global: true}
  - {block: linear, out: 10}
"""


def _errors(text: str, variant: str | None = None) -> list[Diagnostic]:
    with pytest.raises(SpecError) as exc:
        archspec.resolve(loads(textwrap.dedent(text), "t.yaml"), variant)
    return exc.value.diagnostics


def _one(text: str, code: str) -> Diagnostic:
    found = [d for d in _errors(text) if d.code == code]
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------ a key in the wrong place

STAGE_WITH_DEDENTED_KEY = HEAD + """\
stages:
  - name: s1
    out: 32
    depth: 2
    block: {block: mmb}
    exp: 2.0
""" + TAIL


def test_a_block_key_dedented_into_its_stage_says_so() -> None:
    d = _one(STAGE_WITH_DEDENTED_KEY, "E120")
    assert (d.span.line, d.span.col) == (9, 5)
    assert d.message == ("`stages.s1.exp`: unknown key `exp`: `exp` is a key of a block (mmb, se, uib), "
                         "not of a stage")
    assert "indentation" in (d.fix or "") and "`block:`" in (d.fix or "")
    assert d.expected == "block, blocks, depth, first, name, noqa, out"  # a stage's keys


def test_a_stage_with_a_string_block_still_lists_stage_keys() -> None:
    """`block: mmb` (a string) made the stage look like an mmb block: "did you mean `exp`?"."""
    text = STAGE_WITH_DEDENTED_KEY.replace("block: {block: mmb}", "block: mmb")
    d = _one(text, "E120")
    assert "did you mean `exp`" not in (d.fix or "")
    assert d.expected == "block, blocks, depth, first, name, noqa, out"
    assert "a key of a block (mmb, se, uib), not of a stage" in d.message


@pytest.mark.parametrize(("text", "where", "fragment"), [
    (HEAD + "out: 5\n", "`out`", "is a key of a stage or a block (conv, ghost, linear, mmb, mqa, shuffle, "
     "uib), not of the top level"),
    (HEAD.replace("size: 32}", "size: 32, stride: 2}"), "`input.stride`", "not of `input`"),
    (HEAD + "width: {mult: 0.5, out: 8}\n", "`width.out`", "not of `width`"),
    (HEAD + "defaults: {exp: 2}\n", "`defaults.exp`", "a key of a block (mmb, se, uib), not of `defaults`"),
    (HEAD + "defaults: {conv: {depth: 2}}\n", "`defaults.conv.depth`", "a key of a stage"),
    (HEAD + "stem:\n  - {block: conv, out: 8, norm: {type: bn, k: 3}}\n", "`stem[0].norm.k`",
     "not of a norm"),
    (HEAD + "stem:\n  - {block: conv, out: 8, exp: 2}\n", "`stem[0].exp`",
     "a key of a block (mmb, se, uib), not of a `conv` block"),
    (HEAD + "stem:\n  - {block: conv, out: 8, depth: 2}\n", "`stem[0].depth`",
     "a key of a stage or a block (transformer), not of a `conv` block"),
])
def test_keys_that_belong_elsewhere_name_where(text: str, where: str, fragment: str) -> None:
    found = [d for d in _errors(text) if d.code == "E120"]
    assert len(found) == 1, found
    assert found[0].message.startswith(f"{where}: unknown key"), found[0].message
    assert fragment in found[0].message
    assert found[0].fix


def test_a_key_in_first_that_belongs_to_the_stage() -> None:
    text = STAGE_WITH_DEDENTED_KEY.replace("    exp: 2.0\n", "    first: {stride: 2, depth: 3}\n")
    d = _one(text, "E120")
    assert d.message.startswith("`stages.s1[0].depth`: unknown key `depth`: `depth` is a key of "
                                "a stage or a block (transformer), not of a `mmb` block")
    assert d.data["path"] == "stages[0].first.depth"


@pytest.mark.parametrize(("key", "fix"), [
    ("exp: 2.0", "`stages: {<stage>: {block: {exp: …}}}`"),
    ("depth: 2", "`stages: {<stage>: {depth: …}}`"),
    ("channels: 4", "`input: {channels: …}`"),
    ("archspec: 1", "a variant cannot change it"),
])
def test_a_variant_key_that_belongs_elsewhere(key: str, fix: str) -> None:
    text = HEAD + TAIL + f"variants:\n  v: {{{key}}}\n"
    with pytest.raises(SpecError) as exc:
        loads(text)
    d = exc.value.diagnostics[0]
    assert d.code == "E120" and "not of a variant" in d.message
    assert fix in (d.fix or "")


def test_a_typo_still_gets_did_you_mean() -> None:
    d = _one(STAGE_WITH_DEDENTED_KEY.replace("    exp: 2.0\n", "    dept: 2\n"), "E120")
    assert d.fix == "did you mean `depth`?"


def test_did_you_mean_never_offers_the_key_itself() -> None:
    """Every E120 of a corpus of misplaced keys: the suggestion differs from the key."""
    keys = ["exp", "out", "k", "stride", "depth", "name", "eps", "mult", "channels", "noqa",
            "block", "blocks", "groups", "type", "act"]
    places = ["{k}: 1\n", "stages:\n  - {{name: s1, {k}: 1, blocks: [{{block: conv, out: 8}}]}}\n",
              "stem:\n  - {{block: pool, {k}: 1}}\n", "width: {{{k}: 1}}\n",
              "stem:\n  - {{block: conv, out: 8, norm: {{type: bn, {k}: 1}}}}\n"]
    seen = 0
    for place in places:
        for key in keys:
            try:
                loads(HEAD + place.format(k=key))
            except SpecError as exc:
                for d in exc.diagnostics:
                    if d.code == "E120":
                        seen += 1
                        name = d.message.split("unknown key `")[1].split("`")[0]
                        assert d.fix != f"did you mean `{name}`?", d
    assert seen > 30


# ------------------------------------------------------------------ block paths in messages


def test_messages_use_block_paths_and_json_keeps_the_document_path() -> None:
    text = HEAD + """\
stages:
  - name: s1
    blocks:
      - {block: conv, out: 8}
      - {block: conv, out: 8, kk: 3}
  - name: s3
    blocks:
      - {block: conv, out: 8}
      - {block: conv, out: 8}
      - {block: mmb, out: 8, exp: true}
""" + TAIL
    found = {d.code: d for d in _errors(text)}
    assert found["E120"].message.startswith("`stages.s1[1].kk`: unknown key `kk`")
    assert found["E121"].message.startswith("`stages.s3[2].exp`: expected")
    assert found["E121"].block == "stages.s3[2]"
    assert found["E121"].data["path"] == "stages[1].blocks[2].exp"
    assert found["E121"].key_path_str == "stages[1].blocks[2].exp"


def test_a_variant_error_keeps_where_the_override_is_written() -> None:
    text = HEAD + """\
stages:
  - {name: s1, out: 8, depth: 1, block: {block: conv}}
""" + TAIL + """\
variants:
  v: {stages: {s1: {out: 0}}}
"""
    with pytest.raises(SpecError) as exc:
        loads(text)
    (d,) = exc.value.diagnostics
    assert d.message.startswith("`stages.s1.out`: 0 is out of range")
    assert d.data["path"] == "variants.v.stages.s1.out" and d.span.line == 10


# ------------------------------------------------------------------ E108


def test_e108_a_big_file_is_not_an_alias_bomb() -> None:
    text = HEAD + "x: [" + ", ".join(["1"] * (MAX_NODES + 1)) + "]\n"
    with pytest.raises(SpecError) as exc:
        loads(text)
    (d,) = exc.value.diagnostics
    assert d.code == "E108" and "alias" not in d.message
    # HEAD is 11 nodes (the root mapping, 5 keys, 5 values); then `x`, its list, the items
    assert f"the file has {11 + 2 + MAX_NODES + 1:,} YAML nodes" in d.message
    assert "limit" in d.message and d.fix


def test_e108_an_alias_bomb_says_alias_expansion() -> None:
    rows = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcd", "bcde", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(SpecError) as exc:
        loads("\n".join(rows) + "\n")
    (d,) = exc.value.diagnostics
    assert d.code == "E108" and d.message.startswith("alias expansion too large")
    assert "111,111 nodes" in d.message and "as written has 21" in d.message
    assert (d.span.line, d.span.col) == (5, 4)


# ------------------------------------------------------------------ groups


GROUPED = HEAD + """\
width: {mult: 0.5}
stem:
  - {block: conv, out: 32, k: 3, stride: 2}
  - {block: conv, out: 32, k: 3, groups: 32}
""" + TAIL


def test_e141_under_a_width_multiplier_says_groups_is_absolute() -> None:
    d = _one(GROUPED, "E141")
    assert (d.span.line, d.span.col) == (7, 42)
    assert "groups=32 must divide input channels 16" in d.message
    assert "`groups` is absolute" in d.message and "mult 0.5" in d.message
    assert "groups: depthwise" in (d.fix or "")


def test_e141_without_a_multiplier_is_unchanged() -> None:
    d = _one(GROUPED.replace("width: {mult: 0.5}\n", "").replace("groups: 32", "groups: 3"),
             "E141")
    assert "absolute" not in d.message and "depthwise" not in (d.fix or "")


def test_e141_does_not_offer_depthwise_for_an_unrelated_group_count() -> None:
    d = _one(GROUPED.replace("groups: 32", "groups: 6"), "E141")
    assert "`groups` is absolute" in d.message and "depthwise" not in (d.fix or "")


def test_depthwise_groups_resolve_after_scaling() -> None:
    net = archspec.resolve(loads(GROUPED.replace("groups: 32", "groups: depthwise")))
    assert (net.blocks[1].in_ch, net.blocks[1].groups) == (16, 16)


def test_depthwise_needs_out_a_multiple_of_in() -> None:
    # in 32·0.5 = 16 channels, out 48·0.5 = 24: not a multiple of 16
    d = _one(GROUPED.replace("out: 32, k: 3, groups: 32", "out: 48, k: 3, groups: depthwise"),
             "E141")
    assert "groups: depthwise (16 groups" in d.message and "output channels 24" in d.message


def test_mmb_groups_under_a_multiplier() -> None:
    text = HEAD + """\
width: {mult: 0.5}
stem:
  - {block: conv, out: 32, k: 3, stride: 2}
  - {block: mmb, out: 32, mid: 64, groups: 64}
""" + TAIL
    d = _one(text, "E141")
    assert "`groups` is absolute" in d.message and "groups: depthwise" in (d.fix or "")
    net = archspec.resolve(loads(text.replace("groups: 64", "groups: depthwise")))
    assert net.blocks[1].groups == net.blocks[1].mid == 32


@pytest.mark.parametrize(("value", "code"), [("2.0", "E121"), ("true", "E121"), ("dw", "E121"),
                                             ("0", "E122")])
def test_groups_types(value: str, code: str) -> None:
    with pytest.raises(SpecError) as exc:
        loads(GROUPED.replace("groups: 32", f"groups: {value}"))
    assert [d.code for d in exc.value.diagnostics] == [code]
    assert "depthwise" in (exc.value.diagnostics[0].expected or "") or code == "E122"


# ------------------------------------------------------------------ S104 and H101 locations


VARIANTS = HEAD + """\
width: {mult: 1.0}
stem:
  - {block: conv, out: 16, k: 3, stride: 2}
stages:
  - {name: s1, out: 32, depth: 1, block: {block: mmb, exp: 2.0}}
""" + TAIL + """\
variants:
  base: {}
  wide: {stages: {s1: {out: 100}}}
  half: {width: {mult: 0.75}}
"""


def test_s104_in_a_variant_points_the_fix_at_the_variant() -> None:
    found = archspec.lint(loads(VARIANTS), select=["S104"])
    by_variant = {d.variant: d for d in found}
    assert set(by_variant) == {"wide", "half"}
    wide, half = by_variant["wide"], by_variant["half"]
    assert wide.span.line == 14 and "variant `wide`'s override" in (wide.fix or "")
    assert half.span.line == 6  # the base's `out: 16`, scaled by the variant's width
    assert "variants.half" in (half.fix or "") and "every variant" in (half.fix or "")
    assert not (half.fix or "").startswith("write")
    assert (wide.data["by_variant"], half.data["by_variant"]) == ("value", "width")


def test_s104_in_the_base_is_unchanged() -> None:
    (d,) = archspec.lint(loads(VARIANTS.split("variants:")[0].replace("mult: 1.0", "mult: 0.75")),
                         select=["S104"])
    assert d.fix == "write 16, or `scaling: fixed` to keep the written width"


@pytest.mark.parametrize("between", ["{block: norm, norm: bn}",
                                     "{block: pool, kind: avg, k: 2, stride: 2}"])
def test_h101_points_at_the_block_that_wrote_the_width(between: str) -> None:
    text = f"""\
archspec: 1
name: h101
input: {{channels: 8, size: 4}}
stages:
  - name: s1
    blocks:
      - {{block: conv, out: 12, k: 1}}
      - {between}
      - {{block: conv, out: 16, k: 1}}
"""
    found = archspec.lint(loads(text), select=["H101"])
    assert [(d.block, d.span.line) for d in found] == [("stages.s1[0]", 7), ("stages.s1[2]", 7)]
    consumer = found[1]
    assert consumer.data["producer"] == "stages.s1[0]"
    assert "from `stages.s1[0]`" in consumer.message


# ------------------------------------------------------------------ the tutorial's divisor


def test_tutorial_divisor_16_changes_24_and_40() -> None:
    tiny = (ROOT / "docs" / "tutorial" / "tinynet.yaml").read_text(encoding="utf-8")
    net = archspec.resolve(loads(tiny.replace("divisor: 8", "divisor: 16")), "base")
    outs = {b.origin.stage: b.out_ch for b in net.blocks if b.origin.stage}
    assert outs == {"s1": 32, "s2": 48, "s3": 64}
    assert "24 becomes 32" in (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("code", "kind"), [("E149", "A note"), ("E152", "A note"),
                                            ("E150", "A spec error")])
def test_rule_page_says_whether_a_code_is_a_note_or_an_error(
        code: str, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    from archspec.cli import main

    assert main(["rule", code]) == 0
    assert capsys.readouterr().out.splitlines()[2].startswith(kind)
