"""The engine: registry, selection, suppressions, targets and configuration, order.

How fast the rules run is measured in benchmarks/rule_time.py, never asserted here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.diagnostics import Severity, SpecError
from archspec.pipeline import LintRequest, lint
from archspec.rules import registry
from archspec.rules.base import Rule
from archspec.rules.codes import known_codes
from archspec.rules.config import find_config
from archspec.rules.engine import UnknownSelector, lint_net, prepare, select_codes
from archspec.rules.registry import RULES, register
from archspec.rules.targets import list_targets, load_target

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"

WIDENING = textwrap.dedent("""\
    archspec: 1
    name: widening
    input: {channels: 8, size: 8}
    stages:
      - name: s1
        blocks:
          - {block: conv, out: 72, k: 1, norm: none, act: none}
          - {block: conv, out: 12, k: 1}
""")


# ------------------------------------------------------------------ registry


def test_registry_rejects_duplicates_and_bad_metadata() -> None:
    saved = dict(RULES)
    try:
        for code, name in (("G1", "something-new"), ("Z999", "unequal-channel-width"),
                           ("g9", "fine-name"), ("Z998", "Not_Kebab")):
            cls = type("Dup", (Rule,), {"code": code, "name": name,
                                        "severity": Severity.WARNING})
            with pytest.raises(ValueError):
                register(cls)
    finally:
        RULES.clear()
        RULES.update(saved)


def test_known_codes_are_the_registry() -> None:
    assert known_codes() == frozenset(RULES)
    assert {"G1", "G2", "G3", "G4", "S101", "S102", "S103", "S104", "H101", "H102", "H103",
            "H104", "A001"} <= known_codes()


# ------------------------------------------------------------------ selection


@pytest.mark.parametrize(("select", "expected"), [
    (["G1"], ["G1"]),
    (["G"], ["G1", "G2", "G3", "G4"]),
    (["S1"], ["S101", "S102", "S103", "S104"]),
    (["unequal-channel-width", "H104"], ["G1", "H104"]),
    (["ALL"], registry.sorted_codes()),
])
def test_select_by_code_prefix_or_name(select: list[str], expected: list[str]) -> None:
    assert select_codes(load_target("default"), select) == expected


def test_ignore_adds_to_the_targets() -> None:
    codes = select_codes(load_target("default"), ["G"], ["fragmentation", "G4"])
    assert codes == ["G1", "G2"]


def test_unknown_selector_is_refused() -> None:
    with pytest.raises(UnknownSelector, match="G9"):
        select_codes(load_target("default"), ["G9"])
    with pytest.raises(UnknownSelector, match="did you mean"):
        select_codes(load_target("default"), None, ["unequal-channel-widht"])


def test_findings_are_diagnostics_with_figures_and_places() -> None:
    doc = archspec.loads(WIDENING, "w.yaml")
    findings = archspec.lint(doc)
    assert findings == sorted(findings, key=lambda d: (d.span.line, d.span.col, d.code,
                                                       d.block or "", d.message))
    g1 = [d for d in findings if d.code == "G1" and d.severity == Severity.WARNING]
    assert len(g1) == 1
    d = g1[0]
    assert (d.span.file, d.span.line) == ("w.yaml", 7) and d.span.col >= 1
    assert d.rule == "unequal-channel-width" and d.block == "stages.s1[0]"
    assert d.data["value"] > d.data["threshold"] and d.fix and d.fix not in d.message
    assert d.variant is None


def test_lint_net_matches_the_pipeline() -> None:
    doc = archspec.load(SPECS / "emo.yaml")
    net = archspec.resolve(doc, "emo_2m")
    assert lint_net(net, archspec.trace(net), prepare()) == \
        lint(doc, LintRequest(), "emo_2m")


def test_every_variant_is_linted_and_labelled() -> None:
    findings = archspec.lint(SPECS / "emo.yaml", select=["G1"])
    assert {d.variant for d in findings} == set(archspec.load(SPECS / "emo.yaml").variants)
    assert archspec.lint(SPECS / "emo.yaml") == archspec.lint(SPECS / "emo.yaml")


# ------------------------------------------------------------------ suppressions


def test_noqa_needs_a_reason_and_a_known_code() -> None:
    for noqa, word in (('{G1: ""}', "reason"), ('{G7: "why"}', "unknown rule")):
        text = WIDENING.replace("  - name: s1\n", f"  - name: s1\n    noqa: {noqa}\n")
        with pytest.raises(SpecError) as info:
            archspec.lint(archspec.loads(text, "n.yaml"))
        (d,) = info.value.diagnostics
        assert d.code == "E160" and word in d.message and d.span.line == 6


def test_block_noqa_excuses_only_its_block() -> None:
    text = WIDENING.replace("k: 1, norm: none, act: none}",
                            'k: 1, norm: none, act: none, noqa: {G1: "on purpose"}}')
    findings = archspec.lint(archspec.loads(text, "n.yaml"), select=["G1", "H101", "A001"])
    assert not [d for d in findings if d.block == "stages.s1[0]"]
    assert {(d.code, d.block) for d in findings} == {("G1", "stages.s1[1]"),
                                                     ("H101", "stages.s1[1]")}


def test_unused_noqa_is_reported_per_variant() -> None:
    text = WIDENING + textwrap.dedent("""\
        variants:
          a: {}
          b: {stages: {s1: {noqa: {H101: "12 kept for the paper"}}}}
    """)
    findings = archspec.lint(archspec.loads(text, "v.yaml"), select=["H101", "A001"])
    assert [(d.variant, d.code) for d in findings] == [("a", "H101")]
    text = text.replace("H101: ", "G2: ")
    findings = archspec.lint(archspec.loads(text, "v.yaml"), select=["G2", "H101", "A001"])
    assert sorted((d.variant, d.code, d.span.line) for d in findings) == [
        ("a", "H101", 8), ("b", "A001", 11), ("b", "H101", 8)]


# ------------------------------------------------------------------ targets


def test_shipped_targets_load() -> None:
    assert {"default", "mobile-cpu", "edge-gpu", "npu-int8"} <= set(list_targets())
    npu = load_target("npu-int8")
    assert npu.options("H104").severity == Severity.ERROR
    assert "layernorm" in npu.options("H104").lacks
    assert load_target("default").options("G1") == RULES["G1"].default_options()


@pytest.mark.parametrize(("text", "code", "line"), [
    ("rules:\n  G1: {network_shar: 0.1}\n", "E120", 2),       # typo in an option
    ("rules:\n  G1:\n    network_share: lots\n", "E121", 3),  # wrong type
    ("rules:\n  G1:\n    network_share: 2\n", "E122", 3),     # out of range
    ("rules:\n  G11: {}\n", "E171", 2),                      # unknown rule
    ("fusion: {act_into_cnv: [relu]}\n", "E120", 1),         # typo in fusion
    ("fusion: {act_into_conv: [reul]}\n", "E122", 1),        # unknown activation
    ("selct: [G]\n", "E120", 1),                             # unknown top-level key
    ("select: [G, Q]\n", "E173", 1),                         # selector matching nothing
])
def test_a_typo_in_a_target_is_a_located_error(tmp_path: Path, text: str, code: str,
                                               line: int) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("description: mine\n" + text)
    with pytest.raises(SpecError) as info:
        load_target(path)
    assert [(d.code, d.span.line - 1) for d in info.value.diagnostics] == [(code, line)], \
        info.value.diagnostics


def test_unknown_target_name() -> None:
    with pytest.raises(SpecError) as info:
        load_target("mobile-gpu")
    assert info.value.diagnostics[0].code == "E170"
    assert "edge-gpu" in (info.value.diagnostics[0].expected or "")


# ------------------------------------------------------------------ configuration


def test_find_config_reads_the_nearest_tool_archspec(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "x"

        [tool.archspec]
        target = "mobile-cpu"
        select = ["G", "H101"]
        ignore = ["G3"]

        [tool.archspec.rules.G1]
        network_share = 0.5
    """))
    nested = tmp_path / "a" / "specs"
    nested.mkdir(parents=True)
    (nested.parent / "pyproject.toml").write_text("[project]\nname = 'no archspec table'\n")
    config = find_config(nested / "net.yaml")
    here = config.path.parent
    assert config.path == tmp_path / "pyproject.toml"
    assert (config.target, config.select, config.ignore) == ("mobile-cpu", ("G", "H101"),
                                                            ("G3",))
    doc = archspec.loads(WIDENING, "w.yaml")
    findings = lint(doc, LintRequest(config_dir=here))
    # mobile-cpu: ReLU fused (no G4), vector width 4 (12 is fine); network_share 0.5: notes only
    assert {(d.code, d.severity) for d in findings} == {("G1", Severity.INFO)}
    assert lint(doc, LintRequest(select=["H101"], config_dir=here)) == []
    assert lint(doc, LintRequest("default", ["H101"], config_dir=here))


def test_config_errors_are_located(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.archspec]\nselect = ['G']\nignroe = ['S104']\n")
    with pytest.raises(SpecError) as info:
        find_config(tmp_path)
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.fix) == ("E174", 3, "did you mean `ignore`?")


def test_repository_config_is_valid() -> None:
    config = find_config(SPECS / "emo.yaml")
    assert config.path == ROOT / "pyproject.toml"


# ------------------------------------------------------------------ cost


def test_lint_does_not_import_torch() -> None:
    code = ("import sys, archspec; archspec.lint('specs/emo.yaml', target='npu-int8'); "
            "import archspec.report.rule_pages; assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
