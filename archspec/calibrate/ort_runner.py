"""Time an ONNX Runtime calibration bundle: the micro-kernels and networks its manifest lists.

This file is the bundle's ``runner.py``: it needs only Python ≥ 3.10, ``onnxruntime`` and
``numpy`` (and ``harness.py``, shipped next to it), so it runs on a Raspberry Pi or a Jetson as
well as here. Usage, in the bundle's directory::

    python runner.py [--threads N] [--repeats R] [--rounds K] [-o timings.json]

Settings: ``intra_op_num_threads = N``, ``inter_op_num_threads = 1``, sequential execution,
graph optimisation ``ORT_ENABLE_ALL``, CPU execution provider (OMP/MKL variables set to N too).

*Kernels* are timed with ONNX Runtime's node profiler: a kernel's time is the sum of its nodes'
``kernel_time`` per run, leaving out the layout reorders ORT inserts around an NCHWc conv (a
network keeps NCHWc between its convs; the reorders it does pay are the profile's fusion
details) and ``run()``'s own overhead. Runs are interleaved across kernels round by round
(``harness.interleaved``); a sample is the mean of one visit's ``repeats`` runs (the profiler
counts whole microseconds), so a kernel has ``rounds`` samples. *Networks* are
timed end to end, wall clock around ``run()``, without the profiler.

``timings.json`` (format ``archspec-ort-timings``, version 1)::

    {"format": "archspec-ort-timings", "version": 1, "backend": "onnxruntime",
     "threads": N, "repeats": R, "rounds": K, "warmup": W, "seconds": float,
     "machine": {"platform", "processor", "machine", "cpus", "python"},
     "versions": {"onnxruntime", "numpy"}, "settings": {...}, "clock": str,
     "fusion": [{"into", "absorbs"}], "fusion_details": {...},   # the manifest's, copied
     "kernels": [{"id", "cls", "features": [5 floats], "ms", "iqr", "wall_ms", "samples",
                  "dropped"}],
     "networks": [{"id", "name", "totals": {cls: [5 floats]}, "kernels": int, "ms", "iqr",
                   "samples", "dropped"}]}

``ms`` is the median after dropping samples more than 3 IQR above it, ``iqr`` the IQR/median
of what is left. The manifest's ``cls``, ``features`` and ``totals`` are copied through, so the
timings file alone is enough to fit a profile (``archspec calibrate --from timings.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    from archspec.calibrate.harness import (
        CLOCK,
        CLOCK_NAMES,
        Bench,
        interleaved,
        robust,
        visit_means,
    )
except ImportError:  # the bundle's copy, next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import (  # type: ignore[import-not-found,no-redef]
        CLOCK,
        CLOCK_NAMES,
        Bench,
        interleaved,
        robust,
        visit_means,
    )

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "archspec-ort-bundle"
TIMINGS_FORMAT = "archspec-ort-timings"
VERSION = 1
#: untimed runs at the start of each visit (see ``harness.interleaved``)
SETTLE = 1
#: nodes ORT inserts to move a tensor in and out of its blocked NCHWc layout
REORDER_OPS = frozenset({"ReorderInput", "ReorderOutput"})


def session_options(threads: int, *, profile: str | None = None,
                    optimized_path: str | None = None) -> Any:
    """The pinned settings every calibration session runs with; ``profile``: a name that makes
    its node-profile file unique (sessions made in the same millisecond share a timestamp)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # the NCHWc-serialisation warning is expected
    # Hundreds of sessions stay open while they are timed in turn; from two threads each has a
    # worker pool whose threads spin after every run, and idle sessions' spinners would then
    # take the cores from the one being timed. Workers block instead (recorded in settings).
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if profile is not None:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tempfile.gettempdir(),
                                              f"ort-calib-{os.getpid()}-{profile}")
    if optimized_path is not None:
        so.optimized_model_filepath = optimized_path
    return so


