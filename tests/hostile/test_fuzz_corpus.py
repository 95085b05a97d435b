"""Replay every input the fuzzer found (``tests/fuzz_corpus/``): each must load, analyze and lint,
or be refused with a SpecError (exit 2 on the command line) — never another exception, exit 3,
a hang or an unbounded peak RSS.

The inputs run through ``benchmarks/fuzz.py --replay``, the same worker and pipeline the fuzzer
used, so a saved input reproduces exactly what was found. Bounds: 60 s of CPU and 60 s of wall
time per input (a hang detector, not a timing), 500 MB peak RSS; the per-stage CPU figure the
fuzzer reports is switched off here (timings belong in benchmarks/).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz_corpus"
INPUTS = sorted(CORPUS.glob("*.yaml"))
HANG_S = 60


@pytest.fixture(scope="module")
def replayed() -> dict[str, str]:
    """``{file name: "ok" | "spec-error" | finding}``, from one replay of the whole corpus."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ARCHSPEC_TRACEBACK", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fuzz.py"), "--replay", *map(str, INPUTS),
         "--timeout", str(HANG_S), "--cpu", str(HANG_S), "--stage-cpu", "inf",
         "--max-rss", "500"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_S * (len(INPUTS) + 2))
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    results = {Path(k).name: v for k, v in lines.items()}
    assert len(results) == len(INPUTS), proc.stdout + proc.stderr
    return {name: results[name] + ("\n" + proc.stderr[-3000:] if results[name].split()[0]
                                   not in ("ok", "spec-error") else "")
            for name in results}


def test_the_corpus_is_not_empty() -> None:
    assert INPUTS, f"no inputs in {CORPUS}"


@pytest.mark.parametrize("name", [p.name for p in INPUTS])
def test_fuzz_input_is_answered_or_refused(name: str, replayed: dict[str, str]) -> None:
    outcome = replayed[name]
    assert outcome.split()[0] in ("ok", "spec-error"), f"{name}: {outcome}"
