"""The ShuffleNet V2 guideline experiments, reproduced: lint figure vs measured CPU latency.

Builds the four micro-benchmarks of ``specs/experiments/`` (Ma et al., ECCV 2018, Tables 1–4, at
56×56) with ``archspec.build``, measures their latency on this machine's CPU (batch 1,
``torch.inference_mode``, 2 threads, interleaved repeats, medians) and prints, per experiment,
the figure the lint rule computes, the slowdown measured here, and the paper's GPU (GTX 1080Ti)
and ARM (Snapdragon 810) slowdowns; per family, the Spearman rank correlation between the lint
figure and the measured slowdown. Writes ``benchmarks/results/guidelines.json``.

With ``--device DEVICE.json`` (a profile written by ``archspec calibrate``) each experiment is
also predicted on that device, torch-free, and reported next to what was measured: predicted ms,
measured ms, predicted slowdown against measured slowdown, and per family the Spearman rank
correlation of predicted against measured latency (and slowdown). Threads default to the
profile's, so prediction and measurement describe the same configuration. ``--predict-only``
skips the measurement (the table then shows the prediction and the paper).

    python benchmarks/guidelines.py [--repeats 21] [--rounds 3] [--families G1,G2,G3,G4]
                                    [--device DEVICE.json [--predict-only]]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved, median, print_table, spearman, write_result  # noqa: E402

EXPERIMENTS = ROOT / "specs" / "experiments"


@dataclass(frozen=True)
class Experiment:
    family: str
    spec: str
    variant: str
    label: str
    group: str  # experiments of one group do the same work; slowdowns are within a group
    baseline: bool
    paper_gpu: float  # the paper's speed (GPU batches/s, ARM images/s): higher is faster
    paper_arm: float


# The paper's measured speeds, ×1 width columns (Tables 1–4; docs/guidelines.md derives the ratios).
E = Experiment
PLAN: list[Experiment] = [
    # Table 1: c1:c2 at equal work
    E("G1", "g1_channel_width", "r1_1", "1:1 (128,128)", "x1", True, 1480, 76.2),
    E("G1", "g1_channel_width", "r1_2", "1:2 (90,180)", "x1", False, 1296, 72.9),
    E("G1", "g1_channel_width", "r1_6", "1:6 (52,312)", "x1", False, 876, 69.1),
    E("G1", "g1_channel_width", "r1_12", "1:12 (36,432)", "x1", False, 748, 57.6),
    # Table 2: groups at equal work
    E("G2", "g2_group_conv", "g1", "g=1 (c=128)", "x1", True, 2451, 40.0),
    E("G2", "g2_group_conv", "g2", "g=2 (c=180)", "x1", False, 1725, 35.0),
    E("G2", "g2_group_conv", "g4", "g=4 (c=256)", "x1", False, 1026, 32.9),
    E("G2", "g2_group_conv", "g8", "g=8 (c=360)", "x1", False, 634, 27.8),
    # Table 3: fragments at equal work (GPU column c=128, ARM column c=64)
    E("G3", "g3_fragments", "f1", "1-fragment", "c128", True, 2446, 40.2),
    E("G3", "g3_fragments", "s2", "2-fragment-series", "c128", False, 1790, 38.6),
    E("G3", "g3_fragments", "s4", "4-fragment-series", "c128", False, 752, 38.4),
    E("G3", "g3_fragments", "p2", "2-fragment-parallel", "c128", False, 1537, 33.4),
    E("G3", "g3_fragments", "p4", "4-fragment-parallel", "c128", False, 691, 35.0),
    # Table 4: ReLU and shortcut in a bottleneck; slowdowns against the unit without both
    E("G4", "g4_bottleneck", "c64_plain", "c=64 no ReLU, no shortcut", "c64", True, 2376, 20.2),
    E("G4", "g4_bottleneck", "c64_relu", "c=64 ReLU", "c64", False, 2256, 18.8),
    E("G4", "g4_bottleneck", "c64_shortcut", "c=64 shortcut", "c64", False, 2121, 18.2),
    E("G4", "g4_bottleneck", "c64_relu_shortcut", "c=64 ReLU + shortcut", "c64", False, 2066,
      16.9),
    E("G4", "g4_bottleneck", "c32_plain", "c=32 no ReLU, no shortcut", "c32", True, 2842, 66.3),
    E("G4", "g4_bottleneck", "c32_relu", "c=32 ReLU", "c32", False, 2647, 61.9),
    E("G4", "g4_bottleneck", "c32_shortcut", "c=32 shortcut", "c32", False, 2672, 57.3),
    E("G4", "g4_bottleneck", "c32_relu_shortcut", "c=32 ReLU + shortcut", "c32", False, 2427,
      56.7),
]

FIGURE = {  # which network figure of the rule stands for the experiment
    "G1": ("value", "excess memory access over the balanced minimum, share of all"),
    "G2": ("value", "excess memory access over the dense minimum, share of all"),
    "G3": ("fragments_per_block", "effective fragments per block"),
    "G4": ("elementwise_share", "element-wise share of memory access"),
}


def lint_figure(exp: Experiment) -> dict[str, Any]:
    """The rule's network figures for one experiment, under the default target."""
    import archspec
    from archspec.rules.context import LintContext
    from archspec.rules.registry import RULES
    from archspec.rules.targets import load_target

    doc = archspec.load(EXPERIMENTS / f"{exp.spec}.yaml")
    net = archspec.resolve(doc, exp.variant)
    target = load_target("default")
    ctx = LintContext(net, archspec.trace(net), target)
    rule = RULES[exp.family]()
    figures = rule.network(ctx, target.options(exp.family))  # type: ignore[attr-defined]
    verdicts = sorted({d.code for d in archspec.lint(doc, variant=exp.variant)
                       if d.severity.value != "info" and d.code.startswith("G")})
    return {**figures, "figure": figures[FIGURE[exp.family][0]], "warnings": verdicts,
            "macs": archspec.analyze(doc, variant=exp.variant).total.macs}


