"""How well a device profile predicts end-to-end latency: issue 10's honest measurement.

The networks judged are fixed before any fitting: :data:`N_HELDOUT` networks of the generator's
``heldout`` stream at :data:`HELDOUT_SEED` (never timed end to end by calibration, fitting or
tuning; tune on ``--validation``, a stream of its own) plus every variant of every shipped spec
(``specs/*.yaml``). For one backend and thread count:

1. calibrate (``archspec.calibrate.run.calibrate``), timed, or read ``--profile DEVICE.json``;
2. predict each network from its spec (``archspec.pipeline.run(..., device=profile)``);
3. build each network (eager torch, or its ONNX export run by ONNX Runtime: exports are cached in
   ``benchmarks/.cache/onnx/``, keyed by the spec text, variant, torch version and archspec's
   module code) and time it end to end, batch 1, at its spec's input size: :data:`ROUNDS`
   separate rounds (3 from two threads up), each visiting every network once in a fresh
   shuffled order (interleaved, so the machine's drift hits all alike) for ``--repeats``
   back-to-back calls after one untimed call; the clock the profile was calibrated with (its
   details; wall when it does not say; ``--clock thread`` at one thread leaves out the time
   other processes take the core on a shared machine); samples more than 3 IQR above the median dropped (calibration's statistic); a network's
   latency is the median of all its kept samples;
4. report, over all networks and per group (generated, shipped): Spearman ρ of predicted against
   measured (also among the networks within ±30 % of EMO-1M's measured latency), MAPE, the share
   within ±5 % and ±10 %; the same for the two baselines, MACs and memory access each times the
   constant that best fits these very measurements (least squares on relative error, which
   flatters them); the measurements' repeatability (share of networks whose two runs — the
   medians of their odd and of their even rounds — agree within 5 %: max/min ≤ 1.05); and, from two threads up, the same figures over the networks whose
   IQR/median is ≤ 5 % in every round, with the share too unstable to judge.

    python benchmarks/latency_model.py --backend torch --threads 1 [--profile DEVICE.json]
        [--n 120] [--repeats 5] [--rounds R] [--clock thread|wall] [--quick] [--validation]
    python benchmarks/latency_model.py --prepare   # fill the ONNX export cache, nothing else

Prints a per-network table and a summary; writes ``benchmarks/results/latency_model_<backend>_t<N>
[_validation][_quick].json``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _common import print_table, ranks, spearman, write_result  # noqa: E402,F401

#: Fixed before any fitting (issue 10): the held-out networks are heldout_networks(10, n).
HELDOUT_SEED = 10
#: Networks to tune on (``--validation``): their own stream, never the held-out one.
VALIDATION_SEED = 10
N_HELDOUT = 120
QUICK_NETWORKS = 6
#: Shipped variants timed by ``--quick`` (EMO-1M always: the ±30 % subset is around it).
QUICK_SHIPPED = ("emo:emo_1m", "mobilenet_v3:small", "shufflenet_v2:x1_0")
EMO_1M = "emo:emo_1m"
#: separate timing rounds. The two runs per network the issue asks for are its odd and its even
#: rounds: on this shared host a network's speed drifts by ±25 % over seconds, so many short
#: rounds spread that drift over every network alike where two long ones would not.
ROUNDS = {1: 6}
MIN_ROUNDS_THREADED = 3
STABLE_IQR = 0.05  # IQR/median in every round, from two threads up
REPEATABLE = 1.05  # max/min of the round medians
OUTLIER_IQRS = 3.0
CACHE = HERE / ".cache"
ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"


# ------------------------------------------------------------------------------- networks


@dataclass
class Net:
    """One network judged: where it comes from, what the spec says of it, what was measured."""

    name: str
    group: str  # "generated" | "shipped"
    text: str
    variant: str | None
    document: Any = None
    input_shape: tuple[int, ...] = ()
    macs: int = 0
    mem_access: int = 0
    params: int = 0
    predicted_ms: float = math.nan
    missing: tuple[str, ...] = ()
    family_mix: Mapping[str, int] = field(default_factory=dict)
    rounds: list[list[float]] = field(default_factory=list)  # ms samples kept, per round

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.variant}\n{self.text}".encode()).hexdigest()[:16]


def networks(*, validation: bool, n: int, quick: bool) -> list[Net]:
    """The generated networks of the chosen stream, then every shipped variant."""
    import archspec
    from archspec.calibrate.generate import heldout_networks, validation_networks

    drawn = (validation_networks(VALIDATION_SEED, n) if validation
             else heldout_networks(HELDOUT_SEED, n))
    nets = [Net(g.name, "generated", g.text, None, family_mix=g.family_mix) for g in drawn]
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        document = archspec.loads(text, str(path.relative_to(ROOT)))
        for variant in document.variants or [None]:
            name = f"{path.stem}:{variant}" if variant else path.stem
            if quick and name not in QUICK_SHIPPED:
                continue
            nets.append(Net(name, "shipped", text, variant, document=document))
    return nets


def analyse(nets: Sequence[Net], profile: Any) -> None:
    """Predict every network through the pipeline; record its MACs and memory access."""
    import archspec
    from archspec.pipeline import run

    for net in nets:
        if net.document is None:
            net.document = archspec.loads(net.text, f"{net.name}.yaml")
        (result,) = run(net.document, [net.variant], device=profile).variants
        graph_net, _ = result.require()
        assert result.totals is not None
        net.input_shape = graph_net.input_shape
        net.macs, net.mem_access = result.totals.macs, result.totals.mem_access
        net.params = result.totals.params
        if result.latency is not None:
            net.predicted_ms = result.latency.total_ms
            net.missing = result.latency.missing


# ------------------------------------------------------------------------------- profile


def load_profile(path: Path) -> Any:
    """A device profile from JSON: the library's reader where this tree has one, else the
    plain dataclass layout (``dataclasses.asdict`` of a DeviceProfile)."""
    try:
        from archspec.latency import profile as profile_io  # type: ignore[attr-defined]
    except ImportError:
        profile_io = None
    for name in ("load_profile", "load", "read_profile", "read"):
        reader = getattr(profile_io, name, None)
        if callable(reader):
            return reader(path)
    return _profile_from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))


def _profile_from_dict(data: Mapping[str, Any], source: str) -> Any:
    from archspec.latency import ClassModel, DeviceProfile, FusionRule, NetworkCorrection, Noise

    return DeviceProfile(
        name=data["name"], backend=data["backend"], threads=data["threads"],
        machine=data.get("machine", {}), versions=data.get("versions", {}),
        calibrated=data.get("calibrated", ""), noise=Noise(**data["noise"]),
        classes={k: ClassModel(tuple(v["coef"]), v.get("samples", 0), v.get("mape"))
                 for k, v in data["classes"].items()},
        network=NetworkCorrection(**data.get("network", {})),
        fusion=tuple(FusionRule(r["into"], tuple(r["absorbs"])) for r in data.get("fusion", ())),
        dtype=data.get("dtype", "fp32"), details=data.get("details", {}), source=source)


def calibrate(backend: str, threads: int, quick: bool) -> tuple[Any, float, Path]:
    """Calibrate this machine (the library's calibration, as ``archspec calibrate`` runs it),
    timed; the profile is written to the cache directory."""
    try:
        from archspec.calibrate import run as calibration  # type: ignore[attr-defined]
    except ImportError as exc:
        raise SystemExit(f"calibration is not available in this tree ({exc}); "
                         "pass --profile DEVICE.json") from None
    out = CACHE / "profiles" / f"{backend}_t{threads}{'_quick' if quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    profile = calibration.calibrate(calibration.Request(
        backend=backend, threads=threads, quick=quick, output=out))
    seconds = time.perf_counter() - start
    calibration.save(profile, out)  # this run's profile, replacing an older one
    return profile, seconds, out


# ------------------------------------------------------------------------------- timing


def pin_threads(threads: int) -> dict[str, str]:
    """Thread counts for the libraries that read them at load (before torch is imported)."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ.setdefault(ONEDNN_CACHE_ENV, "16384")
    return {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", ONEDNN_CACHE_ENV)}


def torch_runner(net: Net) -> Callable[[], object]:
    import torch

    import archspec

    model = archspec.build(net.document, variant=net.variant).eval()
    x = torch.randn(1, *net.input_shape)

    def call() -> object:
        with torch.inference_mode():
            return model(x)
    return call


def onnx_path(net: Net) -> Path:
    """The network's ONNX export, made once (checked against eager by archspec's exporter)."""
    import torch

    import archspec
    from archspec.nn.export import export

    tag = hashlib.sha256(f"{net.key}\n{torch.__version__}\n{_nn_source()}".encode()
                         ).hexdigest()[:16]
    path = CACHE / "onnx" / f"{tag}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        model = archspec.build(net.document, variant=net.variant).eval()
        tmp = path.with_suffix(f".{os.getpid()}.onnx")
        export(model, torch.randn(1, *net.input_shape), tmp)
        tmp.replace(path)
    return path


def _nn_source() -> str:
    """A hash of archspec's torch modules: an export made by other module code is stale."""
    import archspec.nn

    digest = hashlib.sha256()
    for path in sorted(Path(archspec.nn.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def onnx_runner(net: Net, threads: int) -> Callable[[], object]:
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # as calibration's sessions: with many sessions open, idle ones' spinning workers would
    # take the cores from the one being timed
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(onnx_path(net)), options,
                                   providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name:
            np.random.default_rng(0).standard_normal((1, *net.input_shape), dtype=np.float32)}
    return lambda: session.run(None, feed)


def robust(samples: Sequence[float]) -> list[float]:
    """The samples less those more than 3 IQR above the median (a preemption, a page fault):
    calibration's statistic (``archspec.calibrate.harness.robust``)."""
    if len(samples) < 2:
        return list(samples)
    q = statistics.quantiles(samples, n=4, method="inclusive")
    if q[2] == q[0]:
        return list(samples)
    limit = q[1] + OUTLIER_IQRS * (q[2] - q[0])
    return [s for s in samples if s <= limit]


def iqr_ratio(samples: Sequence[float]) -> float:
    if len(samples) < 2:
        return 0.0
    q = statistics.quantiles(samples, n=4, method="inclusive")
    return (q[2] - q[0]) / q[1]


def profile_clock(profile: Any) -> str:
    """The clock the profile was calibrated with (its details), so that measured and predicted
    read the same clock; wall when it does not say."""
    recorded = str(getattr(profile, "details", {}).get("clock", ""))
    return "thread" if "thread_time" in recorded or recorded == "thread" else "wall"


#: the clocks ``--clock`` offers: wall time, or the calling thread's CPU time (valid at one
#: thread only, where torch and ONNX Runtime compute in the calling thread; it leaves out the
#: time other processes on a shared machine take the core away)
CLOCKS: Mapping[str, Callable[[], int]] = {"wall": time.perf_counter_ns,
                                           "thread": time.thread_time_ns}


def time_all(nets: Sequence[Net], runners: Mapping[str, Callable[[], object]], *, rounds: int,
             repeats: int, seed: int, clock: str) -> list[float]:
    """``rounds`` rounds; each visits every network once in a fresh shuffled order: one untimed
    call, then ``repeats`` timed calls back to back. Returns the 1-minute load average after
    each round (a machine busy with other work times everything slower and noisier)."""
    now = CLOCKS[clock]
    loads = []
    rng = random.Random(seed)
    by_name = {n.name: n for n in nets}
    for n in nets:
        n.rounds = []
    gc.disable()
    try:
        for r in range(rounds):
            order = list(by_name)
            rng.shuffle(order)
            start = time.perf_counter()
            for name in order:
                run = runners[name]
                run()
                samples = []
                for _ in range(repeats):
                    t0 = now()
                    run()
                    samples.append((now() - t0) / 1e6)
                by_name[name].rounds.append(robust(samples))
            loads.append(os.getloadavg()[0])
            print(f"  round {r + 1}/{rounds}: {time.perf_counter() - start:.0f} s, load average "
                  f"{loads[-1]:.2f}", flush=True)
            gc.collect()
    finally:
        gc.enable()
    return loads


# ------------------------------------------------------------------------------- metrics


def best_constant(x: Sequence[float], y: Sequence[float]) -> float:
    """The c minimising Σ (c·x/y − 1)²: least squares on relative error."""
    r = [a / b for a, b in zip(x, y, strict=True)]
    return sum(r) / sum(v * v for v in r)


def scores(predicted: Sequence[float], measured: Sequence[float],
           near_emo: Sequence[bool]) -> dict[str, Any]:
    """ρ (all, and among the networks near EMO-1M), MAPE and the shares within ±5 % / ±10 %."""
    if not measured:
        return {"n": 0}
    err = [p / m - 1 for p, m in zip(predicted, measured, strict=True)]
    near = [i for i, ok in enumerate(near_emo) if ok]
    return {
        "n": len(measured),
        "spearman": spearman(predicted, measured),
        "spearman_near_emo_1m": spearman([predicted[i] for i in near],
                                         [measured[i] for i in near]),
        "n_near_emo_1m": len(near),
        "mape": statistics.fmean(abs(e) for e in err),
        "within_5": sum(abs(e) <= 0.05 for e in err) / len(err),
        "within_10": sum(abs(e) <= 0.10 for e in err) / len(err),
        "worst": max(err, key=abs),
    }


def evaluate(nets: Sequence[Net], emo_ms: float | None) -> dict[str, Any]:
    """The model's scores and both baselines' (constants fitted on these nets) over ``nets``."""
    measured = [measured_ms(n) for n in nets]
    near = [emo_ms is not None and abs(m / emo_ms - 1) <= 0.30 for m in measured]
    out = {"model": scores([n.predicted_ms for n in nets], measured, near)}
    for label, attr in (("macs", "macs"), ("mem_access", "mem_access")):
        if not nets:
            continue
        x = [float(getattr(n, attr)) for n in nets]
        c = best_constant(x, measured)
        out[label] = {**scores([c * v for v in x], measured, near), "constant_ms": c}
    return out


def measured_ms(net: Net) -> float:
    return statistics.median([s for r in net.rounds for s in r])


def round_medians(net: Net) -> list[float]:
    return [statistics.median(r) for r in net.rounds]


def runs(net: Net) -> tuple[float, float]:
    """The network's two runs: the median of its samples in the odd rounds and in the even ones
    (rounds interleave every network, so each run spans the whole timing session's drift)."""
    odd = [s for r in net.rounds[0::2] for s in r]
    even = [s for r in net.rounds[1::2] for s in r] or odd
    return statistics.median(odd), statistics.median(even)


def repeatable(net: Net) -> bool:
    a, b = runs(net)
    return max(a, b) / min(a, b) <= REPEATABLE


def stable(net: Net) -> bool:
    return all(iqr_ratio(r) <= STABLE_IQR for r in net.rounds)


# ------------------------------------------------------------------------------- report


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.0f} %"


def _rho(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def summary_rows(label: str, result: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for who in ("model", "macs", "mem_access"):
        s = result.get(who)
        if not s or not s.get("n"):
            continue
        rows.append([label, who, str(s["n"]), _rho(s["spearman"]),
                     f"{_rho(s['spearman_near_emo_1m'])} (n={s['n_near_emo_1m']})",
                     _pct(s["mape"]), _pct(s["within_5"]), _pct(s["within_10"])])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch")
    parser.add_argument("--threads", type=int, choices=(1, 2), default=1)
    parser.add_argument("--profile", type=Path, help="use this device profile (no calibration)")
    parser.add_argument("--n", type=int, default=None,
                        help=f"generated networks (default {N_HELDOUT}; --quick {QUICK_NETWORKS})")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed calls per network per round (default 5; --quick 3)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="separate timing rounds (default 6 at 1 thread, 3 at 2)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default=None,
                        help="wall, or thread CPU time (one thread only); default: the clock "
                             "the profile was calibrated with")
    parser.add_argument("--prepare", action="store_true",
                        help="only export the networks to ONNX (the cache), then stop")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: few networks, few repeats, quick calibration")
    parser.add_argument("--validation", action="store_true",
                        help="judge on the validation stream (for tuning), not the held-out one")
    args = parser.parse_args(argv)
    n = args.n if args.n is not None else QUICK_NETWORKS if args.quick else N_HELDOUT
    repeats = args.repeats or (3 if args.quick else 5)
    rounds = args.rounds or ROUNDS.get(args.threads, MIN_ROUNDS_THREADED)
    if args.threads > 1 and rounds < MIN_ROUNDS_THREADED:
        parser.error(f"--rounds: at least {MIN_ROUNDS_THREADED} from two threads")
    if n < 100 and not args.quick:
        print(f"warning: {n} generated networks; issue 10's measurement needs at least 100",
              file=sys.stderr)
    env = pin_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    started = time.perf_counter()
    if args.prepare:
        nets = networks(validation=args.validation, n=n, quick=args.quick)
        analyse(nets, None)
        for i, x in enumerate(nets):
            print(f"{i + 1}/{len(nets)} {x.name}: {onnx_path(x)}", flush=True)
        print(f"exported in {time.perf_counter() - started:.0f} s")
        return 0

    if args.profile:
        profile, calib_s, profile_path = load_profile(args.profile), None, args.profile
    else:
        print(f"calibrating {args.backend} at {args.threads} thread(s)…", flush=True)
        profile, calib_s, profile_path = calibrate(args.backend, args.threads, args.quick)
        print(f"  calibrated in {calib_s:.0f} s → {profile_path}", flush=True)
    if profile.backend != args.backend or profile.threads != args.threads:
        print(f"warning: profile {profile_path} is for {profile.backend} at {profile.threads} "
              f"thread(s), not {args.backend} at {args.threads}", file=sys.stderr)

    clock = args.clock or profile_clock(profile)
    if clock == "thread" and args.threads > 1:
        parser.error("--clock thread: only at one thread (other threads' work would be missed)")
    nets = networks(validation=args.validation, n=n, quick=args.quick)
    analyse(nets, profile)
    print(f"{len(nets)} networks ({sum(x.group == 'generated' for x in nets)} generated, "
          f"{'validation' if args.validation else 'held-out'} stream); building…", flush=True)
    build_start = time.perf_counter()
    runners = {x.name: (torch_runner(x) if args.backend == "torch"
                        else onnx_runner(x, args.threads)) for x in nets}
    build_s = time.perf_counter() - build_start
    print(f"  built in {build_s:.0f} s; timing {rounds} rounds × {repeats} calls", flush=True)
    time_start = time.perf_counter()
    loads = time_all(nets, runners, rounds=rounds, repeats=repeats, seed=args.threads,
                     clock=clock)
    timing_s = time.perf_counter() - time_start

    emo = next((x for x in nets if x.name == EMO_1M), None)
    emo_ms = measured_ms(emo) if emo else None
    judged = [x for x in nets if args.threads == 1 or stable(x)]
    groups = {"all": judged, "generated": [x for x in judged if x.group == "generated"],
              "shipped": [x for x in judged if x.group == "shipped"]}
    results = {g: evaluate(members, emo_ms) for g, members in groups.items()}

    rows = []
    for x in sorted(nets, key=measured_ms):
        err = x.predicted_ms / measured_ms(x) - 1
        rows.append([x.name, x.group, f"{x.macs / 1e6:.0f}", f"{measured_ms(x):.2f}",
                     " / ".join(f"{m:.2f}" for m in round_medians(x)),
                     f"{max(iqr_ratio(r) for r in x.rounds) * 100:.1f}",
                     f"{x.predicted_ms:.2f}", f"{err * 100:+.1f}",
                     ("" if repeatable(x) else "unrepeatable ") + ("" if stable(x) else
                                                                   "unstable ") +
                     ("missing " + ",".join(x.missing) if x.missing else "")])
    print()
    print_table(["network", "group", "MMACs", "measured ms", "round medians", "IQR %",
                 "predicted ms", "error %", "notes"], rows)
    print()
    share_repeatable = sum(map(repeatable, nets)) / len(nets)
    share_unstable = sum(not stable(x) for x in nets) / len(nets)
    print(f"{args.backend}, {args.threads} thread(s), {clock} clock, profile {profile.name} ({profile_path}); "
          f"EMO-1M measured {emo_ms and f'{emo_ms:.2f}'} ms")
    if max(loads) > args.threads + 0.5:
        print(f"warning: load average up to {max(loads):.1f} while timing on {os.cpu_count()} "
              f"CPUs: other processes shared the machine; these timings are not clean")
    print(f"repeatability: {_pct(share_repeatable)} of networks whose two runs (odd and even rounds) agree within 5 % "
          f"(max/min ≤ {REPEATABLE}); unstable (IQR/median > 5 % in some round): "
          f"{_pct(share_unstable)}" + (" — excluded below" if args.threads > 1 else ""))
    print()
    summary = [r for g, res in results.items() for r in summary_rows(g, res)]
    if summary:
        print_table(["networks", "predictor", "n", "ρ", "ρ near EMO-1M ±30 %", "MAPE", "±5 %",
                     "±10 %"], summary)
    else:
        print("no network was stable enough to judge")
    total_s = time.perf_counter() - started + (calib_s or 0)
    print(f"\ncalibration {calib_s and f'{calib_s:.0f} s' or '(profile given)'}, build "
          f"{build_s:.0f} s, timing {timing_s:.0f} s, total {total_s:.0f} s")

    suffix = f"{'_validation' if args.validation else ''}{'_quick' if args.quick else ''}"
    path = write_result(f"latency_model_{args.backend}_t{args.threads}{suffix}", {
        "backend": args.backend, "threads": args.threads, "env": env,
        "torch": torch.__version__, "onnxruntime": _version("onnxruntime"),
        "node": platform.node(), "profile": {"name": profile.name, "path": str(profile_path),
                                             "calibrated": profile.calibrated},
        "stream": "validation" if args.validation else "heldout",
        # which networks exactly: a change to the generator changes this digest
        "networks_sha256": hashlib.sha256("".join(
            x.text + str(x.variant) for x in nets).encode()).hexdigest(),
        "seed": VALIDATION_SEED if args.validation else HELDOUT_SEED,
        "rounds": rounds, "repeats": repeats, "clock": clock,
        "seconds": {"calibration": calib_s, "build": build_s, "timing": timing_s,
                    "total": total_s},
        "load_average_per_round": loads, "emo_1m_ms": emo_ms, "repeatable": share_repeatable, "unstable": share_unstable,
        "judged": "all networks" if args.threads == 1 else
                  f"networks with IQR/median ≤ {STABLE_IQR} in each of {rounds} rounds",
        "results": results,
        "networks": [{"name": x.name, "group": x.group, "variant": x.variant,
                      "family_mix": dict(x.family_mix), "macs": x.macs,
                      "mem_access": x.mem_access, "params": x.params,
                      "measured_ms": measured_ms(x), "round_medians_ms": round_medians(x),
                      "round_iqr": [iqr_ratio(r) for r in x.rounds],
                      "predicted_ms": x.predicted_ms, "missing": list(x.missing),
                      "repeatable": repeatable(x), "stable": stable(x)} for x in nets],
    })
    print(f"wrote {path}")
    return 0


def _version(module: str) -> str | None:
    try:
        return str(__import__(module).__version__)
    except ImportError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
