"""Verdicts on the shipped specs (what the linter must say about the reference networks)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

import archspec
from archspec.blocks.mmb import MMB
from archspec.diagnostics import Diagnostic, Severity

SPECS = Path(__file__).resolve().parents[2] / "specs"
ALL_SPECS = sorted(SPECS.rglob("*.yaml"))


@cache
def lint(name: str, target: str = "default") -> tuple[Diagnostic, ...]:
    return tuple(archspec.lint(SPECS / name, target=target))


def at_least_warning(findings: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in findings if d.severity != Severity.INFO]


def blocks_of(d: Diagnostic) -> list[str]:
    return list(d.data.get("blocks") or [d.block])


def test_shufflenet_v2_keeps_g1_to_g3_at_every_width() -> None:
    findings = lint("shufflenet_v2.yaml")
    assert {d.variant for d in findings} <= {"x0_5", "x1_0", "x1_5", "x2_0"}
    bad = [d for d in at_least_warning(findings) if d.code in ("G1", "G2", "G3")]
    assert not bad, [f"{d.variant} {d.code}: {d.message}" for d in bad]


def test_mobilenet_v2_violates_g1() -> None:
    findings = lint("mobilenet_v2.yaml")
    doc = archspec.load(SPECS / "mobilenet_v2.yaml")
    for variant in doc.variants:
        g1 = [d for d in at_least_warning(findings) if d.code == "G1" and d.variant == variant]
        assert len(g1) == 1, variant
        assert g1[0].data["value"] > g1[0].data["threshold"]


def test_emo_attention_blocks_show_fragmentation_and_elementwise_figures() -> None:
    findings = lint("emo.yaml")
    doc = archspec.load(SPECS / "emo.yaml")
    for variant in doc.variants:
        net = archspec.resolve(doc, variant)
        attention = {b.path for b in net.blocks if isinstance(b, MMB) and b.f == "attn"}
        assert attention
        covered = {}
        for code in ("G3", "G4"):
            notes = [d for d in findings if d.code == code and d.variant == variant
                     and d.severity == Severity.INFO]
            covered[code] = {b for d in notes for b in blocks_of(d)}
            for d in notes:
                assert d.data["value"] > d.data["threshold"]
        # every attention block is fragmented (G3); the 14×14 ones also move most of their data
        # in element-wise ops (G4: LayerNorm, window copies, softmax); at 7×7 that share is 44%
        assert attention <= covered["G3"], (variant, sorted(attention - covered["G3"]))
        s3 = {b for b in attention if b.startswith("stages.s3")}
        assert s3 and s3 <= covered["G4"], (variant, sorted(s3 - covered["G4"]))
        g3 = [d for d in findings if d.code == "G3" and d.variant == variant
              and d.severity == Severity.WARNING]
        assert len(g3) == 1 and g3[0].block in attention


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: str(p.relative_to(SPECS)))
def test_no_shipped_spec_has_an_error(path: Path) -> None:
    findings = archspec.lint(path)
    errors = [d for d in findings if d.severity == Severity.ERROR]
    assert not errors, [f"{d.span} {d.code}: {d.message}" for d in errors]


def test_npu_int8_flags_emo_and_mobilenet_v3_operators() -> None:
    emo = lint("emo.yaml", "npu-int8")
    for variant in archspec.load(SPECS / "emo.yaml").variants:
        lacking = {d.data["operator"] for d in emo if d.code == "H104" and d.variant == variant}
        assert {"layernorm", "gelu", "softmax"} <= lacking, variant
        assert all(d.severity == Severity.ERROR for d in emo if d.code == "H104")
    v3 = lint("mobilenet_v3.yaml", "npu-int8")
    for variant in ("large", "small"):
        assert any(d.code == "H104" and d.data["operator"] == "hardswish" and
                   d.variant == variant and d.severity == Severity.ERROR for d in v3)


def test_emo_1m_head_dim_21_is_misaligned() -> None:
    h101 = [d for d in lint("emo.yaml") if d.code == "H101" and d.variant == "emo_1m"]
    assert any(21 in d.data["head_dims"] for d in h101)
