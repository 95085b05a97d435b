"""What calibration measures, as plain records: the input of the fit and of ``--from``.

A :class:`KernelTiming` is one kernel timed by itself; a :class:`NetworkTiming` one whole network
timed end to end, kept as its per-class feature sums (what its predicted time is linear in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KernelTiming:
    """One kernel timed in isolation: its class, features, median ms and IQR/median."""

    cls: str
    features: tuple[float, ...]
    ms: float
    iqr: float


@dataclass(frozen=True)
class NetworkTiming:
    """One network timed end to end: per class the sum of its kernels' features, the number of
    kernels, median ms and IQR/median."""

    name: str
    totals: Mapping[str, Sequence[float]]
    kernels: int
    ms: float
    iqr: float
