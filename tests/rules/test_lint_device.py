"""G1–G4 with a device profile (``lint --device``): figures in predicted time, the saving of the
fix's rewrite, the wording where the device contradicts the guideline, and nothing changed
without a device.

Profiles are built by hand with round coefficients so every expected figure is computed in the
comments from the features (calls, multiply-accumulates, elements in, elements out, weights).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import archspec
from archspec.diagnostics import Diagnostic
from archspec.latency.kernels import FusionRule
from archspec.latency.model import ClassModel, DeviceProfile, NetworkCorrection, Noise
from archspec.pipeline import LintRequest, run
from archspec.report.sarif import result as sarif_result
from archspec.rules.targets import load_target

ZERO = (0.0, 0.0, 0.0, 0.0, 0.0)


def profile(classes: dict[str, tuple[float, ...]], *, scale: float = 1.0,
            per_kernel_ms: float = 0.0, constant_ms: float = 0.0,
            fusion: tuple[FusionRule, ...] = ()) -> DeviceProfile:
    return DeviceProfile(
        name="test-dev", backend="torch", threads=1, machine={}, versions={},
        calibrated="2026-01-01T00:00:00", noise=Noise(0.01, 0.02, True),
        classes={k: ClassModel(v) for k, v in classes.items()},
        network=NetworkCorrection(scale, per_kernel_ms, constant_ms), fusion=fusion)


def lint(spec: str, code: str, device: DeviceProfile | None) -> list[Diagnostic]:
    doc = archspec.loads(spec, f"{code}.yaml")
    res = run(doc, [None], lint=LintRequest(load_target("default"), [code]), device=device)
    return res.findings


def one(found: list[Diagnostic], severity: str) -> Diagnostic:
    hits = [d for d in found if d.severity.value == severity]
    assert len(hits) == 1, [d.message for d in found]
    return hits[0]


def close(a: Any, b: float) -> bool:
    return isinstance(a, float) and math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)


G1_SPEC = """\
archspec: 1
name: g1_fail
input: {channels: 8, size: 8}
stages:
  - name: s1
    blocks:
      - {block: conv, out: 72, k: 1, norm: none, act: none}
"""
# The conv 8→72 at 8×8: calls 1, in 8·64 = 512, out 72·64 = 4608, weights 576, macs 36864.
# Balanced at equal work: c = √(8·72) = 24: in 1536, out 1536, weights 576, macs 36864.

G1_NOTE = ("1×1 conv `conv` widens 8→72 (c2/c1 = 9.0; memory access 1.56× the balanced "
           "minimum)")
G1_REPORT = ("1×1 convs spend 36.0% of the network's memory access above the balanced minimum "
             "(threshold 2.0%); the most in `stages.s1[0]` (8→72, 1.56×)")


def test_without_a_device_nothing_changes() -> None:
    found = lint(G1_SPEC, "G1", None)
    assert [d.message for d in found] == [G1_NOTE, G1_REPORT]
    for d in found:
        assert not {"latency_ms", "share", "saves_ms", "device"} & set(d.data)


def test_g1_in_time_with_the_network_correction_and_its_saving() -> None:
    # conv.pw: 0.5 per call + 1e-4 per element in and out
    #   before = 0.5 + 5120e-4 = 1.012; ×2 + 0.1 per kernel = 2.124 ms; total + 0.3 = 2.424 ms
    #   after  = 0.5 + 3072e-4 = 0.8072; ×2 + 0.1 = 1.7144 ms; saves 0.4096 ms
    #   shares: 2.124/2.424 = 0.876238 (87.6%), 0.4096/2.424 = 0.168977 (16.9%)
    dev = profile({"conv.pw": (0.5, 0.0, 1e-4, 1e-4, 0.0)}, scale=2.0, per_kernel_ms=0.1,
                  constant_ms=0.3)
    found = lint(G1_SPEC, "G1", dev)
    note, report = one(found, "info"), one(found, "warning")
    assert note.message == (G1_NOTE + "; 2.12 ms (87.6%) on test-dev; the balanced form at "
                            "equal work (24→24) saves 0.41 ms (16.9%)")
    assert report.message == (G1_REPORT + "; they take 2.12 ms (87.6%) on test-dev; balancing "
                              "them at equal work saves 0.41 ms (16.9%)")
    for d in (note, report):
        assert close(d.data["latency_ms"], 2.124) and close(d.data["share"], 0.876238)
        assert close(d.data["saves_ms"], 0.4096) and close(d.data["saves_share"], 0.168977)
        assert d.data["holds"] is True and d.data["device"] == "test-dev"
        assert close(d.data["total_ms"], 2.424)
    assert report.severity.value == "warning"  # the target's severity, device or not


def test_g1_contradicted_by_the_device_says_so() -> None:
    # conv.pw: 0.5 per call + 1e-3 per element read (nothing per element written)
    #   before = 0.5 + 0.512 = 1.012 ms; after = 0.5 + 1.536 = 2.036 ms: 1.024 ms slower
    dev = profile({"conv.pw": (0.5, 0.0, 1e-3, 0.0, 0.0)})
    note = one(lint(G1_SPEC, "G1", dev), "info")
    assert note.message == (G1_NOTE + "; 1.01 ms (100.0%) on test-dev; the balanced form at "
                            "equal work (24→24) predicts 1.02 ms slower: G1 does not hold on "
                            "this device")
    assert close(note.data["saves_ms"], -1.024) and note.data["holds"] is False
    report = one(lint(G1_SPEC, "G1", dev), "warning")  # kept, at the target's severity
    assert report.message.endswith("predicts 1.02 ms slower: G1 does not hold on this device")


def test_a_class_without_a_model_states_the_time_but_no_saving() -> None:
    dev = profile({"conv.grouped.pw": (1.0, 0.0, 0.0, 0.0, 0.0)})  # no conv.pw
    note = one(lint(G1_SPEC, "G1", dev), "info")
    # the conv itself has no model: 0 ms, said to be a lower bound, and no saving is priced
    assert note.message == G1_NOTE + "; 0 ms (0.0%) on test-dev (at least: no model for conv.pw)"
    assert note.data["saves_ms"] is None and "holds" not in note.data
    assert note.data["missing"] == ["conv.pw"]


G2_SPEC = """\
archspec: 1
name: g2_fail
input: {channels: 16, size: 4}
stages:
  - name: s1
    blocks:
      - {block: conv, out: 16, k: 1, groups: 4, norm: none, act: none}
