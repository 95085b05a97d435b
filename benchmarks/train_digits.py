"""Agreement figures on a trained network: a narrow MobileNetV2 (specs/mobilenet_v2.yaml, x0_5,
10 classes, 16×16 input) trained for a few minutes on scikit-learn's digits (1,797 8×8 images
shipped inside the package; nothing downloaded), then exported to fp32 ONNX and converted to
dynamic int8, static int8 (QDQ, calibrated on training images) and fp16.

The digits go through the same path as `archspec build --calibration DIR`: each is written as a
PNG, read back by archspec.nn.calibration_images (RGB, shorter side resized to 16, centre crop,
ImageNet mean/std). Prints accuracy on the held-out 20 %, top-1 agreement with fp32, cosine,
max relative error and size on disk; writes results/train_digits.json.

    python benchmarks/train_digits.py [--epochs 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import print_table, write_result

ROOT = Path(__file__).resolve().parent.parent
SIZE = 16  # digits are 8×8; 16×16 keeps MobileNetV2 (stride 32) at a 1×1 last map


def digits_as_images(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as PNG files in ``folder``, read back as archspec would: (N×3×32×32
    inputs, labels)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    from archspec.nn.calibration_images import load_images

    digits = load_digits()
    for i, image in enumerate(digits.images):
        pixels = (image * (255 / 16)).round().astype(np.uint8)
        Image.fromarray(pixels, mode="L").save(folder / f"{i:04d}.png")
    inputs = load_images(folder, (3, SIZE, SIZE))
    return inputs.data, np.asarray(digits.target)


def train(data: np.ndarray, labels: np.ndarray, epochs: int):  # noqa: ANN201
    import torch

    from archspec.nn.build import build_module
    from archspec.pipeline import run
    from archspec.spec.document import load

    net, _ = run(load(str(ROOT / "specs/mobilenet_v2.yaml")), ["x0_5"], num_classes=10,
                 input_size=(SIZE, SIZE)).variants[0].require()
    torch.manual_seed(0)
    model = build_module(net)
    x, y = torch.from_numpy(data), torch.from_numpy(labels).long()
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((len(x) + 63) // 64)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)
    return model.eval(), net


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    from archspec.nn.calibration_images import Inputs
    from archspec.nn.export import export
    from archspec.nn.quantize import quantize, run_each

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        images = Path(tmp) / "digits"
        images.mkdir()
        data, labels = digits_as_images(images)
        order = np.random.default_rng(0).permutation(len(data))
        cut = int(0.8 * len(data))
        train_idx, test_idx = order[:cut], order[cut:]
        start = time.perf_counter()
        model, net = train(data[train_idx], labels[train_idx], args.epochs)
        train_s = time.perf_counter() - start
        fp32 = Path(tmp) / "fp32.onnx"
        export(model, torch.zeros(1, 3, SIZE, SIZE), fp32)
        held_out = Inputs(data[test_idx], True, f"{len(test_idx)} held-out digits")
        calibration = Inputs(data[train_idx[:256]], True, "256 training digits")
        y = labels[test_idx]
        fp32_logits = np.concatenate(run_each(fp32, held_out.data))
        rows = [{"form": "fp32", "accuracy": float(np.mean(fp32_logits.argmax(1) == y)),
                 "bytes": fp32.stat().st_size, "top1_agreement": 1.0, "cosine": 1.0,
                 "max_rel_error": 0.0, "converted": {}}]
        for mode in ("dynamic", "int8", "fp16"):
            out = Path(tmp) / f"{mode}.onnx"
            report = quantize(fp32, out, mode, inputs=held_out, calibration=calibration)
            logits = np.concatenate(run_each(out, held_out.data))
            a = report.agreement
            rows.append({"form": mode, "accuracy": float(np.mean(logits.argmax(1) == y)),
                         "bytes": report.bytes, "top1_agreement": a.top1_agreement,
                         "cosine": a.cosine, "max_rel_error": a.max_rel_error,
                         "converted": report.converted})
    print(f"\n{net.label} at {SIZE}×{SIZE}, 10 classes, trained {args.epochs} epochs in "
          f"{train_s:.0f} s on {args.threads} threads; {len(train_idx)} training / "
          f"{len(test_idx)} held-out digits; int8 calibrated on 256 training digits\n")
    print_table(["form", "held-out accuracy", "top-1 agreement", "cosine", "max rel error",
                 "size (KiB)", "converted"],
                [[r["form"], f"{r['accuracy']:.2%}", f"{r['top1_agreement']:.2%}",
                  f"{r['cosine']:.6f}", f"{r['max_rel_error']:.3g}", f"{r['bytes'] / 1024:.0f}",
                  ", ".join(f"{n} {k}" for k, n in r["converted"].items()) or "-"]
                 for r in rows])
    path = write_result("train_digits", {"network": net.label, "size": SIZE,
                                         "epochs": args.epochs, "train_seconds": train_s,
                                         "train": len(train_idx), "held_out": len(test_idx),
                                         "rows": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
