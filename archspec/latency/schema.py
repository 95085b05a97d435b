"""The schema of a device-profile file (docs/device-profile.md), as pydantic models.

Strict types, unknown keys refused, coefficients finite and non-negative, ``features`` equal to
:data:`~archspec.latency.kernels.FEATURES`. :mod:`archspec.latency.profile` validates with it and
translates its errors; it is imported only when a profile is read, so a command given no device
never builds these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from archspec.diagnostics import did_you_mean, show_value
from archspec.latency.kernels import FEATURES, GROUPS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ClassFile(_Strict):
    """One kernel class's model: ``ms = Σ coef[i] · feature[i]``."""

    coef: list[NonNegative] = Field(
        min_length=len(FEATURES), max_length=len(FEATURES),
        description="one non-negative coefficient per feature, in the order of `features` "
                    "(ms per call, per MAC, per element read, per element written, per weight)")
    samples: int = Field(default=0, ge=0, description="kernels of this class timed at calibration")
    mape: NonNegative | None = Field(
        default=None, description="the fit's mean absolute percentage error on those kernels (0.05 = 5 %)")


class NoiseFile(_Strict):
    """The calibration's repeatability (IQR/median of repeated timings)."""

    median_iqr: NonNegative
    p90_iqr: NonNegative
    trusted: bool
    limit: float = Field(default=0.10, gt=0, allow_inf_nan=False)


Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class NetworkFile(_Strict):
    """A kernel in a network takes ``scale · factor · isolated + per_kernel_ms``, its factor
    ``classes[its class]`` when listed, else ``groups[its group]``, else 1; the network
    ``Σ kernels + constant_ms`` (:class:`~archspec.latency.model.NetworkCorrection`)."""

    scale: Positive = 1.0
    per_kernel_ms: NonNegative = 0.0
    constant_ms: NonNegative = 0.0
    groups: dict[str, Positive] = Field(default_factory=dict)
    classes: dict[str, NonNegative] = Field(default_factory=dict)

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: dict[str, float]) -> dict[str, float]:
        known = [group for group, _ in GROUPS] + ["other"]
        for name in value:
            if name not in known:
                near = did_you_mean(name, known)
                raise ValueError(f"unknown kernel group {show_value(name)}" +
                                 (f" (did you mean {near!r}?)" if near else "") +
                                 f"; the groups are {', '.join(known)}")
        return value


class FusionFile(_Strict):
    """Ops the backend runs as one kernel (:class:`~archspec.latency.kernels.FusionRule`): a head
    of class ``into`` (or a class under it) and the ``absorbs`` chain after it; with
    ``as_class``, the whole chain is one kernel of that class."""

    into: str = Field(min_length=1)
    absorbs: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    as_class: str | None = Field(default=None, min_length=1)


class ProfileFile(_Strict):
    """The whole file (docs/device-profile.md)."""

    format: Literal["archspec-device-profile"]
    version: Literal[1]
    name: str = Field(min_length=1, max_length=200)
    backend: str = Field(min_length=1, max_length=64)
    threads: int = Field(ge=1, le=4096)
    dtype: Literal["fp32", "fp16", "bf16", "int8"] = "fp32"
    calibrated: str
    machine: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    noise: NoiseFile
    features: list[str]
    classes: dict[str, ClassFile]
    network: NetworkFile = Field(default_factory=lambda: NetworkFile())
    fusion: list[FusionFile] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("features")
    @classmethod
    def _features(cls, value: list[str]) -> list[str]:
        if tuple(value) != FEATURES:
            raise ValueError(f"the coefficients of this archspec are for the features "
                             f"[{', '.join(FEATURES)}], in that order; the file's are "
                             f"[{', '.join(show_value(v) for v in value[:8])}]")
        return value

    @field_validator("calibrated")
    @classmethod
    def _date(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected an ISO 8601 date-time such as 2026-11-30T09:40:00+00:00, "
                             f"got {show_value(value)}") from None
        return value


#: The keys valid in each mapping of the file, for "did you mean".
_KEYS: dict[str, list[str]] = {
    "": list(ProfileFile.model_fields), "noise": list(NoiseFile.model_fields),
    "network": list(NetworkFile.model_fields), "classes": list(ClassFile.model_fields),
    "fusion": list(FusionFile.model_fields),
}


def allowed(path: tuple[Any, ...], data: Any) -> list[str]:
    """The keys valid in the mapping at ``path`` of a profile, for "did you mean"."""
    if not path:
        return _KEYS[""]
    head = str(path[0])
    if head in ("noise", "network") and len(path) == 1:
        return _KEYS[head]
    if head in ("classes", "fusion") and len(path) == 2:
        return _KEYS[head]
    return []
