"""The best of a sweep measured for real: the front's first K candidates built and timed on
this machine (eager torch, or ONNX Runtime through archspec's exporter), next to their
predicted latency, or on Ray, each on a worker that carries a device resource.

Nothing here times anything itself. A candidate becomes the record calibration times whole
networks from (:class:`archspec.calibrate.nets.CalibNet`), and calibration's own network timers
run them: :func:`archspec.calibrate.torch_kernels.time_networks` (eval mode, inference mode,
batch 1, threads pinned) and :func:`archspec.calibrate.ort_kernels.time_networks` (exported,
cached, timed in the pinned ORT session). Both go through
:func:`archspec.calibrate.harness.interleaved`: every round visits every candidate once, in a
fresh shuffled order, so a drift of the machine spreads over all of them alike; each is reported
as the median after dropping outliers, with its IQR/median (:func:`~archspec.calibrate.harness.
robust`). On Ray each candidate is one task, measured alone on whichever device takes it, so
candidates are not interleaved there: a lab's devices measure in parallel instead.

torch, ONNX Runtime and ray are imported only here and only when asked for; the analysis path
of a sweep never imports them.
"""

from __future__ import annotations

import json
import math
import platform
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import SpecError
from archspec.sweep.apply import candidate_document, candidate_network
from archspec.sweep.extras import need
from archspec.sweep.model import overrides_of

if TYPE_CHECKING:
    from archspec.calibrate.nets import CalibNet
    from archspec.calibrate.samples import NetworkTiming
    from archspec.sweep.evaluate import Setup

Row = Mapping[str, Any]

BACKENDS = ("torch", "onnxruntime")
#: the columns a measured row gains: median ms, IQR/median, and where it was measured
MEASURED = ("measured_ms", "measured_iqr", "measured_backend", "measured_threads",
            "measured_host")
#: samples per candidate: rounds × repeats calls, after warmup calls (a forward of an
#: EMO-1M-sized network takes 10–80 ms at one thread: K = 5 measure in about 10 s)
ROUNDS = 10
REPEATS = 3
WARMUP = 2


