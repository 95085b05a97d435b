"""Every shipped network, every variant: ONNX export with a dynamic batch (verified in
onnxruntime at batch 1 and 4), then dynamic and static int8 quantisation calibrated on
generated inputs, with the figures `archspec build --quantize` prints.

RANDOM WEIGHTS: the networks are built from their specs with archspec's initialisation, not
trained, and calibrated and compared on seeded noise; the figures show that each conversion
runs and how far the outputs move, not the accuracy a trained network keeps (see
benchmarks/train_digits.py for that).

    python benchmarks/deploy_agreement.py [--deploy] [--count 8] [--shard 0/2] [--only NAME...]

``--deploy`` converts the deploy form (``archspec.to_deploy``: BNs folded, branches fused) with
randomised BatchNorm statistics, instead of the training form. Each finished variant is appended
to results/deploy_agreement[_deploy].jsonl (a rerun skips it); ``--table`` writes
results/deploy_agreement[_deploy].{json,md} from it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from _common import RESULTS, write_result

ROOT = Path(__file__).resolve().parent.parent


def variants() -> list[tuple[str, str | None]]:
    """(spec file, variant) for every variant of specs/*.yaml and specs/experiments/*.yaml."""
    from archspec.spec.document import load

    out: list[tuple[str, str | None]] = []
    for file in sorted([*ROOT.glob("specs/*.yaml"), *ROOT.glob("specs/experiments/*.yaml")]):
        names = list(load(str(file)).variants) or [None]
        out += [(str(file.relative_to(ROOT)), v) for v in names]
    return out


def _macs(item: tuple[str, str | None]) -> int:
    import archspec

    return int(archspec.analyze(str(ROOT / item[0]), variant=item[1]).total.macs)


def randomise_bn(model: object) -> None:
    """Non-trivial BatchNorm statistics, so that folding them changes the weights."""
    import torch

    g = torch.Generator().manual_seed(0)
    for m in model.modules():  # type: ignore[attr-defined]
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def measure(spec: str, variant: str | None, count: int, *, deploy: bool = False
            ) -> dict[str, object]:
    import torch

    from archspec.nn.build import build_module
    from archspec.nn.calibration_images import generated_inputs
    from archspec.nn.export import export
    from archspec.nn.quantize import quantize
    from archspec.pipeline import run
    from archspec.spec.document import load

    net, _ = run(load(str(ROOT / spec)), [variant]).variants[0].require()
    torch.manual_seed(0)
    model = build_module(net).eval()
    if deploy:
        import archspec

        randomise_bn(model)
        model = archspec.to_deploy(model)
    shape = net.input_shape
    row: dict[str, object] = {"spec": spec, "variant": variant or "-", "label": net.label,
                              "input": list(shape), "form": "deploy" if deploy else "train"}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        start = time.perf_counter()
        export(model, torch.zeros(1, *shape), fp32)  # verified at batch 1 and 4
        row["export_s"] = round(time.perf_counter() - start, 1)
        row["fp32_bytes"] = fp32.stat().st_size
        inputs = generated_inputs(count, shape)
        for mode in ("dynamic", "int8"):
            start = time.perf_counter()
            r = quantize(fp32, Path(tmp) / f"{mode}.onnx", mode, inputs=inputs)
            row[mode] = {"bytes": r.bytes, "converted": r.converted,
                         "nodes": [sum(r.nodes_before.values()), sum(r.nodes_after.values())],
                         "cosine": r.agreement.cosine, "max_rel_error": r.agreement.max_rel_error,
                         "seconds": round(time.perf_counter() - start, 1)}
    return row


def table(rows: list[dict]) -> str:
    head = ("| spec | variant | input | export s | fp32 MiB | dynamic MiB | dynamic cosine | "
            "dynamic max rel | int8 MiB | int8 quantised | int8 cosine | int8 max rel |\n"
            "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n")
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['spec']} | {r['variant']} | | FAILED: {r['error']} |"
                         + " |" * 8)
            continue
        d, q = r["dynamic"], r["int8"]
        mib = lambda n: f"{n / 2**20:.2f}"  # noqa: E731
        lines.append(
            f"| {Path(r['spec']).name} | {r['variant']} | {'×'.join(map(str, r['input']))} | "
            f"{r['export_s']} | {mib(r['fp32_bytes'])} | {mib(d['bytes'])} | {d['cosine']:.4f} | "
            f"{d['max_rel_error']:.3g} | {mib(q['bytes'])} | "
            f"{', '.join(f'{n} {op}' for op, n in q['converted'].items())} | {q['cosine']:.4f} | "
            f"{q['max_rel_error']:.3g} |")
    return head + "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=8, help="generated inputs (default 8)")
    parser.add_argument("--shard", default="0/1", help="I/N: run every N-th variant from I")
    parser.add_argument("--only", nargs="*", help="spec file names or variants to run")
    parser.add_argument("--table", action="store_true", help="only write the table")
    parser.add_argument("--deploy", action="store_true", help="the deploy form (to_deploy)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "deploy_agreement_deploy" if args.deploy else "deploy_agreement"
    journal = RESULTS / f"{name}.jsonl"
    done = {}
    if journal.exists():
        for line in journal.read_text().splitlines():
            rec = json.loads(line)
            done[(rec["spec"], rec["variant"])] = rec
    if not args.table:
        i, n = map(int, args.shard.split("/"))
        todo = sorted(variants(), key=_macs)[i::n]  # smallest first: a cut run covers most
        for spec, variant in todo:
            key = (spec, variant or "-")
            if key in done or (args.only and Path(spec).name not in args.only
                               and variant not in args.only):
                continue
            start = time.perf_counter()
            try:
                rec = measure(spec, variant, args.count, deploy=args.deploy)
            except Exception as exc:
                traceback.print_exc()
                rec = {"spec": spec, "variant": variant or "-",
                       "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
            rec["total_s"] = round(time.perf_counter() - start, 1)
            print(json.dumps(rec), flush=True)
            with journal.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            done[key] = rec
    order = {k: i for i, k in enumerate((s, v or "-") for s, v in variants())}
    rows = sorted(done.values(), key=lambda r: order.get((r["spec"], r["variant"]), 1e9))
    (RESULTS / f"{name}.md").write_text(table(rows))
    write_result(name, {"weights": "random (not trained)", "count": args.count,
                        "form": "deploy" if args.deploy else "train", "rows": rows})
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
