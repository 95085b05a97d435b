"""Rows of a small EMO-1M sweep, made by the sweep's own evaluator, for the picture and
measurement tests: stage 3's depth × every stage's dw_k, with dw_k 4 (even: E144 where the
inner skip needs an odd kernel) so a third of the rows failed, and predicted latency on the
shipped example device profile."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from archspec.sweep.evaluate import Evaluator, Setup
from archspec.sweep.model import Candidate

ROOT = Path(__file__).parents[2]
AXES = ("stages.s3.depth", "stages.*.block.dw_k")
DEPTHS = (6, 8, 10)
KERNELS = (3, 5, 4)


def setup(device: bool = True) -> Setup:
    return Setup(str(ROOT / "specs" / "emo.yaml"), "emo_1m", AXES,
                 device=str(ROOT / "docs" / "examples" / "dev-cpu-torch-1t.json")
                 if device else None)


def candidates() -> list[Candidate]:
    return [Candidate(i, tuple(zip(AXES, values, strict=True)))
            for i, values in enumerate(itertools.product(DEPTHS, KERNELS))]


def rows_and_base(device: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows, and the base network's row (the variant without overrides)."""
    evaluator = Evaluator(setup(device))
    return evaluator.evaluate(candidates()), evaluator.evaluate([Candidate(-1, ())])[0]


def pareto(rows: list[dict[str, Any]], x: str, y: str) -> list[int]:
    """The non-dominated ok rows on (x, y), both minimised, by brute force (the test's own
    oracle, independent of the sweep's front)."""
    ok = [i for i, r in enumerate(rows) if r["status"] == "ok"]

    def dominates(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a[x] <= b[x] and a[y] <= b[y] and (a[x], a[y]) != (b[x], b[y])

    return [i for i in ok if not any(dominates(rows[j], rows[i]) for j in ok)]
