"""Fit a device profile's latency model from timings (numpy; calibration only).

The model (:mod:`archspec.latency.model`) has two layers, fitted in turn:

1. **Per kernel class**, on kernels timed in isolation: ``ms = Σ coef · features`` with
   non-negative coefficients, by non-negative least squares on *relative* error (each row divided
   by its measured time, so a 20 µs kernel counts as much as a 2 ms one), columns scaled to unit
   size.
2. **The network correction**, on whole networks timed end to end: a kernel inside a network is
   not the kernel alone (its input comes from the previous kernel's cache lines, its weights are
   cold, it is dispatched through archspec's modules). Per network, the isolated predictions are
   summed per kernel *group* (pointwise convs, depthwise convs, element-wise passes, layout
   copies…); the end-to-end time is fitted as a scale times the sum, each group with its own
   factor pulled towards 1, plus an overhead per kernel and a constant. Ten or so unknowns
   against dozens of networks: well posed, where a per-class fit on networks would not be (no
   network tells thirty classes apart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archspec.calibrate.samples import KernelTiming, NetworkTiming
from archspec.latency.kernels import FEATURES, kernel_group
from archspec.latency.model import ClassModel, NetworkCorrection

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

N_FEATURES = len(FEATURES)


@dataclass(frozen=True)
class Fit:
    """The fitted model and how well it fits what it was fitted on."""

    classes: Mapping[str, ClassModel]
    network: NetworkCorrection
    report: Mapping[str, Any] = field(default_factory=dict)


def nnls(a: NDArray[np.float64], b: NDArray[np.float64], *, max_iter: int = 0,
         tol: float = 1e-10) -> NDArray[np.float64]:
    """Non-negative least squares, ``argmin ‖a x − b‖ subject to x ≥ 0`` (Lawson and Hanson's
    active-set method; numpy has none and scipy is not a dependency)."""
    import numpy as np

    m, n = a.shape
    max_iter = max_iter or 3 * n
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    w = a.T @ (b - a @ x)
    for _ in range(max_iter):
        if passive.all() or (w[~passive] <= tol).all():
            break
        j = int(np.argmax(np.where(passive, -np.inf, w)))
        passive[j] = True
        while True:
            s = np.zeros(n)
            s[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (s[passive] > 0).all():
                break
            neg = passive & (s <= 0)
            alpha = np.min(x[neg] / (x[neg] - s[neg]))
            x = x + alpha * (s - x)
            passive &= x > tol
            x[~passive] = 0.0
        x = s
        w = a.T @ (b - a @ x)
    return x


def fit(kernels: Sequence[KernelTiming], networks: Sequence[NetworkTiming], *,
        ridge: float = 0.3) -> Fit:
    """Fit the per-class models on isolated kernels, then the network correction on whole
    networks (see the module's docstring)."""
    import numpy as np

    by_class: dict[str, list[KernelTiming]] = {}
    for k in kernels:
        by_class.setdefault(k.cls, []).append(k)
    models: dict[str, ClassModel] = {}
    for cls, rows in sorted(by_class.items()):
        a = np.array([k.features for k in rows], dtype=float)
        ms = np.array([k.ms for k in rows], dtype=float)
        coef = _solve(a, ms, np.ones(len(rows)))
        rel = np.abs(a @ coef - ms) / ms
        models[cls] = ClassModel(tuple(float(v) for v in coef), len(rows), float(rel.mean()))

    report: dict[str, Any] = {"kernels": len(kernels), "networks": len(networks),
                              "classes": len(models)}
    if kernels:
        report["kernel_mape"] = float(np.mean([m.mape * m.samples for m in models.values()
                                               if m.mape is not None]) * len(models)
                                      / len(kernels))
    correction = NetworkCorrection()
    if networks:
        correction, quality = fit_correction(models, networks, ridge=ridge)
        report.update(quality)
    return Fit(models, correction, report)


def fit_correction(models: Mapping[str, ClassModel], networks: Sequence[NetworkTiming], *,
                   ridge: float = 0.3) -> tuple[NetworkCorrection, dict[str, Any]]:
    """The network correction: ``T ≈ scale · Σ_g f_g · S_g + per_kernel_ms · K + constant_ms``
    over networks, where ``S_g`` sums the isolated predictions of the network's kernels in group
    ``g``. First one scale for all groups; then the group factors, each pulled towards 1 with
    weight ``ridge`` (a group few networks contain keeps the common scale)."""
    import numpy as np

    groups = sorted({kernel_group(c) for n in networks for c in n.totals})
    gi = {g: i for i, g in enumerate(groups)}
    n_g = len(groups)
    sums = np.zeros((len(networks), n_g))
    counts = np.array([n.kernels for n in networks], dtype=float)
    ms = np.array([n.ms for n in networks], dtype=float)
    missing: set[str] = set()
    for r, net in enumerate(networks):
        for cls, feats in net.totals.items():
            model = models.get(cls)
            if model is None:
                missing.add(cls)
                continue
            sums[r, gi[kernel_group(cls)]] += model.ms(tuple(float(v) for v in feats))
    # one scale for every group, with the overhead and the constant
    base = np.column_stack([sums.sum(axis=1), counts, np.ones(len(networks))])
    scale, per_kernel, constant = _solve(base, ms, np.ones(len(networks)))
    scale = scale if scale > 0 else 1.0
    # group factors on top of it, each pulled towards 1
    rows = np.column_stack([sums * scale, counts, np.ones(len(networks))])
    weight = np.sqrt(ridge * len(networks) / max(n_g, 1))
    prior = np.zeros((n_g, n_g + 2))
    prior[np.arange(n_g), np.arange(n_g)] = weight
    a = np.vstack([rows / ms[:, None], prior])
    b = np.concatenate([np.ones(len(networks)), np.full(n_g, weight)])
    theta = nnls(a, b)
    factors = {g: float(theta[i]) for g, i in gi.items()}
    correction = NetworkCorrection(float(scale), float(theta[n_g]), float(theta[n_g + 1]),
                                   factors)
    pred = rows @ theta
    rel = np.abs(pred - ms) / ms
    quality: dict[str, Any] = {"network_mape": float(rel.mean()),
                               "network_within_10pct": float((rel <= 0.10).mean()),
                               "network_within_5pct": float((rel <= 0.05).mean())}
    if missing:
        quality["classes_without_kernels"] = sorted(missing)
    return correction, quality


def _solve(rows: NDArray[np.float64], ms: NDArray[np.float64],
           weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """NNLS on relative error: each row divided by its measured ms, times its weight; columns
    scaled to unit norm so 1e8 MACs and one call are on one footing."""
    import numpy as np

    w = weights / ms
    a = rows * w[:, None]
    b = ms * w
    norms = np.linalg.norm(a, axis=0)
    used = norms > 0
    x = np.zeros(rows.shape[1])
    x[used] = nnls(a[:, used] / norms[used], b) / norms[used]
    return x
