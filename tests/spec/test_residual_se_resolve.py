"""``residual`` and ``se`` resolution: children's paths, and every error located at its field."""

from __future__ import annotations

import pytest

import archspec

SPEC = """\
archspec: 1
name: t
input: {{channels: 16, size: 8}}
stem:
  - block: residual
    blocks:
      - {{block: conv, out: 32}}
      - {first}
{shortcut}"""


def errors(text: str) -> list[archspec.Diagnostic]:
    with pytest.raises(archspec.SpecError) as info:
        archspec.resolve(archspec.loads(text, "t.yaml"))
    return [d for d in info.value.diagnostics if d.severity.name == "ERROR"]


def key_at(text: str, d: archspec.Diagnostic) -> str:
    return text.splitlines()[d.span.line - 1][d.span.col - 1:]


def test_children_are_named_after_their_list() -> None:
    text = SPEC.format(first="{block: conv, out: 16, act: none}", shortcut="")
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    assert [b.path for b in net.walk()] == ["stem[0]", "stem[0].blocks[0]", "stem[0].blocks[1]"]
    text = SPEC.format(first="{block: conv, out: 24}",
                       shortcut="    shortcut: [{block: conv, out: 24, act: none}]\n")
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    assert [b.path for b in net.walk()][-1] == "stem[0].shortcut[0]"


def test_an_identity_needs_the_input_shape() -> None:
    text = SPEC.format(first="{block: conv, out: 24}", shortcut="")
    (d,) = errors(text)
    assert d.code == "E147" and "(24, 8, 8)" in d.message and "(16, 8, 8)" in d.message
    assert d.span.line == 7 and "shortcut" in (d.fix or "")  # `blocks:`, its first item


def test_a_projection_must_end_in_the_blocks_shape() -> None:
    text = SPEC.format(first="{block: conv, out: 24}",
                       shortcut="    shortcut: [{block: conv, out: 16}]\n")
    (d,) = errors(text)
    assert d.code == "E147" and d.span.line == 9  # `shortcut:`


def test_a_childs_error_is_at_its_own_line() -> None:
    text = SPEC.format(first="{block: conv, out: 16, groups: 3}", shortcut="")
    (d,) = errors(text)
    assert d.code == "E141" and d.block == "stem[0].blocks[1]"
    assert key_at(text, d).startswith("3}")


@pytest.mark.parametrize(("se", "field"), [("ratio: 0.25, mid: 4", "4"),
                                           ("ratio: 0.01", "0.01")])
def test_se_width_errors_are_e148_at_their_field(se: str, field: str) -> None:
    text = SPEC.format(first="{block: conv, out: 16}", shortcut="").replace(
        "{block: conv, out: 16}", "{block: se, " + se + "}")
    (d,) = errors(text)
    assert d.code == "E148" and key_at(text, d).startswith(field)


def test_se_on_a_vector_is_e143() -> None:
    text = SPEC.format(first="{block: conv, out: 16}", shortcut="") + \
        "head:\n  - {block: pool, global: true}\n  - {block: linear, out: 8}\n  - {block: se}\n"
    (d,) = errors(text)
    assert d.code == "E143"


def test_se_roundings_are_recorded() -> None:
    text = SPEC.format(first="{block: se, ratio: 0.3, round: divisible}", shortcut="").replace(
        "{block: conv, out: 32}", "{block: conv, out: 16}")
    net = archspec.resolve(archspec.loads(text, "t.yaml"))
    se = next(b for b in net.walk() if b.family == "se")
    assert se.mid == 8  # make_divisible(4.8, 8)
    assert [(r.field, r.value) for r in se.roundings] == [("ratio", 8)]
