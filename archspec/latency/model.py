"""A device profile in memory: the fitted latency model of one backend on one machine.

What is on disk (JSON) and how it is validated is :mod:`archspec.latency.profile`; this module is
the record prediction reads, plain frozen dataclasses so evaluating it costs nothing but
arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archspec.latency.kernels import FEATURES, FusionRule, kernel_group

PROFILE_FORMAT = "archspec-device-profile"
PROFILE_VERSION = 1


@dataclass(frozen=True)
class ClassModel:
    """``ms = Σ coef[i] · feature[i]`` over :data:`~archspec.latency.kernels.FEATURES`
    (coefficients are non-negative: more work never predicts less time). ``samples`` and
    ``mape`` say how well the class was covered and fitted at calibration."""

    coef: tuple[float, ...]
    samples: int = 0
    mape: float | None = None

    def ms(self, feats: tuple[float, ...]) -> float:
        c = self.coef
        return c[0] * feats[0] + c[1] * feats[1] + c[2] * feats[2] + c[3] * feats[3] + \
            c[4] * feats[4]


@dataclass(frozen=True)
class NetworkCorrection:
    """What isolated kernels summed miss, fitted on whole networks timed end to end: a kernel in
    a network takes ``factor(cls) · (its isolated prediction) + per_kernel_ms``, and the network
    ``Σ kernels + constant_ms``. ``factor`` is ``scale`` times the kernel class's own factor
    (``classes``) or else its group's (``groups``, by
    :func:`~archspec.latency.kernels.kernel_group`; 1 for one not listed)."""

    scale: float = 1.0
    per_kernel_ms: float = 0.0
    constant_ms: float = 0.0
    groups: Mapping[str, float] = field(default_factory=dict)
    #: a factor per kernel class (fitted where in-context timings tell classes apart); a class
    #: listed here takes its own factor instead of its group's
    classes: Mapping[str, float] = field(default_factory=dict)

    def factor(self, cls: str) -> float:
        own = self.classes.get(cls)
        if own is not None:
            return self.scale * own
        return self.scale * self.groups.get(kernel_group(cls), 1.0)

    def kernel_ms(self, cls: str, isolated_ms: float) -> float:
        """A kernel's time inside a network, from its isolated prediction."""
        return isolated_ms * self.factor(cls) + self.per_kernel_ms


@dataclass(frozen=True)
class Noise:
    """The calibration's own repeatability: IQR/median of repeated timings, median and 90th
    percentile over everything timed; ``trusted`` is False when too noisy to predict from."""

    median_iqr: float
    p90_iqr: float
    trusted: bool
    limit: float = 0.10


@dataclass(frozen=True)
class DeviceProfile:
    """One backend on one machine at a fixed thread count: how it was calibrated and the model."""

    name: str
    backend: str  # "torch" | "onnxruntime" (| "cuda" …)
    threads: int
    machine: Mapping[str, Any]
    versions: Mapping[str, str]
    calibrated: str  # ISO 8601 date-time
    noise: Noise
    classes: Mapping[str, ClassModel]
    network: NetworkCorrection = NetworkCorrection()
    fusion: tuple[FusionRule, ...] = ()
    dtype: str = "fp32"
    #: everything else the calibration recorded (seconds taken, kernels timed, settings, fit
    #: quality); shown, never read by prediction
    details: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<memory>"

    def __post_init__(self) -> None:
        for name, model in self.classes.items():
            if len(model.coef) != len(FEATURES):
                raise ValueError(f"class {name}: {len(model.coef)} coefficients, "
                                 f"expected {len(FEATURES)} ({', '.join(FEATURES)})")
