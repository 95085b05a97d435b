"""Latency before and after deployment: eager (training form in eval mode), the deploy form,
the deploy form in channels-last, ONNX Runtime fp32 and ONNX Runtime int8 (static, QDQ), for
EMO-1M, MobileNetV2, MobileNetV3-L and ShuffleNetV2 ×1.0, at 1 and 2 threads.

Everything for one network and thread count is timed in one interleaved run (calibration's
harness: shuffled order per round, one settling call per visit, ``repeats`` calls per visit).
A form's figure is the median over rounds of its visit means; its ratio is the median over
rounds of (form's visit mean / eager's visit mean in the same round), so a drift of the shared
machine hits both sides of each ratio alike. Batch 1, 224×224, random weights with BatchNorm
statistics randomised (a fold of identity statistics would be a trivial fold).

    python benchmarks/deploy.py [--rounds 15] [--repeats 5] [--threads 1,2] [--only emo_1m]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import print_table, write_result  # noqa: E402

import archspec  # noqa: E402
from archspec.calibrate.harness import Bench, interleaved, visit_means  # noqa: E402

NETWORKS = (("emo", "emo_1m"), ("mobilenet_v2", "x1_0"), ("mobilenet_v3", "large"),
            ("shufflenet_v2", "x1_0"))
FORMS = ("eager", "deploy", "deploy_cl", "ort_fp32", "ort_int8")
#: "not slower than eager beyond noise" (issue 13): the median per-round ratio
NOISE = 1.02


def randomise_bn(model: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial BatchNorm statistics and affine parameters, so folding changes weights."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)  # type: ignore[union-attr]
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)  # type: ignore[union-attr]
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def ort_runner(path: Path, x: np.ndarray, threads: int) -> Callable[[], object]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    return lambda: session.run(None, feed)


def forms(model: torch.nn.Module, x: torch.Tensor, threads: int,
          workdir: Path) -> dict[str, Callable[[], object]]:
    from archspec.nn.calibration_images import generated_inputs
    from archspec.nn.export import export
    from archspec.nn.quantize import quantize

    deploy = archspec.to_deploy(model)
    deploy_cl = archspec.to_deploy(model, channels_last=True)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    fp32 = export(deploy, x, workdir / "fp32.onnx")
    int8 = workdir / "int8.onnx"
    # the latency of int8 does not depend on what it was calibrated on: generated inputs do
    quantize(fp32, int8, "int8", inputs=generated_inputs(16, tuple(x.shape[1:])))
    x_np = x.numpy()

    def eager_call(m: torch.nn.Module, inp: torch.Tensor) -> Callable[[], object]:
        def call() -> object:
            with torch.inference_mode():
                return m(inp)
        return call

    return {"eager": eager_call(model, x), "deploy": eager_call(deploy, x),
            "deploy_cl": eager_call(deploy_cl, x_cl),
            "ort_fp32": ort_runner(fp32, x_np, threads), "ort_int8": ort_runner(int8, x_np, threads)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--only", default="", help="comma-separated specs, variants or spec:variant")
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}
    rows, results = [], []
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, variant in NETWORKS:
            if only and not only & {variant, spec, f"{spec}:{variant}"}:
                continue
            model = archspec.build(ROOT / "specs" / f"{spec}.yaml", variant=variant).eval()
            randomise_bn(model)
            x = torch.randn(1, 3, 224, 224)
            for threads in (int(t) for t in args.threads.split(",")):
                torch.set_num_threads(threads)
                workdir = Path(tmp) / f"{spec}-{variant}-{threads}"
                workdir.mkdir()
                runs = forms(model, x, threads, workdir)
                samples = interleaved([Bench(runs[f]) for f in FORMS], repeats=args.repeats,
                                      rounds=args.rounds, warmup=3)
                visits = {f: visit_means(s, args.repeats) for f, s in zip(FORMS, samples,
                                                                            strict=True)}
                ms = {f: statistics.median(v) for f, v in visits.items()}
                ratio = {f: statistics.median(a / e for a, e in zip(visits[f], visits["eager"],
                                                                      strict=True))
                         for f in FORMS}
                label = f"{spec} {variant}"
                rows.append((label, threads, *(f"{ms[f]:.2f} ({ratio[f]:.2f}×)" for f in FORMS),
                             "ok" if ratio["deploy"] <= NOISE else "SLOWER"))
                results.append({"spec": spec, "variant": variant, "threads": threads,
                                "median_ms": ms, "median_ratio_to_eager": ratio,
                                "rounds": args.rounds, "repeats": args.repeats})
                print(*rows[-1], sep=" | ", flush=True)
    print()
    print_table(["network", "threads", *(f"{f} ms (÷ eager)" for f in FORMS),
                 f"deploy ≤ {NOISE}"], rows)
    path = write_result("deploy", {"torch": torch.__version__, "batch": 1, "size": 224,
                                   "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