"""
# 16→16, 4 groups at 4×4: macs 16·16·16/4 = 1024. Dense at equal work: c = √(16·16/4) = 8,
# macs 16·8·8 = 1024.


@pytest.mark.parametrize(("dense", "tail", "saves"), [
    # grouped: 1e-3 per mac = 1.024 ms; dense 5e-4 per mac = 0.512 ms: saves 0.512 (50.0%)
    ((0.0, 5e-4, 0.0, 0.0, 0.0), "saves 0.512 ms (50.0%)", 0.512),
    # dense: 0.2 per call + 1e-3 per mac = 1.224 ms: 0.2 ms slower
    ((0.2, 1e-3, 0.0, 0.0, 0.0), "predicts 0.2 ms slower: G2 does not hold on this device", -0.2),
])
def test_g2_dense_at_equal_work(dense: tuple[float, ...], tail: str, saves: float) -> None:
    dev = profile({"conv.grouped.pw": (0.0, 1e-3, 0.0, 0.0, 0.0), "conv.pw": dense})
    note = one(lint(G2_SPEC, "G2", dev), "info")
    assert note.message.endswith(
        "; 1.02 ms (100.0%) on test-dev; the dense form at equal work (8→8) " + tail)
    report = one(lint(G2_SPEC, "G2", dev), "warning")
    assert report.message.endswith("; they take 1.02 ms (100.0%) on test-dev; dense convs at "
                                   "equal work " + tail)
    assert close(note.data["latency_ms"], 1.024) and close(note.data["saves_ms"], saves)


G4_SPEC = """\
archspec: 1
name: g4_fail
input: {channels: 8, size: 4}
stages:
  - name: s1
    blocks:
      - {block: conv, out: 8, k: 1, norm: none, act: relu}
      - {block: norm, norm: ln}
"""
G4_CLASSES = {"conv.pw": (1.0, 0.0, 0.0, 0.0, 0.0), "act.relu": (0.25, 0.0, 0.0, 0.0, 0.0),
              "norm.ln": (0.5, 0.0, 0.0, 0.0, 0.0)}


def test_g4_in_time_and_fusing_the_relu() -> None:
    # eager: conv 1, relu 0.25, layernorm 0.5 → total 1.75 ms
    # note (block 2, the LayerNorm): 0.5 ms = 28.6%; a LayerNorm does not fuse: no rewrite
    # warning: element-wise kernels 0.75 ms (42.9%); the ReLU fuses into the conv: 0.25 (14.3%)
    found = lint(G4_SPEC, "G4", profile(G4_CLASSES))
    note, report = one(found, "info"), one(found, "warning")
    assert note.message.endswith("; they take 0.5 ms (28.6%) on test-dev")
    assert note.data["saves_ms"] is None
    assert report.message.endswith("; they take 0.75 ms (42.9%) on test-dev; fusing 1 pass into "
                                   "the kernel before it saves 0.25 ms (14.3%)")
    assert close(report.data["latency_ms"], 0.75) and close(report.data["saves_ms"], 0.25)
    assert close(report.data["share"], 0.75 / 1.75)


def test_g4_on_a_backend_that_already_fuses_says_it_does_not_hold() -> None:
    # the profile runs the ReLU inside the conv: 0 ms; total 1.5; element-wise 0.5 (33.3%)
    dev = profile(G4_CLASSES, fusion=(FusionRule("conv", ("act.relu",)),))
    report = one(lint(G4_SPEC, "G4", dev), "warning")
    assert report.message.endswith(
        "; they take 0.5 ms (33.3%) on test-dev; fusing 1 pass into the kernel before it "
        "predicts no saving: G4 does not hold on this device")
    assert report.data["saves_ms"] == 0.0 and report.data["holds"] is False


G3_SPEC = """\
archspec: 1
name: g3_fail
input: {channels: 8, size: 4}
stages:
  - name: s1
    blocks:
      - block: parallel
        branches:
          - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
          - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
          - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
          - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
          - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
          - [{block: conv, out: 8, k: 1, norm: none, act: relu}]
