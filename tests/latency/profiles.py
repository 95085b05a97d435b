"""Synthetic device profiles for tests, written by hand as the file format says
(docs/device-profile.md), never through the code under test; and a tiny spec whose kernels are
counted by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FEATURES = ["calls", "macs", "in_elems", "out_elems", "weight_elems"]

#: 8×8×3 input; a 3→4 3×3 stride-2 conv (BN, ReLU) to 4×4; global average pool; dropout; linear
#: to 10. Its kernels, one per op on eager torch, with their features worked out by hand:
#:   stem[0]: conv.k3.s2 (MACs 4·4·4·3·9 = 1728, reads 3·8·8 = 192, writes 4·4·4 = 64,
#:            weights 4·3·9 = 108), norm.bn (64 → 64, 8 weights), act.relu (64 → 64)
#:   head[0]: pool.avg.global (64 → 4)
#:   head[1]: dropout, which runs nothing in eval mode
#:   head[2]: view (the flatten, 4 → 4), linear (MACs 40, 4 → 10, weights 4·10 + 10 = 50)
TINY = """\
archspec: 1
name: tiny
input: {channels: 3, size: 8}
stem:
  - {block: conv, out: 4, k: 3, stride: 2, norm: bn, act: relu}
stages: []
head:
  - {block: pool, kind: avg, global: true}
  - {block: dropout, p: 0.2}
  - {block: linear, out: 10}
"""
TINY_KERNELS = {  # class: (calls, macs, in_elems, out_elems, weight_elems), block
    "conv.k3.s2": ((1, 1728, 192, 64, 108), "stem[0]"),
    "norm.bn": ((1, 0, 64, 64, 8), "stem[0]"),
    "act.relu": ((1, 0, 64, 64, 0), "stem[0]"),
    "pool.avg.global": ((1, 0, 64, 4, 0), "head[0]"),
    "view": ((1, 0, 4, 4, 0), "head[2]"),
    "linear": ((1, 40, 4, 10, 50), "head[2]"),
}


def profile_data(classes: dict[str, list[float]], **fields: Any) -> dict[str, Any]:
    """A valid profile file's data: ``classes`` maps a class to its five coefficients;
    ``fields`` replace or add top-level fields."""
    data: dict[str, Any] = {
        "format": "archspec-device-profile",
        "version": 1,
        "name": "test-cpu",
        "backend": "torch",
        "threads": 1,
        "dtype": "fp32",
        "calibrated": "2026-11-30T09:00:00+00:00",
        "machine": {"cpu": "test"},
        "versions": {"torch": "0.0"},
        "noise": {"median_iqr": 0.01, "p90_iqr": 0.03, "trusted": True, "limit": 0.1},
        "features": FEATURES,
        "classes": {cls: {"coef": coef, "samples": 10, "mape": 0.05}
                    for cls, coef in classes.items()},
        "network": {"scale": 1.0, "per_kernel_ms": 0.0, "constant_ms": 0.0},
        "fusion": [],
        "details": {},
    }
    data.update(fields)
    return data


def write_profile(path: Path, classes: dict[str, list[float]], **fields: Any) -> Path:
    path.write_text(json.dumps(profile_data(classes, **fields), indent=2), encoding="utf-8")
    return path


def calls_only(ms: float, classes: Any = TINY_KERNELS) -> dict[str, list[float]]:
    """Every class of ``classes`` costs ``ms`` per call and nothing else."""
    return {cls: [ms, 0.0, 0.0, 0.0, 0.0] for cls in classes}