def _check(rows: Sequence[Row], k: int, backend: str, threads: int, rounds: int) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"cannot measure on {backend!r}: the backends are "
                         f"{', '.join(BACKENDS)}")
    for name, value, least in (("k", k, 0), ("threads", threads, 1), ("rounds", rounds, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name}: expected an int ≥ {least}, got {value!r}")
    for row in rows[:k]:
        if row.get("status") != "ok":
            raise ValueError(f"candidate {row.get('candidate')} did not resolve "
                             f"({row.get('error') or row.get('status')}): nothing to measure")


def candidate_nets(setup: Setup, rows: Sequence[Row]) -> list[CalibNet]:
    """Each row's network (the base variant with its overrides as the last layer), resolved
    and traced, as calibration's network record. Its export cache key is the merged network
    itself, so two candidates never share an export."""
    from archspec.calibrate.nets import from_document
    from archspec.spec.document import load

    document = load(setup.base)
    out = []
    for row in rows:
        network, problems = candidate_network(document, setup.variant, overrides_of(row))
        if problems:
            raise SpecError(problems)
        doc = candidate_document(document, setup.variant, network)
        text = json.dumps(network.data, sort_keys=True, default=str)
        nets = from_document(doc, name=f"candidate {row.get('candidate')}", text=text)
        if len(nets) != 1:
            raise ValueError(f"candidate {row.get('candidate')} does not resolve now "
                             f"(the base spec changed since the sweep?)")
        out.append(nets[0])
    return out


def measure(setup: Setup, rows: Sequence[Row], k: int, *, backend: str = "torch",
            threads: int = 1, rounds: int = ROUNDS, repeats: int = REPEATS,
            warmup: int = WARMUP, cache_dir: Path | None = None,
            on_round: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """The first ``k`` of ``rows`` (the front, best first) built and timed here at batch 1,
    interleaved across them: each row returned with :data:`MEASURED` added, its predicted
    ``latency_ms`` (when the sweep had a device) kept beside it.

    ``backend``: ``torch`` (eager, eval, ``threads`` intra-op threads, pinned for the process
    as calibration pins them) or ``onnxruntime`` (exported by archspec's exporter, exports
    cached in ``cache_dir``, default the calibration cache). ValueError for a row that did not
    resolve, an unknown backend, or k < 0; :class:`~archspec.sweep.extras.MissingExtra` when
    the backend is not installed."""
    _check(rows, k, backend, threads, rounds)
    chosen = list(rows[:k])
    if not chosen:
        return []
    from archspec.calibrate.timing import pin_threads_env

    pin_threads_env(threads)  # before the backend loads (it reads them once)
    need("torch", extra="torch", feature="--measure")
    if backend == "onnxruntime":
        need("onnxruntime", extra="export", feature="--measure on onnxruntime")
    nets = candidate_nets(setup, chosen)
    timings = _time(nets, backend=backend, threads=threads, rounds=rounds, repeats=repeats,
                    warmup=warmup, cache_dir=cache_dir, on_round=on_round)
    host = platform.node()
    return [{**row, "measured_ms": t.ms, "measured_iqr": t.iqr, "measured_backend": backend,
             "measured_threads": threads, "measured_host": host}
            for row, t in zip(chosen, timings, strict=True)]


def _time(nets: Sequence[CalibNet], *, backend: str, threads: int, rounds: int, repeats: int,
          warmup: int, cache_dir: Path | None,
          on_round: Callable[[int, int], None] | None) -> list[NetworkTiming]:
    if backend == "torch":
        from archspec.calibrate import torch_kernels

        return torch_kernels.time_networks(nets, threads=threads, repeats=repeats,
                                           rounds=rounds, warmup=warmup, on_round=on_round)
    from archspec.calibrate import ort_kernels
    from archspec.calibrate.run import default_cache

    with tempfile.TemporaryDirectory(prefix="archspec-measure-") as work:
        return ort_kernels.time_networks(nets, workdir=Path(work),
                                         cache_dir=cache_dir or default_cache(),
                                         threads=threads, repeats=repeats, rounds=rounds,
                                         warmup=warmup, on_round=on_round)


def _measure_one(setup: Setup, row: dict[str, Any], options: dict[str, Any]
                 ) -> dict[str, Any]:
    """One candidate measured where a Ray task landed."""
    (out,) = measure(setup, [row], 1, **options)
    return out


def measure_ray(setup: Setup, rows: Sequence[Row], k: int, *,
                resources: Mapping[str, float], backend: str = "torch", threads: int = 1,
                rounds: int = ROUNDS, repeats: int = REPEATS, warmup: int = WARMUP,
                timeout: float | None = None) -> list[dict[str, Any]]:
    """As :func:`measure`, one Ray task per candidate, each asking for ``resources`` (a
    device's custom resource, ``{"device:pi4": 1}``) and ``threads`` CPUs, so each lands on a
    worker that carries the device and devices measure in parallel. Rows come back in the
    order given. Ray must be initialised (the sweep's engine connects to the cluster);
    ValueError when no node offers a resource asked for (a task would wait for ever);
    ``timeout``: seconds to wait for all of them (ray's GetTimeoutError past it)."""
    ray = need("ray", extra="ray", feature="--measure on Ray")
    _check(rows, k, backend, threads, rounds)
    chosen = [dict(r) for r in rows[:k]]
    if not chosen:
        return []
    if not ray.is_initialized():
        raise ValueError("measure_ray needs a connected Ray cluster (ray.init first)")
    offered = ray.cluster_resources()
    for key, amount in resources.items():
        if not math.isfinite(amount) or offered.get(key, 0) < amount:
            raise ValueError(
                f"no node of the Ray cluster offers {amount:g} of {key!r} (it offers "
                f"{', '.join(sorted(offered)) or 'nothing'}); start a device's worker with "
                f"ray start --address ... --resources '{{\"{key}\": 1}}'")
    options = {"backend": backend, "threads": threads, "rounds": rounds, "repeats": repeats,
               "warmup": warmup}
    task = ray.remote(_measure_one).options(resources=dict(resources), num_cpus=threads)
    refs = [task.remote(setup, row, options) for row in chosen]
    results: list[dict[str, Any]] = ray.get(refs, timeout=timeout)
    return results
