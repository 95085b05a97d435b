"""Sweep throughput: candidates per second for today's per-candidate pipeline and for
`archspec sweep`'s engines, measured in one run on one machine.

- ``pipeline``: what a hand-written script did before sweeps: each candidate written out as a
  standalone spec (prepared before timing), then parsed, validated, resolved, traced, checked,
  analysed and linted through ``archspec.pipeline`` in one process.
- ``local ×1``, ``local ×2``: the sweep's process pool (one Evaluator and its trace cache per
  worker), batches of ``--batch-size``.
- ``ray ×2``: the same batches as Ray tasks on a local 2-CPU cluster, started before timing
  (its start is quoted on its own line).

Each engine is started and warmed (one batch per worker, so every worker has imported archspec
and loaded the base) before its timed run; rounds interleave the configurations and the table
gives the median of ``--rounds`` runs and its ratio to the pipeline's median.

    python benchmarks/sweep.py                  # the whole 10,000-candidate space
    python benchmarks/sweep.py --candidates 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path
from typing import Any

from _common import median, print_table, write_result

SPACE = Path(__file__).parent / "spaces" / "emo1m-10k.sweep.yaml"


def _candidates(space: Any, n: int, seed: int) -> list[Any]:
    from archspec.sweep.sample import sample

    every = list(sample(space, "grid", None, 0))
    if n >= len(every):
        return every
    return sorted(random.Random(seed).sample(every, n), key=lambda c: c.index)


def _pipeline_texts(space: Any, candidates: list[Any]) -> list[str]:
    """Each candidate as the standalone spec a script would have written."""
    from archspec.spec.document import dump, load
    from archspec.sweep.apply import candidate_network

    document = load(space.base)
    texts = []
    for c in candidates:
        network, problems = candidate_network(document, space.variant, c.overrides)
        assert not problems, problems
        texts.append(dump(network.data))
    return texts


def _time_pipeline(texts: list[str]) -> float:
    from archspec.pipeline import LintRequest, run
    from archspec.spec.document import loads

    start = time.perf_counter()
    for text in texts:
        doc = loads(text, "candidate.yaml")
        result = run(doc, [None], lint=LintRequest())
        assert result.variants[0].totals is not None
    return len(texts) / (time.perf_counter() - start)


def _time_engine(engine: Any, setup: Any, candidates: list[Any], batch: int) -> float:
    from archspec.sweep.engines import batches

    rows = 0
    start = time.perf_counter()
    for _, got in engine.map(setup, batches(candidates, batch)):
        rows += len(got)
    assert rows == len(candidates)
    return len(candidates) / (time.perf_counter() - start)


def _warm(engine: Any, setup: Any, candidates: list[Any], workers: int, batch: int) -> float:
    start = time.perf_counter()
    _time_engine(engine, setup, candidates[: workers * min(batch, 20)], min(batch, 20))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--pipeline-candidates", type=int, default=300,
                        help="candidates timed through today's pipeline per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()

    from archspec.sweep.engines import LocalEngine
    from archspec.sweep.space import load_space

    space = load_space(SPACE)
    setup = space.setup()
    candidates = _candidates(space, args.candidates, args.seed)
    texts = _pipeline_texts(space, _candidates(space, args.pipeline_candidates, args.seed + 1))
    rates: dict[str, list[float]] = {"pipeline": [], "local ×1": [], "local ×2": []}
    starts: dict[str, float] = {}
    engines: dict[str, Any] = {}
    with LocalEngine(workers=1) as one, LocalEngine(workers=2) as two:
        starts["local ×1"] = _warm(one, setup, candidates, 1, args.batch_size)
        starts["local ×2"] = _warm(two, setup, candidates, 2, args.batch_size)
        engines = {"local ×1": one, "local ×2": two}
        ray_engine = None
        if not args.no_ray:
            from archspec.sweep.engines import RayEngine

            t = time.perf_counter()
            ray_engine = RayEngine(workers=2).__enter__()
            starts["ray cluster start"] = time.perf_counter() - t
            starts["ray ×2"] = _warm(ray_engine, setup, candidates, 2, args.batch_size)
            engines["ray ×2"] = ray_engine
            rates["ray ×2"] = []
        try:
            for _ in range(args.rounds):
                rates["pipeline"].append(_time_pipeline(texts))
                for name, engine in engines.items():
                    rates[name].append(_time_engine(engine, setup, candidates, args.batch_size))
        finally:
            if ray_engine is not None:
                ray_engine.__exit__(None, None, None)

    base = median(rates["pipeline"])
    rows = [[name, f"{median(r):.1f}", f"{median(r) / base:.2f}×",
             " ".join(f"{x:.1f}" for x in r)] for name, r in rates.items()]
    print(f"{len(candidates):,} candidates of {SPACE.name} (pipeline: {len(texts)} per round), "
          f"{os.cpu_count()} cores, {args.rounds} rounds")
    print_table(["configuration", "candidates/s (median)", "vs pipeline", "each round"], rows)
    for name, seconds in starts.items():
        print(f"{name}: started and warmed in {seconds:.1f} s (not timed above)")
    if "ray ×2" in rates:
        print(f"ray ×2 / local ×2: {median(rates['ray ×2']) / median(rates['local ×2']):.2f}")
    path = write_result("sweep", {
        "space": SPACE.name, "candidates": len(candidates), "pipeline_candidates": len(texts),
        "rounds": args.rounds, "batch_size": args.batch_size, "cores": os.cpu_count(),
        "rates": rates, "medians": {k: median(v) for k, v in rates.items()},
        "ratios": {k: median(v) / base for k, v in rates.items()}, "starts_s": starts})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
