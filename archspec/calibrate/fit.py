"""Fit a device profile's latency model from timings (numpy; calibration only).

The model (:mod:`archspec.latency.model`) has two layers, fitted in turn:

1. **Per kernel class**, on kernels timed in isolation: ``ms = Σ coef · features`` with
   non-negative coefficients, by non-negative least squares on *relative* error (each row divided
   by its measured time, so a 20 µs kernel counts as much as a 2 ms one), columns scaled to unit
   size.
2. **The network correction**, on timings *in context*: a kernel inside a network is not the
   kernel alone (its input comes from the previous kernel's cache lines, its weights are cold,
   it is dispatched through archspec's modules). Whole networks timed end to end, and where the
   backend allows, each top-level block timed inside its running network, are rows whose
   isolated predictions are summed per kernel class; the fit finds one scale, then a factor per
   class pulled towards 1 (a class few rows contain keeps the common scale), an overhead per
   kernel and a constant per network. Forty-odd unknowns against a thousand block rows: well
   posed, where refitting every coefficient on networks would not be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archspec.calibrate.samples import KernelTiming, NetworkTiming
from archspec.latency.kernels import FEATURES
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


def fit(kernels: Sequence[KernelTiming], networks: Sequence[NetworkTiming],
        blocks: Sequence[NetworkTiming] = (), *, ridge: float = 0.3) -> Fit:
    """Fit the per-class models on isolated kernels, then the network correction on whole
    networks and blocks timed in context (see the module's docstring)."""
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
                              "blocks": len(blocks), "classes": len(models)}
    if kernels:
        report["kernel_mape"] = float(sum((m.mape or 0.0) * m.samples for m in models.values())
                                      / len(kernels))
    correction = NetworkCorrection()
    if networks or blocks:
        correction, quality = fit_correction(models, networks, blocks, ridge=ridge)
        report.update(quality)
    return Fit(models, correction, report)


def fit_correction(models: Mapping[str, ClassModel], networks: Sequence[NetworkTiming],
                   blocks: Sequence[NetworkTiming] = (), *, ridge: float = 0.3
                   ) -> tuple[NetworkCorrection, dict[str, Any]]:
    """The network correction, from in-context timings: whole networks (``T ≈ Σ kernels +
    constant``) and, where the backend lets them be timed, top-level blocks inside running
    networks (``T ≈ Σ kernels``). A kernel in context takes ``scale · f_c · isolated +
    per_kernel_ms``: first one scale for every class, then a factor per class pulled towards 1
    with weight ``ridge`` (a class few rows contain keeps the common scale). Blocks give
    hundreds of in-context rows where networks give dozens; the two kinds weigh alike in
    total."""
    import numpy as np

    rows_in = [*networks, *blocks]
    classes = sorted({c for n in rows_in for c in n.totals if c in models})
    ci = {c: i for i, c in enumerate(classes)}
    n_c = len(classes)
    iso = np.zeros((len(rows_in), n_c))
    counts = np.array([n.kernels for n in rows_in], dtype=float)
    const = np.array([1.0] * len(networks) + [0.0] * len(blocks))
    ms = np.array([n.ms for n in rows_in], dtype=float)
    missing: set[str] = set()
    for r, row in enumerate(rows_in):
        for cls, feats in row.totals.items():
            model = models.get(cls)
            if model is None:
                missing.add(cls)
                continue
            iso[r, ci[cls]] += model.ms(tuple(float(v) for v in feats))
    weights = np.ones(len(rows_in))
    if networks and blocks:
        weights[len(networks):] = np.sqrt(len(networks) / len(blocks))
    # one scale for every class, with the overhead and the constant
    base = np.column_stack([iso.sum(axis=1), counts, const])
    scale, _, _ = _solve(base, ms, weights)
    scale = scale if scale > 0 else 1.0
    # a factor per class on top of it, each pulled towards 1
    a = np.column_stack([iso * scale, counts, const]) * (weights / ms)[:, None]
    strength = np.sqrt(ridge * float(np.sum(weights ** 2)) / max(n_c, 1))
    prior = np.zeros((n_c, n_c + 2))
    prior[np.arange(n_c), np.arange(n_c)] = strength
    theta = nnls(np.vstack([a, prior]), np.concatenate([weights, np.full(n_c, strength)]))
    factors = {c: float(theta[i]) for c, i in ci.items()}
    correction = NetworkCorrection(float(scale), float(theta[n_c]), float(theta[n_c + 1]),
                                   classes=factors)
    quality: dict[str, Any] = {}
    for label, sl in (("network", slice(0, len(networks))),
                      ("block", slice(len(networks), len(rows_in)))):
        if sl.stop == sl.start:
            continue
        pred = np.column_stack([iso[sl] * scale, counts[sl], const[sl]]) @ theta
        rel = np.abs(pred - ms[sl]) / ms[sl]
        quality[f"{label}_mape"] = float(rel.mean())
        quality[f"{label}_within_10pct"] = float((rel <= 0.10).mean())
        quality[f"{label}_within_5pct"] = float((rel <= 0.05).mean())
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