def load_device(path: str) -> Any:
    """The device profile at ``path`` (:func:`archspec.latency.profile.load_profile`)."""
    from archspec.latency.profile import load_profile

    return load_profile(path)


def predicted(exp: Experiment, device: Any) -> dict[str, Any]:
    """The experiment predicted on ``device``: total ms, kernels, classes without a model, and
    the rule's network finding in time (its ms and what its rewrite saves), when it reports."""
    import archspec
    from archspec.latency.predict import predict
    from archspec.pipeline import LintRequest, run
    from archspec.rules.targets import load_target

    doc = archspec.load(EXPERIMENTS / f"{exp.spec}.yaml")
    net = archspec.resolve(doc, exp.variant)
    p = predict(archspec.trace(net), device)
    res = run(doc, [exp.variant], lint=LintRequest(load_target("default"), [exp.family]),
              device=device)
    verdict = next((d for d in res.findings if d.severity.value != "info"), None)
    finding = None if verdict is None else {
        k: verdict.data.get(k) for k in ("latency_ms", "share", "saves_ms", "holds")}
    return {"ms": p.total_ms, "kernels": p.kernels, "missing": list(p.missing),
            "finding": finding}


def spread(samples: list[float]) -> float:
    """Interquartile range over the median: how disturbed a round of samples was."""
    q = sorted(samples)
    n = len(q)
    return (q[(3 * n) // 4] - q[n // 4]) / median(q)


def measure(plan: list[Experiment], repeats: int, sample_ms: float, rounds: int,
            threads: int = 2, clock: str = "wall") -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Per network, ``repeats`` latencies (s per forward), interleaved within each family; each
    sample averages as many forwards as fill ``sample_ms`` (short networks are timed in loops).

    A shared machine's load comes and goes: each family is measured in ``rounds`` rounds and
    the round whose samples spread least (median interquartile range over median) is kept;
    every round is returned for the record. ``clock="cpu"`` times process CPU time instead of
    wall time (robust to other jobs on a shared machine when ``threads`` is 1)."""
    import torch

    import archspec

    torch.set_num_threads(threads)
    now = time.process_time if clock == "cpu" else time.perf_counter
    torch.manual_seed(0)
    times: dict[str, list[float]] = {}
    record: dict[str, Any] = {}
    for family in dict.fromkeys(e.family for e in plan):
        runs, loops = {}, {}
        for exp in (e for e in plan if e.family == family):
            doc = archspec.load(EXPERIMENTS / f"{exp.spec}.yaml")
            model = archspec.build(doc, variant=exp.variant).eval()
            x = torch.randn(1, *archspec.resolve(doc, exp.variant).input_shape)
            with torch.inference_mode():
                for _ in range(3):
                    model(x)
                start = time.perf_counter()
                model(x)
                single = time.perf_counter() - start
            n = max(1, round(sample_ms / 1e3 / single))
            key = f"{exp.spec}:{exp.variant}"
            loops[key] = n

            def run(model: Any = model, x: Any = x, n: int = n) -> None:
                with torch.inference_mode():
                    for _ in range(n):
                        model(x)

            runs[key] = run
        candidates = []
        for r in range(rounds):
            print(f"measuring {family}, round {r + 1}/{rounds}: {len(runs)} networks × "
                  f"{repeats} repeats", file=sys.stderr)
            got = {key: [t / loops[key] for t in samples]
                   for key, samples in interleaved(runs, repeats, warmup=1, clock=now).items()}
            noise = median([spread(v) for v in got.values()])
            candidates.append((noise, got))
        best = min(candidates, key=lambda c: c[0])
        times.update(best[1])
        record[family] = {"spreads": [c[0] for c in candidates], "kept": candidates.index(best),
                          "rounds_ms": [{k: median(v) * 1e3 for k, v in c[1].items()}
                                        for c in candidates]}
    return times, record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--families", default="G1,G2,G3,G4")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the device profile's, else 2)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time, or process CPU time (with --threads 1, robust to load)")
    parser.add_argument("--out", default="guidelines", help="result name under benchmarks/results")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure each family this many times; keep the quietest round")
    parser.add_argument("--sample-ms", type=float, default=50.0,
                        help="time each sample over enough forwards to fill this")
    parser.add_argument("--device", default=None, metavar="DEVICE.json",
                        help="also predict every experiment on this device profile")
    parser.add_argument("--predict-only", action="store_true",
                        help="with --device: predict, do not measure")
    args = parser.parse_args(argv)
    device = load_device(args.device) if args.device else None
    if args.predict_only and device is None:
        parser.error("--predict-only needs --device")
    threads = args.threads or (device.threads if device is not None else 2)
    if device is not None and threads != device.threads:
        print(f"warning: measuring at {threads} threads, the profile was calibrated at "
              f"{device.threads}", file=sys.stderr)
    families = args.families.split(",")
    plan = [e for e in PLAN if e.family in families]
    figures = {f"{e.spec}:{e.variant}": lint_figure(e) for e in plan}
    preds = {f"{e.spec}:{e.variant}": predicted(e, device) for e in plan} if device else {}
    times: dict[str, list[float]] = {}
    rounds: dict[str, Any] = {}
    if not args.predict_only:
        times, rounds = measure(plan, args.repeats, args.sample_ms, args.rounds, threads,
                                args.clock)
    measured = bool(times)
    rows, records = [], []
    for exp in plan:
        key = f"{exp.spec}:{exp.variant}"
        base = next(e for e in plan if e.family == exp.family and e.group == exp.group
                    and e.baseline)
        base_key = f"{base.spec}:{base.variant}"
        rec: dict[str, Any] = {
            "family": exp.family, "experiment": exp.label, "spec": exp.spec,
            "variant": exp.variant, "group": exp.group,
            "lint_figure": figures[key]["figure"], "lint": figures[key],
            "paper_gpu_slowdown": base.paper_gpu / exp.paper_gpu,
            "paper_arm_slowdown": base.paper_arm / exp.paper_arm,
        }
        if measured:
            t, t0 = median(times[key]), median(times[base_key])
            rec.update({"median_ms": t * 1e3, "min_ms": min(times[key]) * 1e3,
                        "spread": spread(times[key]),
                        "times_ms": [x * 1e3 for x in times[key]], "slowdown_here": t / t0})
        if device is not None:
            pr = preds[key]
            rec.update({"predicted_ms": pr["ms"],
                        "predicted_slowdown": pr["ms"] / preds[base_key]["ms"],
                        "predicted": pr})
            if measured:
                rec["predicted_error"] = pr["ms"] / rec["median_ms"] - 1
        records.append(rec)
        row = [exp.family, exp.label, f"{rec['lint_figure']:.3f}",
               ",".join(figures[key]["warnings"]) or "—"]
        if device is not None:
            row += [f"{rec['predicted_ms']:.2f}"]
        if measured:
            row += [f"{rec['median_ms']:.2f}", f"{rec['spread']:.2f}"]
        if device is not None:
            row += [f"{rec['predicted_slowdown']:.2f}"]
        if measured:
            row += [f"{rec['slowdown_here']:.2f}"]
        row += [f"{rec['paper_gpu_slowdown']:.2f}", f"{rec['paper_arm_slowdown']:.2f}"]
        rows.append(row)
    head = ["family", "experiment", "lint figure", "warnings"]
    if device is not None:
        head += ["predicted ms"]
    if measured:
        head += ["median ms", "IQR/median"]
    if device is not None:
        head += ["predicted slowdown"]
    if measured:
        head += ["slowdown here"]
    print_table(head + ["paper GPU", "paper ARM"], rows)
    correlations = {}
    print()
    for family in families:
        recs = [r for r in records if r["family"] == family]
        xs = [r["lint_figure"] for r in recs]
        gpu = [r["paper_gpu_slowdown"] for r in recs]
        arm = [r["paper_arm_slowdown"] for r in recs]
        corr: dict[str, Any] = {
            "figure": FIGURE[family][1],
            "lint_vs_paper_gpu": spearman(xs, gpu),
            "lint_vs_paper_arm": spearman(xs, arm),
        }
        if measured:
            here = [r["slowdown_here"] for r in recs]
            corr.update({"lint_vs_measured": spearman(xs, here),
                         "measured_vs_paper_gpu": spearman(here, gpu),
                         "measured_vs_paper_arm": spearman(here, arm)})
        if device is not None:
            pslow = [r["predicted_slowdown"] for r in recs]
            corr.update({"predicted_vs_paper_gpu": spearman(pslow, gpu),
                         "predicted_vs_paper_arm": spearman(pslow, arm)})
            if measured:
                corr.update({
                    "predicted_vs_measured_ms": spearman([r["predicted_ms"] for r in recs],
                                                         [r["median_ms"] for r in recs]),
                    "predicted_vs_measured_slowdown": spearman(pslow, here)})
        correlations[family] = corr
        shown = ", ".join(f"{k} {v:+.2f}" if isinstance(v, float) else f"{k} n/a"
                          for k, v in corr.items() if k != "figure")
        print(f"{family} Spearman ({corr['figure']}): {shown}")
    import torch

    path = write_result(args.out, {
        "torch": torch.__version__, "threads": threads, "clock": args.clock,
        "batch": 1,
        "repeats": args.repeats, "sample_ms": args.sample_ms, "rounds": rounds,
        "target": "default", "experiments": records,
        "device": None if device is None else {
            "name": device.name, "backend": device.backend, "threads": device.threads,
            "source": device.source},
        "measured": measured,
        "spearman": correlations,
    })
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
