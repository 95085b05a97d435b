"""``archspec calibrate``: sample the kernels real networks run, time them and a set of whole
networks on this machine, fit the latency model and assemble the device profile.

Where kernels come from: every op of the shipped specs (at 224² and, in a full run, at the other
resolutions mobile networks are deployed at), plus the generated calibration networks when this
tree has a generator (:func:`archspec.calibrate.nets.generated`). Networks timed end to end: the
shipped variants and the generated networks, fewer in ``--quick`` and for ONNX Runtime, whose
exports are slow the first time (they are cached).

A :class:`Plan` sets the sample counts, sized from costs measured on the shared 2-core
development machine (load average ~4 from other work): one pass over the ~1,500 distinct
kernels of ``--quick`` (shipped specs and 8 generated networks) takes ~0.4 s of kernel time, the
~6,000 of a full run (the specs at four sizes and 40 generated networks) ~1.5 s; a network
5–150 ms; an ONNX export 5–30 s (cached). Measured: torch ``--quick`` 32 s (1,559 kernels, 12
networks), full 216 s (6,004 kernels, 58 networks); ONNX Runtime ``--quick`` 109 s with a cold
export cache, ~50 s warm (1,559 kernels, 3 networks).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.calibrate.timing import pin_threads_env
from archspec.latency.kernels import TORCH_FUSION

if TYPE_CHECKING:
    from archspec.calibrate.bundle import Timings
    from archspec.calibrate.nets import CalibNet
    from archspec.calibrate.samples import KernelTiming, NetworkTiming
    from archspec.latency.kernels import FusionRule
    from archspec.latency.model import DeviceProfile, Noise

BACKENDS = ("torch", "onnxruntime")
#: IQR/median at the 90th percentile above which a profile is flagged as too noisy to trust
NOISE_LIMIT = 0.10


@dataclass(frozen=True)
class Plan:
    """Sample counts of one calibration run."""

    kernel_repeats: int
    kernel_rounds: int
    network_repeats: int
    network_rounds: int
    warmup: int
    #: input sizes the specs are traced at for kernels, besides their own (networks: their own)
    kernel_sizes: tuple[int, ...]
    #: networks timed end to end (None: all); ONNX Runtime's cap (exports)
    max_networks: int | None
    max_networks_ort: int
    #: generated calibration networks (when a generator exists)
    generated: int


QUICK = Plan(kernel_repeats=3, kernel_rounds=5, network_repeats=2, network_rounds=5, warmup=2,
             kernel_sizes=(), max_networks=12, max_networks_ort=3, generated=8)
DEFAULT = Plan(kernel_repeats=5, kernel_rounds=7, network_repeats=3, network_rounds=7,
               warmup=3, kernel_sizes=(160, 192, 256), max_networks=None,
               max_networks_ort=20, generated=100)


@dataclass(frozen=True)
class Request:
    """What the command line asked for."""

    backend: str = "torch"
    threads: int = 1
    quick: bool = False
    bundle: Path | None = None
    timings: Path | None = None  # --from
    output: Path | None = None
    name: str | None = None
    spec_dir: Path | None = None
    cache_dir: Path | None = None
    seed: int = 1


class Progress:
    """Phases and rounds on stderr (rich); a no-op when ``enabled`` is False."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress: Any = None

    @contextmanager
    def running(self) -> Iterator[Progress]:
        if not self.enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        with RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=Console(stderr=True),
                          transient=False) as p:
            self._progress = p
            yield self
        self._progress = None

    def phase(self, what: str, total: int) -> Callable[[int, int], None]:
        """A task of ``total`` steps; returns the callback that advances it (done, total)."""
        if self._progress is None:
            return lambda done, n: None
        task = self._progress.add_task(what, total=total)
        return lambda done, n: self._progress.update(task, completed=done, total=n)

    def note(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, highlight=False)


# --------------------------------------------------------------------------- records


