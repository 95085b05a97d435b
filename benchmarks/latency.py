"""CPU latency of every shipped reference network built by archspec against its reference.

References: torchvision 0.29 (MobileNetV2/V3, ShuffleNet V2) and, for EMO, the independent
reimplementation in tests/reference/emo_reference.py (bit-identical to the official code's
outputs). Each pair runs interleaved in one process, eval mode under torch.inference_mode, at
224×224, batch 1 and 16; the table gives median latencies and the median of per-round ratios.

    python benchmarks/latency.py [--repeats 15] [--threads 2] [--only emo_1m,x1_0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402
import torchvision  # noqa: E402
from _common import interleaved, median, print_table, write_result  # noqa: E402

import archspec  # noqa: E402


def references() -> list[tuple[str, str, str, object]]:
    from reference.emo_reference import emo_reference

    tv = torchvision.models
    nets = [("emo", v, v, lambda v=v: emo_reference(v))
            for v in ("emo_1m", "emo_2m", "emo_5m", "emo_6m")]
    nets += [("mobilenet_v2", v, f"mobilenet_v2 {v}", lambda m=m: tv.mobilenet_v2(width_mult=m))
             for v, m in (("x1_0", 1.0), ("x0_5", 0.5), ("x0_75", 0.75), ("x1_4", 1.4))]
    nets += [("mobilenet_v3", "large", "mobilenet_v3_large", tv.mobilenet_v3_large),
             ("mobilenet_v3", "small", "mobilenet_v3_small", tv.mobilenet_v3_small)]
    nets += [("shufflenet_v2", v, f"shufflenet_v2_{v}", getattr(tv, f"shufflenet_v2_{v}"))
             for v in ("x0_5", "x1_0", "x1_5", "x2_0")]
    return nets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--only", default="", help="comma-separated labels or variants")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    only = {s for s in args.only.split(",") if s}
    rows, results = [], []
    for spec, variant, label, make in references():
        if only and label not in only and variant not in only:
            continue
        reference = make().eval()
        model = archspec.build(ROOT / "specs" / f"{spec}.yaml", variant=variant).eval()
        archspec.transfer_weights(reference.state_dict(), model)
        for batch in (int(b) for b in args.batches.split(",")):
            x = torch.randn(batch, 3, 224, 224)
            with torch.inference_mode():
                runs = {"archspec": lambda m=model, x=x: m(x),
                        "reference": lambda r=reference, x=x: r(x)}
                repeats = args.repeats if batch == 1 else max(5, args.repeats // 2)
                times = interleaved(runs, repeats, warmup=2)
            ratios = [a / r for a, r in zip(times["archspec"], times["reference"], strict=True)]
            ratio = statistics.median(ratios)
            rows.append((label, batch, f"{median(times['archspec']) * 1e3:.2f}",
                         f"{median(times['reference']) * 1e3:.2f}", f"{ratio:.3f}",
                         "ok" if ratio <= 1.05 else "SLOWER"))
            results.append({"network": label, "spec": spec, "variant": variant, "batch": batch,
                            "archspec_ms": median(times["archspec"]) * 1e3,
                            "reference_ms": median(times["reference"]) * 1e3,
                            "median_ratio": ratio, "repeats": repeats})
            print(*rows[-1], sep=" | ", flush=True)
    print()
    print_table(["network", "batch", "archspec ms", "reference ms", "ratio", "≤ 1.05"], rows)
    path = write_result("latency", {"threads": args.threads, "torch": torch.__version__,
                                    "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
