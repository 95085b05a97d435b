"""How calibration times anything, whatever the backend: one harness, one statistic.

* **Interleaved.** Every round visits every benchmark once, in a freshly shuffled order, and
  times ``repeats`` calls of it back to back; so a slow drift of the machine (another process,
  the clock, thermal state) spreads over all benchmarks alike instead of biasing the ones timed
  last. Each benchmark is called ``warmup`` times first (oneDNN creates its primitives, ONNX
  Runtime its kernels, the allocator its pages).
* **Settled.** Each visit makes one untimed call first, so every sample finds the caches in
  the same state (the bench's own data warm), not the state other benches left.
* **One call per sample**, timed with :func:`time.perf_counter_ns` (wall clock) or, at one
  thread, :func:`time.thread_time_ns` (CPU time of the calling thread, which does all the work
  then: time the process spends preempted by others on a shared machine is left out). A
  benchmark may have a ``prepare`` step that runs before each call, untimed: an in-place
  kernel restores its input there so it never iterates into denormals.
* **Robust statistic** (:func:`robust`): samples more than 3 IQR above the median are dropped (a
  preemption, a page fault), then the median and IQR/median of what is left.

Standard library only, and no archspec import: a remote bundle ships this file next to its
runner (see :mod:`archspec.calibrate.bundle`).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: The clocks a sample can be read with: ``wall`` (:func:`time.perf_counter_ns`), or
#: ``thread`` (:func:`time.thread_time_ns`, the calling thread's CPU time: at one thread all the
#: work runs on it, and time lost to other processes on a shared machine is not counted).
CLOCKS: dict[str, Callable[[], int]] = {"wall": time.perf_counter_ns,
                                        "thread": time.thread_time_ns}
CLOCK_NAMES = {"wall": "time.perf_counter_ns (wall clock)",
               "thread": "time.thread_time_ns (the calling thread's CPU time)"}

#: What calibration uses: on the shared 2-core development machine thread CPU time was no
#: steadier than wall clock at one thread (co-runners slow the caches, not only the clock).
CLOCK = "wall"

#: Samples further than this many IQRs above the median are outliers.
OUTLIER_IQRS = 3.0


@dataclass(frozen=True)
class Bench:
    """One thing to time: ``run`` is timed, ``prepare`` (if any) runs untimed before each call."""

    run: Callable[[], object]
    prepare: Callable[[], object] | None = None


@dataclass(frozen=True)
class Stat:
    """A benchmark's samples reduced: median ms, IQR/median, samples kept and dropped."""

    ms: float
    iqr: float
    kept: int
    dropped: int



def robust(samples_ms: Sequence[float]) -> Stat:
    """Median and IQR/median of ``samples_ms`` after dropping those more than
    :data:`OUTLIER_IQRS` IQRs above the median."""
    if not samples_ms:
        raise ValueError("no samples")
    med, iqr = _median_iqr(samples_ms)
    kept = [s for s in samples_ms if s <= med + OUTLIER_IQRS * iqr] if iqr > 0 else list(samples_ms)
    med, iqr = _median_iqr(kept)
    return Stat(med, iqr / med if med > 0 else 0.0, len(kept), len(samples_ms) - len(kept))


def _median_iqr(xs: Sequence[float]) -> tuple[float, float]:
    if len(xs) < 2:
        return float(xs[0]), 0.0
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q2, q3 - q1


def visit_means(samples: Sequence[float], repeats: int) -> list[float]:
    """One sample per visit: the mean of its ``repeats`` consecutive calls (what the rounds'
    spread, the calibration's repeatability, is judged on)."""
    return [sum(samples[i:i + repeats]) / repeats
            for i in range(0, len(samples) - repeats + 1, repeats)]


def interleaved(benches: Sequence[Bench], *, repeats: int, rounds: int, warmup: int,
                settle: int = 1, seed: int = 0, clock: str = "wall",
                on_round: Callable[[int, int], None] | None = None) -> list[list[float]]:
    """Samples (ms) of every bench: ``rounds`` × ``repeats`` calls each, interleaved across
    benches round by round, in a shuffled order per round (seeded). Each visit first makes
    ``settle`` untimed calls: the first call after other benches ran finds the caches holding
    their data, and timing it would mix two states into one distribution (a bimodal spread
    that reads as noise). ``clock``: a name in :data:`CLOCKS`."""
    if repeats < 1 or rounds < 1 or warmup < 0 or settle < 0:
        raise ValueError(f"repeats and rounds must be ≥ 1, warmup and settle ≥ 0 "
                         f"(got {repeats}, {rounds}, {warmup}, {settle})")
    for b in benches:
        for _ in range(warmup):
            if b.prepare is not None:
                b.prepare()
            b.run()
    samples: list[list[float]] = [[] for _ in benches]
    order = list(range(len(benches)))
    rng = random.Random(seed)
    now = CLOCKS[clock]
    for r in range(rounds):
        rng.shuffle(order)
        for i in order:
            run, prepare, out = benches[i].run, benches[i].prepare, samples[i]
            for _ in range(settle):
                if prepare is not None:
                    prepare()
                run()
            for _ in range(repeats):
                if prepare is not None:
                    prepare()
                t0 = now()
                run()
                out.append((now() - t0) / 1e6)
        if on_round is not None:
            on_round(r + 1, rounds)
    return samples