"""


def test_g3_in_time_and_fusing_its_activations() -> None:
    # 13 kernels (6 convs, 6 ReLUs, the concat) at 0.1 ms a call: 1.3 ms, the whole network;
    # each ReLU fuses into its conv: 6 × 0.1 = 0.6 ms (46.2%)
    dev = profile({"conv.pw": (0.1, 0.0, 0.0, 0.0, 0.0), "act.relu": (0.1, 0.0, 0.0, 0.0, 0.0),
                   "concat": (0.1, 0.0, 0.0, 0.0, 0.0)})
    found = lint(G3_SPEC, "G3", dev)
    note, report = one(found, "info"), one(found, "warning")
    assert note.message.endswith("; it takes 1.3 ms (100.0%) on test-dev; fusing 6 passes into "
                                 "the kernels before them saves 0.6 ms (46.2%)")
    assert report.message.endswith("; they take 1.3 ms (100.0%) on test-dev; fusing 6 passes "
                                   "into the kernels before them saves 0.6 ms (46.2%)")
    assert close(report.data["saves_ms"], 0.6) and close(report.data["share"], 1.0)


def test_with_a_device_the_message_extends_the_one_without() -> None:
    for spec, code in ((G1_SPEC, "G1"), (G2_SPEC, "G2"), (G3_SPEC, "G3"), (G4_SPEC, "G4")):
        plain = lint(spec, code, None)
        timed = lint(spec, code, profile({}))
        assert [(d.code, d.severity, d.span) for d in plain] == \
            [(d.code, d.severity, d.span) for d in timed]
        for p, t in zip(plain, timed, strict=True):
            assert t.message.startswith(p.message + "; ")
            assert {k: v for k, v in t.data.items() if k in p.data} == p.data


def test_sarif_and_json_carry_the_figures() -> None:
    dev = profile({"conv.pw": (0.5, 0.0, 1e-4, 1e-4, 0.0)})
    note = one(lint(G1_SPEC, "G1", dev), "info")
    data = sarif_result(note, {"G1": 0}, ".")["properties"]["data"]
    assert {"latency_ms", "share", "saves_ms"} <= set(data)


def test_g3_fuses_layout_copies_into_the_kernel_they_read() -> None:
    # EMO's windowed attention block (stages.s3[1]) runs five layout copies: partition (after
    # the LayerNorm), qk_heads (after the qk conv), x_heads (partition's second reader),
    # merge_heads (after the attn·v matmul) and reverse (after the GELU, itself fused into the
    # expand conv). Only copies cost (1 ms each): the block takes 5 ms; qk_heads, merge_heads
    # and reverse alone read a conv's or matmul's output: fusing them saves 3 ms. The scale,
    # softmax and other passes are fused too, at 0 ms.
    from pathlib import Path

    spec = (Path(__file__).resolve().parents[2] / "specs" / "emo.yaml").read_text("utf-8")
    block_classes = ("norm.ln", "conv.pw", "matmul", "mul.scalar", "softmax", "act.gelu",
                     "conv.dw.k5", "norm.bn", "act.silu", "add", "view")
    dev = profile({"copy": (1.0, 0.0, 0.0, 0.0, 0.0), **dict.fromkeys(block_classes, ZERO)})
    doc = archspec.loads(spec, "emo.yaml")
    res = run(doc, [next(iter(doc.variants))], lint=LintRequest(load_target("default"), ["G3"]),
              device=dev)
    note = next(d for d in res.findings
                if d.severity.value == "info" and d.block == "stages.s3[1]")
    assert note.data["latency_ms"] == 5.0 and note.data["saves_ms"] == 3.0
    assert "missing" not in note.data