def settings(threads: int) -> dict[str, Any]:
    return {"intra_op_num_threads": threads, "inter_op_num_threads": 1,
            "session.intra_op.allow_spinning": "0",
            "execution_mode": "ORT_SEQUENTIAL", "graph_optimization_level": "ORT_ENABLE_ALL",
            "providers": ["CPUExecutionProvider"],
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", ""),
            "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "")}


def _feed(session: Any, seed: int) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    feed = {}
    for inp in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]
        feed[inp.name] = rng.standard_normal(shape, dtype=np.float32)
    return feed


def _session(path: Path, threads: int, *, profile: str | None
             ) -> tuple[Any, Callable[[], object]]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), session_options(threads, profile=profile),
                                   providers=["CPUExecutionProvider"])
    feed = _feed(session, 0)
    return session, lambda: session.run(None, feed)


def node_times(profile_file: str) -> list[float]:
    """Per run, the ms its nodes computed for, reorders left out, from an ONNX Runtime
    profile."""
    with open(profile_file, encoding="utf-8") as f:
        events = json.load(f)
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                  if e.get("cat") == "Session" and e.get("name") == "model_run")
    nodes = [(e["ts"], e["dur"]) for e in events
             if e.get("cat") == "Node" and str(e.get("name", "")).endswith("_kernel_time")
             and e.get("args", {}).get("op_name") not in REORDER_OPS]
    nodes.sort()
    out: list[float] = []
    j = 0
    for start, end in runs:
        total = 0
        while j < len(nodes) and nodes[j][0] < start:
            j += 1
        while j < len(nodes) and nodes[j][0] <= end:
            total += nodes[j][1]
            j += 1
        out.append(total / 1000.0)
    return out


def profiled_visits(per_run: Sequence[float], *, warmup: int, settle: int,
                    repeats: int) -> list[float]:
    """One sample per visit of ``harness.interleaved`` from the profiler's per-run times: the
    mean of its ``repeats`` timed runs (the profiler counts whole µs; the mean of five reads to
    0.2 µs), its ``settle`` runs and the ``warmup`` runs before all visits left out."""
    runs = per_run[warmup:]
    step = settle + repeats
    timed = [t for i in range(0, len(runs) - step + 1, step) for t in runs[i + settle:i + step]]
    return visit_means(timed, repeats)


#: kernels with a session open at once (each holds its arena and its profile events): larger
#: sets are timed chunk by chunk, interleaved within each chunk
CHUNK = 512


