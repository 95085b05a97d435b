"""Fit a device profile's latency model from timings (numpy; calibration only).

The model (:mod:`archspec.latency.model`): per kernel class, ``ms = Σ coef · features`` with
non-negative coefficients, and a network correction ``total = scale · Σ kernels + per_kernel_ms ·
kernels + constant_ms``. Two kinds of evidence fit it:

- kernels timed in isolation: one row each, ``features → ms``;
- whole networks timed end to end: one row each. A network's prediction is linear in the same
  coefficients (its kernels' features summed per class), so a network row constrains every class
  it contains, *in context*: caches shared with neighbours, weights cold, dispatch through
  archspec's modules — what isolated kernels summed miss.

Both are fitted together by non-negative least squares on *relative* error (each row divided by
its measured time, so a 20 µs kernel counts as much as a 2 ms one), columns scaled to unit size.
The scale is fitted on networks first and refined in two passes; the per-kernel overhead and the
constant are unknowns of the joint fit. Network rows weigh as much, together, as the kernel rows
of the classes they contain (``network_weight``): the end-to-end truth is what predictions are
judged by, the kernel rows keep each class's shape where networks cannot tell classes apart.
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


def fit(kernels: Sequence[KernelTiming], networks: Sequence[NetworkTiming], *,
        network_weight: float = 1.0, passes: int = 3) -> Fit:
    """Fit the per-class models and the network correction (see the module's docstring)."""
    import numpy as np

    classes = sorted({k.cls for k in kernels} | {c for n in networks for c in n.totals})
    index = {c: i for i, c in enumerate(classes)}
    n_coef = len(classes) * N_FEATURES
    # unknowns: the class coefficients, then per_kernel_ms, constant_ms (network rows only)
    n_unknown = n_coef + 2

    k_rows = np.zeros((len(kernels), n_unknown))
    k_ms = np.array([k.ms for k in kernels], dtype=float)
    for r, k in enumerate(kernels):
        base = index[k.cls] * N_FEATURES
        k_rows[r, base:base + N_FEATURES] = k.features
    n_feats = np.zeros((len(networks), n_unknown))
    n_ms = np.array([n.ms for n in networks], dtype=float)
    for r, net in enumerate(networks):
        for cls, sums in net.totals.items():
            base = index[cls] * N_FEATURES
            n_feats[r, base:base + N_FEATURES] += np.asarray(sums, dtype=float)
        n_feats[r, n_coef] = net.kernels
        n_feats[r, n_coef + 1] = 1.0

    # Kernel-only fit first: the shape of each class where nothing else constrains it.
    coef = _solve(k_rows[:, :n_coef], k_ms, np.ones(len(kernels)))
    scale = 1.0
    theta = np.concatenate([coef, [0.0, 0.0]])
    if len(networks):
        share = _network_share(k_rows, len(networks), network_weight)
        for _ in range(passes):
            kernel_sum = n_feats[:, :n_coef] @ theta[:n_coef]
            scale = _scale(kernel_sum, n_ms)
            net_rows = n_feats.copy()
            net_rows[:, :n_coef] *= scale
            rows = np.vstack([k_rows, net_rows])
            ms = np.concatenate([k_ms, n_ms])
            weights = np.concatenate([np.ones(len(kernels)), np.full(len(networks), share)])
            theta = _solve(rows, ms, weights)

    models = {}
    for c, i in index.items():
        sl = slice(i * N_FEATURES, (i + 1) * N_FEATURES)
        mine = k_rows[:, sl].any(axis=1) if len(kernels) else np.zeros(0, dtype=bool)
        mape = None
        if mine.any():
            pred = k_rows[mine][:, sl] @ theta[sl]
            mape = float(np.mean(np.abs(pred - k_ms[mine]) / k_ms[mine]))
        models[c] = ClassModel(tuple(float(v) for v in theta[sl]), int(mine.sum()), mape)
    correction = NetworkCorrection(float(scale), float(theta[n_coef]), float(theta[n_coef + 1]))
    report: dict[str, Any] = {"kernels": len(kernels), "networks": len(networks),
                              "classes": len(classes)}
    if len(networks):
        pred = scale * (n_feats[:, :n_coef] @ theta[:n_coef]) + n_feats[:, n_coef:] @ theta[n_coef:]
        rel = np.abs(pred - n_ms) / n_ms
        report["network_mape"] = float(rel.mean())
        report["network_within_10pct"] = float((rel <= 0.10).mean())
    if len(kernels):
        pred = k_rows[:, :n_coef] @ theta[:n_coef]
        report["kernel_mape"] = float(np.mean(np.abs(pred - k_ms) / k_ms))
    return Fit(models, correction, report)


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


def _scale(kernel_sum: NDArray[np.float64], ms: NDArray[np.float64]) -> float:
    """The network scale: the ratio of measured to summed kernels, median over networks (a ratio
    fitted this way is robust to the one network the kernel model gets badly wrong)."""
    import numpy as np

    ok = kernel_sum > 0
    if not ok.any():
        return 1.0
    return float(np.clip(np.median(ms[ok] / kernel_sum[ok]), 0.25, 4.0))


def _network_share(k_rows: NDArray[np.float64], n_networks: int, weight: float) -> float:
    """The weight of one network row: all network rows together weigh ``weight`` times the
    kernel rows (at least as much as one kernel row each)."""
    if n_networks == 0:
        return 0.0
    return float(max(1.0, weight * len(k_rows) / n_networks) ** 0.5)