def machine() -> dict[str, Any]:
    """Platform, processor, CPU count, and caches and model from ``lscpu`` when present."""
    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                            "processor": platform.processor(), "cpus": os.cpu_count()}
    lscpu = shutil.which("lscpu")
    if lscpu is None:
        return info
    try:
        text = subprocess.run([lscpu], capture_output=True, text=True, timeout=10,
                              env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return info
    wanted = {"Model name": "model", "L1d cache": "l1d", "L2 cache": "l2", "L3 cache": "l3"}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in wanted:
            info[wanted[key.strip()]] = value.strip()
    return info


def noise(iqrs: Sequence[float], limit: float = NOISE_LIMIT) -> Noise:
    """Median and 90th percentile of the IQR/median of everything timed; trusted when the
    90th percentile is at most ``limit``."""
    from archspec.latency.model import Noise

    if not iqrs:
        return Noise(0.0, 0.0, False, limit)
    xs = sorted(iqrs)
    p90 = xs[min(len(xs) - 1, int(0.9 * (len(xs) - 1) + 0.5))]
    return Noise(statistics.median(xs), p90, p90 <= limit, limit)


def _fit(kernels: Sequence[KernelTiming], networks: Sequence[NetworkTiming],
         blocks: Sequence[NetworkTiming] = ()) -> Any:
    from archspec.calibrate.fit import fit  # numpy; the lead's

    return fit(kernels, networks, blocks)


def assemble(*, name: str, backend: str, threads: int, kernels: Sequence[KernelTiming],
             networks: Sequence[NetworkTiming], fusion: Sequence[FusionRule],
             machine_info: dict[str, Any], versions: dict[str, str],
             details: dict[str, Any], blocks: Sequence[NetworkTiming] = ()) -> DeviceProfile:
    """Fit and wrap the result as a :class:`DeviceProfile` with its record of how."""
    from archspec.latency.model import DeviceProfile

    fitted = _fit(kernels, networks, blocks)
    iqrs = [k.iqr for k in kernels] + [n.iqr for n in networks]
    return DeviceProfile(
        name=name, backend=backend, threads=threads, machine=machine_info, versions=versions,
        calibrated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        noise=noise(iqrs), classes=fitted.classes, network=fitted.network,
        fusion=tuple(fusion),
        details={**details, "kernels_timed": len(kernels), "networks_timed": len(networks),
                 "blocks_timed": len(blocks),
                 "fit": dict(fitted.report),
                 "network_noise": asdict(noise([n.iqr for n in networks]))},
    )


def save(profile: DeviceProfile, path: Path) -> None:
    """Write ``profile`` (:func:`archspec.latency.profile.save_profile`)."""
    from archspec.latency.profile import save_profile

    save_profile(profile, path)


# --------------------------------------------------------------------------- sampling


def kernel_nets(request: Request, plan: Plan) -> tuple[list[CalibNet], list[CalibNet]]:
    """The spec files' networks at their own input size, and traced at the plan's other sizes
    (kernels only)."""
    from archspec.calibrate import nets

    files = (sorted(Path(request.spec_dir).glob("*.yaml")) if request.spec_dir
             else _shipped_files())
    own = nets.from_files(files)
    other = [n for size in plan.kernel_sizes if size is not None
             for n in nets.from_files(files, input_size=size)]
    return own, other


def _shipped_files() -> list[Path]:
    import archspec

    return sorted((Path(archspec.__file__).parent / "data" / "specs").glob("*.yaml"))


def timed_nets(shipped: Sequence[CalibNet], generated: Sequence[CalibNet], *,
               cap: int | None) -> list[CalibNet]:
    """The networks timed end to end: shipped and generated, at most ``cap``, spread over
    sizes (sorted by op count, every k-th) so a capped run still spans small to large."""
    pool = [*shipped, *generated]
    if cap is None or len(pool) <= cap:
        return pool
    by_size = sorted(pool, key=lambda n: sum(1 for _ in n.ops()))
    step = (len(by_size) - 1) / max(1, cap - 1)
    return [by_size[round(i * step)] for i in range(cap)] if cap > 1 else by_size[:1]


def _torch_versions() -> dict[str, str]:
    import torch

    versions: dict[str, str] = {"torch": str(torch.__version__)}
    for line in torch.__config__.show().splitlines():
        if "MKL-DNN" in line or "oneDNN" in line:
            versions["onednn"] = line.split("v", 1)[-1].split()[0] if " v" in line else line
    return versions


def _ort_versions() -> dict[str, str]:
    import numpy as np
    import onnxruntime as ort

    return {"onnxruntime": ort.__version__, "numpy": np.__version__}


# --------------------------------------------------------------------------- backends


def calibrate(request: Request, progress: Progress | None = None) -> DeviceProfile | Path:
    """Run what ``request`` asks: a profile (local calibration or ``--from``), or the bundle's
    directory (``--bundle``)."""
    progress = progress or Progress(enabled=False)
    loaded = sorted(m for m in ("torch", "onnxruntime") if m in sys.modules)
    settings: dict[str, Any] = dict(pin_threads_env(request.threads))  # before they load
    # a backend imported before this call read its environment already (oneDNN's cache size)
    settings["loaded_before_settings"] = loaded
    plan = QUICK if request.quick else DEFAULT
    start = time.perf_counter()
    with progress.running():
        if request.timings is not None:
            return from_timings(request, start)
        if request.backend == "torch":
            return _torch(request, plan, settings, progress, start)
        if request.backend == "onnxruntime":
            return _onnxruntime(request, plan, settings, progress, start)
    raise ValueError(f"unknown backend {request.backend!r}; expected one of {BACKENDS}")


def _gen(request: Request, plan: Plan) -> list[CalibNet]:
    from archspec.calibrate import nets

    return nets.generated(request.seed, plan.generated)


def _common_details(request: Request, plan: Plan, settings: dict[str, Any], start: float,
                    **more: Any) -> dict[str, Any]:
    from archspec.calibrate.harness import CLOCK, CLOCK_NAMES

    return {"seconds": round(time.perf_counter() - start, 1), "quick": request.quick,
            "plan": asdict(plan), "settings": settings, "clock": CLOCK_NAMES[CLOCK],
            "seed": request.seed, **more}


def _torch(request: Request, plan: Plan, settings: dict[str, Any], progress: Progress,
               start: float) -> DeviceProfile:
    from archspec.calibrate import nets, torch_kernels

    progress.note("tracing the sampled networks")
    own, other = kernel_nets(request, plan)
    generated = _gen(request, plan)
    ops = nets.all_ops([*own, *other, *generated])
    ops += nets.grouped_variants(ops)
    uniq = torch_kernels.unique_ops(ops)
    kernels = torch_kernels.time_kernels(
        uniq, threads=request.threads, repeats=plan.kernel_repeats, rounds=plan.kernel_rounds,
        warmup=plan.warmup, on_round=progress.phase(f"torch: {len(uniq)} kernels",
                                                    plan.kernel_rounds))
    chains = torch_kernels.attention_chains([n.graph for n in (*own, *other, *generated)])
    kernels = kernels + torch_kernels.time_attention(
        chains, threads=request.threads, repeats=plan.kernel_repeats, rounds=plan.kernel_rounds,
        warmup=plan.warmup, on_round=progress.phase(f"torch: {len(chains)} attention kernels",
                                                    plan.kernel_rounds))
    timed = timed_nets(own, generated, cap=plan.max_networks)
    networks = torch_kernels.time_networks(
        timed, threads=request.threads, repeats=plan.network_repeats,
        rounds=plan.network_rounds, warmup=plan.warmup,
        on_round=progress.phase(f"torch: {len(timed)} networks", plan.network_rounds))
    blocks = torch_kernels.time_blocks(
        timed, threads=request.threads, repeats=plan.network_repeats,
        rounds=plan.network_rounds, warmup=plan.warmup,
        on_round=progress.phase(f"torch: blocks of {len(timed)} networks in context",
                                plan.network_rounds))
    settings = {**settings, **torch_kernels.pin_torch(request.threads)}
    details = _common_details(request, plan, settings, start, attention="sdpa",
                              generated=len(generated),
                              networks=[n.name for n in networks])
    return assemble(name=request.name or f"torch-{request.threads}t", backend="torch",
                    threads=request.threads, kernels=kernels, networks=networks,
                    fusion=TORCH_FUSION, blocks=blocks,
                    machine_info=machine(), versions=_torch_versions(), details=details)


def _onnxruntime(request: Request, plan: Plan, settings: dict[str, Any], progress: Progress,
                 start: float) -> DeviceProfile | Path:
    from archspec.calibrate import bundle, nets, ort_kernels, ort_runner

    cache = request.cache_dir or default_cache()
    progress.note("probing ONNX Runtime's fusions")
    fusion = ort_kernels.detect_fusion(cache, threads=request.threads)
    own, other = kernel_nets(request, plan)
    generated = _gen(request, plan)
    ops = nets.all_ops([*own, *other, *generated])
    ops += nets.grouped_variants(ops)
    timed = timed_nets(own, generated, cap=plan.max_networks_ort)
    exports = progress.phase(f"exporting {len(timed)} networks (cached)", len(timed))
    done = [0]

    def exported(name: str) -> None:
        exports(done[0], len(timed))
        done[0] += 1

    workdir = request.bundle or Path(tempfile.mkdtemp(prefix="archspec-ort-"))
    try:
        bundle.write_bundle(workdir, ops, timed, cache_dir=cache, fusion=fusion.rules,
                            fusion_details=fusion.details, threads=request.threads,
                            repeats=max(5, plan.kernel_repeats), rounds=plan.kernel_rounds,
                            warmup=plan.warmup, network_repeats=plan.network_repeats,
                            on_export=exported)
        exports(len(timed), len(timed))
        if request.bundle is not None:
            return request.bundle
        phases: dict[str, Callable[[int, int], None]] = {}

        def on_round(what: str, r: int, n: int) -> None:
            if what not in phases:
                phases[what] = progress.phase(f"onnxruntime: {what}", n)
            phases[what](r, n)

        doc = ort_runner.run_bundle(workdir, on_round=on_round)
    finally:
        if request.bundle is None:
            shutil.rmtree(workdir, ignore_errors=True)
    timings = bundle.Timings(ort_kernels.kernel_timings(doc["kernels"]),
                             ort_kernels.network_timings(doc["networks"]), doc)
    details = _common_details(request, plan, {**settings, **doc["settings"]}, start,
                              generated=len(generated), fusion=fusion.details,
                              networks=[n.name for n in timings.networks],
                              kernel_clock=doc["clock"])
    return assemble(name=request.name or f"onnxruntime-{request.threads}t",
                    backend="onnxruntime", threads=request.threads, kernels=timings.kernels,
                    networks=timings.networks, fusion=fusion.rules, machine_info=machine(),
                    versions=_ort_versions(), details=details)


def default_cache() -> Path:
    """Where ONNX exports are cached when no ``--cache-dir`` is given (calibration's and a
    sweep's ``--measure``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "archspec" / "calibrate"


def from_timings(request: Request, start: float) -> DeviceProfile:
    """A profile fitted from a bundle runner's ``timings.json`` (``--from``)."""
    from archspec.calibrate.bundle import read_timings
    from archspec.latency.kernels import FusionRule

    assert request.timings is not None
    timings: Timings = read_timings(request.timings)
    meta = timings.meta
    fusion = [FusionRule(str(r["into"]), tuple(r["absorbs"])) for r in meta.get("fusion", [])]
    threads = int(meta.get("threads", request.threads))
    details = {"seconds_on_device": meta.get("seconds"), "source": str(request.timings),
               "settings": meta.get("settings", {}), "clock": meta.get("clock"),
               "repeats": meta.get("repeats"), "rounds": meta.get("rounds"),
               "fusion": meta.get("fusion_details", {}),
               "networks": [n.name for n in timings.networks],
               "seconds": round(time.perf_counter() - start, 1)}
    return assemble(name=request.name or f"{meta.get('backend', 'onnxruntime')}-{threads}t",
                    backend=str(meta.get("backend", "onnxruntime")), threads=threads,
                    kernels=timings.kernels, networks=timings.networks, fusion=fusion,
                    machine_info=dict(meta.get("machine", {})),
                    versions={str(k): str(v) for k, v in meta.get("versions", {}).items()},
                    details=details)

