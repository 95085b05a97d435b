"""What the engine, journal and command-line tests of a sweep share: a small space over the
shipped EMO spec, its setup and its candidates built directly (as the samplers would)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

from archspec.sweep.evaluate import Setup
from archspec.sweep.model import Candidate

ROOT = Path(__file__).resolve().parents[2]
EMO = str(ROOT / "specs" / "emo.yaml")
#: the grid of tests/sweep/run_spaces/small.yaml: 3 × 2 × 2 × 2 = 24 candidates
AXES = {"stages.s3.depth": [6, 8, 10], "stages.s3.block.exp": [2.0, 3.0],
        "input.size": [160, 224], "stages.s4.block.dw_k": [3, 5]}
SMALL = "tests/sweep/run_spaces/small.yaml"
#: 96 candidates: long enough on one worker to be killed half-way
LARGER = "tests/sweep/run_spaces/larger.yaml"


def setup(device: str | None = None) -> Setup:
    return Setup(base=EMO, variant="emo_1m", axes=tuple(AXES), device=device)


def candidates() -> list[Candidate]:
    combos = itertools.product(*AXES.values())
    return [Candidate(i, tuple(zip(AXES, values, strict=True))) for i, values in enumerate(combos)]


def python(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m archspec ARGV`` from the repository root (a hang fails, never blocks)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ARCHSPEC_TRACEBACK", None)
    return subprocess.run([sys.executable, "-m", "archspec", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