def time_kernels(root: Path, entries: Sequence[Mapping[str, Any]], *, threads: int,
                 repeats: int, rounds: int, warmup: int,
                 on_round: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """The manifest's kernels, each in its own profiled session, interleaved (in chunks of
    :data:`CHUNK` kernels)."""
    out: list[dict[str, Any]] = []
    chunks = [entries[i:i + CHUNK] for i in range(0, len(entries), CHUNK)]
    for c, chunk in enumerate(chunks):
        def step(r: int, n: int, c: int = c) -> None:
            if on_round is not None:
                on_round(c * n + r, len(chunks) * n)

        out.extend(_time_chunk(root, chunk, threads=threads, repeats=repeats, rounds=rounds,
                               warmup=warmup, on_round=step))
    return out


def _time_chunk(root: Path, entries: Sequence[Mapping[str, Any]], *, threads: int,
                repeats: int, rounds: int, warmup: int,
                on_round: Callable[[int, int], None]) -> list[dict[str, Any]]:
    sessions = [_session(root / e["file"], threads, profile=str(e["id"])) for e in entries]
    wall = interleaved([Bench(run) for _, run in sessions], repeats=repeats, rounds=rounds,
                       warmup=warmup, settle=SETTLE, on_round=on_round)
    out = []
    for e, (session, _), w in zip(entries, sessions, wall, strict=True):
        profile = session.end_profiling()
        per_visit = profiled_visits(node_times(profile), warmup=warmup, settle=SETTLE,
                                    repeats=repeats)
        os.remove(profile)
        stat = robust(per_visit)
        out.append({"id": e["id"], "cls": e["cls"], "features": e["features"], "ms": stat.ms,
                    "iqr": stat.iqr, "wall_ms": robust(w).ms, "samples": stat.kept,
                    "dropped": stat.dropped})
    return out


def time_networks(root: Path, entries: Sequence[Mapping[str, Any]], *, threads: int,
                  repeats: int, rounds: int, warmup: int,
                  on_round: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """The manifest's networks end to end (wall clock around ``run()``), interleaved."""
    runs = [_session(root / e["file"], threads, profile=None)[1] for e in entries]
    samples = interleaved([Bench(r) for r in runs], repeats=repeats, rounds=rounds,
                          warmup=warmup, on_round=on_round)
    out = []
    for e, s in zip(entries, samples, strict=True):
        stat = robust(s)
        out.append({"id": e["id"], "name": e["name"], "totals": e["totals"],
                    "kernels": e["kernels"], "ms": stat.ms, "iqr": stat.iqr,
                    "samples": stat.kept, "dropped": stat.dropped})
    return out


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "processor": platform.processor(),
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version()}


def run_bundle(root: Path, *, threads: int | None = None, repeats: int | None = None,
               rounds: int | None = None, warmup: int | None = None,
               on_round: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Time everything the bundle at ``root`` lists; the ``timings.json`` document."""
    import numpy as np
    import onnxruntime as ort

    with open(root / MANIFEST, encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != VERSION:
        raise SystemExit(f"{root / MANIFEST}: not an archspec ONNX Runtime bundle "
                         f"(format {manifest.get('format')!r}, version "
                         f"{manifest.get('version')!r})")
    threads = threads or int(manifest["threads"])
    repeats = repeats or int(manifest["repeats"])
    rounds = rounds or int(manifest["rounds"])
    warmup = int(manifest["warmup"]) if warmup is None else warmup
    net_repeats = int(manifest.get("network_repeats", repeats))
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    start = time.perf_counter()

    def progress(what: str) -> Callable[[int, int], None] | None:
        return (lambda r, n: on_round(what, r, n)) if on_round is not None else None

    kernels = time_kernels(root, manifest["kernels"], threads=threads, repeats=repeats,
                           rounds=rounds, warmup=warmup, on_round=progress("kernels"))
    networks = time_networks(root, manifest.get("networks", []), threads=threads,
                             repeats=net_repeats, rounds=rounds, warmup=warmup,
                             on_round=progress("networks"))
    return {"format": TIMINGS_FORMAT, "version": VERSION, "backend": "onnxruntime",
            "threads": threads, "repeats": repeats, "rounds": rounds, "warmup": warmup,
            "seconds": time.perf_counter() - start, "machine": machine(),
            "versions": {"onnxruntime": ort.__version__, "numpy": np.__version__},
            "settings": settings(threads), "clock": f"networks: {CLOCK_NAMES[CLOCK]}; kernels: ORT node profiler (µs)",
            "fusion": manifest.get("fusion", []), "fusion_details": manifest.get("details", {}),
            "kernels": kernels, "networks": networks}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="intra-op threads (default: the manifest's)")
    parser.add_argument("--repeats", type=int, help="calls per kernel per round")
    parser.add_argument("--rounds", type=int, help="interleaved rounds")
    parser.add_argument("--warmup", type=int, help="untimed calls first")
    parser.add_argument("--bundle", default=str(Path(__file__).resolve().parent),
                        help="the bundle directory (default: this file's)")
    parser.add_argument("-o", "--output", default="timings.json")
    args = parser.parse_args(argv)

    def show(what: str, r: int, n: int) -> None:
        print(f"\r{what}: round {r}/{n}", end="\n" if r == n else "", file=sys.stderr,
              flush=True)

    doc = run_bundle(Path(args.bundle), threads=args.threads, repeats=args.repeats,
                     rounds=args.rounds, warmup=args.warmup, on_round=show)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"{len(doc['kernels'])} kernels, {len(doc['networks'])} networks in "
          f"{doc['seconds']:.0f} s → {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
