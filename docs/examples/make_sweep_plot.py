"""Draw docs/images/emo-s3-front.png and print the front's table for docs/sweeps.md.

Run from the repository root (needs matplotlib: ``pip install 'archspec[sweep]'``)::

    python docs/examples/make_sweep_plot.py

It evaluates every point of docs/examples/emo-s3.sweep.yaml's grid with the sweep's own
evaluator and draws it with the sweep's own plot, on the objectives the page uses
(``latency_ms`` minimised, ``params`` maximised): what ``archspec sweep`` computes, without the
command around it. The grid is written out below and checked against the space file, so the
two cannot drift apart.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import yaml

from archspec.sweep.evaluate import Evaluator, Setup
from archspec.sweep.model import Candidate
from archspec.sweep.plot import plot_png

ROOT = Path(__file__).resolve().parents[2]
SPACE_FILE = ROOT / "docs" / "examples" / "emo-s3.sweep.yaml"
DEVICE = ROOT / "docs" / "examples" / "dev-cpu-torch-1t.json"
OUT = ROOT / "docs" / "images" / "emo-s3-front.png"

#: the space file's ``space:`` mapping, as written there
SPACE = {
    "stages.s3.block.exp": {"min": 2.0, "max": 4.0, "step": 0.5},
    "stages.s3.first.exp": {"tie": "stages.s3.block.exp", "times": 2.0},
    "stages.s3.depth": [6, 7, 8, 9, 10],
    "input.size": [224, 256],
}
EXPS = (2.0, 2.5, 3.0, 3.5, 4.0)
AXES = tuple(SPACE)
X, Y = "latency_ms", "params"  # objectives: latency minimised, params maximised


def grid() -> list[Candidate]:
    """Every combination, λ slowest, as the grid sampler orders the axes of the file."""
    points = itertools.product(EXPS, SPACE["stages.s3.depth"], SPACE["input.size"])
    return [Candidate(i, tuple(zip(AXES, (lam, 2.0 * lam, depth, size), strict=True)))
            for i, (lam, depth, size) in enumerate(points)]


def front(rows: list[dict[str, Any]]) -> list[int]:
    """Rows no other row beats on both: less or equal latency and more or equal params."""
    ok = [i for i, r in enumerate(rows) if r["status"] == "ok"]

    def beats(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a[X] <= b[X] and a[Y] >= b[Y] and (a[X], a[Y]) != (b[X], b[Y])

    return sorted((i for i in ok if not any(beats(rows[j], rows[i]) for j in ok)),
                  key=lambda i: rows[i][X])


def main() -> int:
    written = yaml.safe_load(SPACE_FILE.read_text(encoding="utf-8"))
    if written["space"] != SPACE:
        print(f"{SPACE_FILE}: its space is not this script's grid; update SPACE",
              file=sys.stderr)
        return 1
    base_spec = (SPACE_FILE.parent / written["base"]).resolve()
    evaluator = Evaluator(Setup(str(base_spec), written["variant"], AXES, device=str(DEVICE)))
    rows = evaluator.evaluate(grid())
    base = evaluator.evaluate([Candidate(-1, ())])[0]
    best = front(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    plot_png(rows, best, base, X, Y, OUT, label="EMO-1M (λ 3, depth 8)", group="input.size",
             title=f"EMO-1M stage 3: λ × depth × input size, {len(rows)} candidates")
    print("| λ | depth | input | params (M) | predicted ms |")
    print("|---|---|---|---|---|")
    for r in [rows[i] for i in best] + [base]:
        lam = r["stages.s3.block.exp"] or 3.0
        depth = r["stages.s3.depth"] or 8
        size = r["input.size"] or 224
        tag = " (EMO-1M)" if r is base else ""
        print(f"| {lam:g} | {depth} | {size}{tag} | {r['params'] / 1e6:.3f} | "
              f"{r['latency_ms']:.1f} |")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
