"""Device profiles on disk: JSON read with positions, validated, every problem located.

A profile file (docs/device-profile.md) is the JSON form of a
:class:`~archspec.latency.model.DeviceProfile`. JSON is YAML, so it is read by the spec loader
(:mod:`archspec.spec.source`: a regular file of at most 1 MiB, UTF-8, no duplicate key, no
non-finite number, every value with its ``file:line:col``) and validated by the pydantic models
of :mod:`archspec.latency.schema` (strict types, unknown keys refused with a "did you mean",
coefficients finite and non-negative, ``features`` equal to
:data:`~archspec.latency.kernels.FEATURES`), errors translated
by :func:`archspec.spec.errors.translate`. Codes: the loader's (E100, E101, E103, E106, E108–E113)
for a file that cannot be read as data, then E180 (not a device profile), E181 (a format version
this archspec does not read) and E182 (a field with a wrong key, type or value), all raised as
one :class:`~archspec.diagnostics.SpecError`. Never pickle: a profile is data.

``ARCHSPEC_DEVICE`` names the profile to use when a caller gives none (:func:`resolve_device`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, Span, SpecError, error, show_value
from archspec.latency.kernels import FEATURES, FusionRule
from archspec.latency.model import (
    PROFILE_FORMAT,
    PROFILE_VERSION,
    ClassModel,
    DeviceProfile,
    NetworkCorrection,
    Noise,
)

if TYPE_CHECKING:
    from archspec.latency.predict import Prediction
    from archspec.latency.schema import ProfileFile
    from archspec.spec.source import Source

__all__ = ["ENV_VAR", "describe", "load_profile", "profile_from_data", "profile_to_data",
           "profile_warnings", "prediction_warnings", "resolve_device", "save_profile"]

#: The environment variable naming the profile to use when no device is given.
ENV_VAR = "ARCHSPEC_DEVICE"

#: Codes raised here beyond the loader's (registered in archspec/codes.py).
NOT_A_PROFILE, BAD_VERSION, BAD_FIELD = "E180", "E181", "E182"


# ------------------------------------------------------------------------------ reading


def load_profile(path: str | os.PathLike[str]) -> DeviceProfile:
    """Read and validate a profile file; SpecError with every problem, located (never a
    traceback, whatever the file holds)."""
    from archspec.spec.source import parse_source, read_file

    file = os.fsdecode(path)
    raw = read_file(path, what="device profile")
    try:
        source = parse_source(raw, file)
    except SpecError as exc:
        if any(d.code in ("E103", "E104") for d in exc.diagnostics):
            # a syntax error is told in JSON's words; JSON the YAML reader refused (no profile
            # archspec writes) still loads, its errors then unlocated
            return profile_from_data(_json(raw, file, exc), file)
        # the loader's "empty" and "not a mapping" are, for a profile, "not a profile"
        raise SpecError([_not_a_profile(d.span, "the file is empty or null")
                         if d.code == "E102" else
                         _not_a_profile(d.span, "the top level is not a JSON object")
                         if d.code == "E105" else d for d in exc.diagnostics]) from None
    return profile_from_data(source.data, source)


def _json(raw: bytes, file: str, exc: SpecError) -> Any:
    """``raw`` parsed as JSON; E103 at the JSON parser's line and column when it is not JSON."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as bad:
        raise SpecError([error("E103", f"invalid JSON: {bad.msg}",
                               Span(file, bad.lineno, bad.colno), expected="JSON text",
                               fix="check the commas, brackets and quotes around this position")]
                        ) from None
    except (ValueError, RecursionError):
        raise exc from None


def _not_a_profile(span: Span, why: str) -> Diagnostic:
    return error(NOT_A_PROFILE, f"not a device profile: {why}", span,
                 expected="a JSON object written by `archspec calibrate`",
                 fix="pass a profile written by `archspec calibrate -o DEVICE.json`")


def profile_from_data(data: Any, source: Source | str = "<memory>") -> DeviceProfile:
    """A profile from plain data (a parsed file). ``source`` locates errors: the parsed file
    (a :class:`~archspec.spec.source.Source`), or only a name to show."""
    from pydantic import ValidationError

    from archspec.latency.schema import ProfileFile, allowed
    from archspec.spec.errors import translate
    from archspec.spec.located import Located
    from archspec.spec.source import Source

    if not isinstance(source, Source):
        source = Source(source, "", data if isinstance(data, dict) else {}, {}, {})
    if not isinstance(data, dict):
        raise SpecError([_not_a_profile(source.span_of(()),
                                        f"expected a JSON object, got {show_value(data)}")])
    _check_header(data, source)
    try:
        model = ProfileFile.model_validate(data)
    except ValidationError as exc:
        found = translate(exc, Located.at(data, ()), source, allowed=allowed, tagged=False)
        raise SpecError([replace(d, code=BAD_FIELD, block=None) for d in found]) from None
    return _profile(model, source.file)


def _check_header(data: dict[str, Any], source: Source) -> None:
    """E180 unless ``format`` says this is a profile; E181 for a version this archspec does not
    read. Checked first: a spec or another JSON file gets one error, not one per key."""
    fmt = data.get("format")
    if fmt != PROFILE_FORMAT:
        what = "has no `format`" if "format" not in data else f"has format {show_value(fmt)}"
        hint = " (it looks like a spec: pass it as SPEC)" if "stages" in data else ""
        raise SpecError([error(
            NOT_A_PROFILE, f"not a device profile: the file {what}{hint}",
            source.span_of(("format",)) if "format" in data else source.span_of(()),
            key_path=("format",), expected=f'"format": "{PROFILE_FORMAT}"',
            fix="pass a profile written by `archspec calibrate -o DEVICE.json`")])
    version = data.get("version")
    if type(version) is not int or version != PROFILE_VERSION:
        got = "no `version`" if "version" not in data else f"version {show_value(version)}"
        raise SpecError([error(
            BAD_VERSION, f"device profile of {got}; this archspec reads version "
            f"{PROFILE_VERSION}", source.span_of(("version",)), key_path=("version",),
            expected=f'"version": {PROFILE_VERSION}',
            fix="recalibrate the device with this archspec (`archspec calibrate`), or use the "
                "archspec that wrote the profile")])


def _profile(model: ProfileFile, file: str) -> DeviceProfile:
    n = model.noise
    net = model.network
    return DeviceProfile(
        name=model.name, backend=model.backend, threads=model.threads,
        machine=dict(model.machine), versions=dict(model.versions),
        calibrated=model.calibrated,
        noise=Noise(n.median_iqr, n.p90_iqr, n.trusted, n.limit),
        classes={cls: ClassModel(tuple(c.coef), c.samples, c.mape)
                 for cls, c in model.classes.items()},
        network=NetworkCorrection(net.scale, net.per_kernel_ms, net.constant_ms,
                                  dict(net.groups), dict(net.classes)),
        fusion=tuple(FusionRule(f.into, tuple(f.absorbs), f.as_class) for f in model.fusion),
        dtype=model.dtype, details=dict(model.details), source=file)


# ------------------------------------------------------------------------------ writing


def profile_to_data(profile: DeviceProfile) -> dict[str, Any]:
    """The file's data (docs/device-profile.md): what :func:`profile_from_data` reads back."""
    n = profile.noise
    return {
        "format": PROFILE_FORMAT,
        "version": PROFILE_VERSION,
        "name": profile.name,
        "backend": profile.backend,
        "threads": profile.threads,
        "dtype": profile.dtype,
        "calibrated": profile.calibrated,
        "machine": dict(profile.machine),
        "versions": dict(profile.versions),
        "noise": {"median_iqr": n.median_iqr, "p90_iqr": n.p90_iqr, "trusted": n.trusted,
                  "limit": n.limit},
        "features": list(FEATURES),
        "classes": {cls: {"coef": list(m.coef), "samples": m.samples, "mape": m.mape}
                    for cls, m in sorted(profile.classes.items())},
        "network": {"scale": profile.network.scale,
                    "per_kernel_ms": profile.network.per_kernel_ms,
                    "constant_ms": profile.network.constant_ms,
                    "groups": dict(profile.network.groups),
                    "classes": dict(profile.network.classes)},
        "fusion": [{"into": r.into, "absorbs": list(r.absorbs),
                    **({"as_class": r.as_class} if r.as_class is not None else {})}
                   for r in profile.fusion],
        "details": dict(profile.details),
    }


def save_profile(profile: DeviceProfile, path: str | os.PathLike[str]) -> None:
    """Write ``profile`` as JSON (two-space indent, UTF-8). It is validated as it would be read
    (ValueError for a profile that would not load back: a negative or non-finite coefficient)."""
    data = profile_to_data(profile)
    try:
        profile_from_data(json.loads(json.dumps(data, allow_nan=False)), os.fsdecode(path))
    except SpecError as exc:
        raise ValueError("the profile would not load back: " +
                         "; ".join(d.message for d in exc.diagnostics)) from None
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                          encoding="utf-8")


# ------------------------------------------------------------------------------ choosing one


def resolve_device(device: DeviceProfile | str | os.PathLike[str] | None,
                   environ: Mapping[str, str] | None = None) -> DeviceProfile | None:
    """The profile to predict on: ``device`` (a profile, or a profile file's path); without one,
    the file ``$ARCHSPEC_DEVICE`` names (unset or empty: none). A bad file named by the variable
    is a SpecError whose messages name the variable (their spans name the file)."""
    if isinstance(device, DeviceProfile):
        return device
    if device is not None:
        return load_profile(device)
    named = (os.environ if environ is None else environ).get(ENV_VAR, "")
    if not named:
        return None
    try:
        return load_profile(named)
    except SpecError as exc:
        raise SpecError([replace(d, message=f"{ENV_VAR}: {d.message}",
                                 fix=d.fix or f"fix the profile, or unset {ENV_VAR}",
                                 data={**d.data, "env": ENV_VAR})
                         for d in exc.diagnostics]) from None


# ------------------------------------------------------------------------------ reporting


def describe(profile: DeviceProfile) -> dict[str, Any]:
    """What a report says about the device it predicted on (JSON: the ``device`` object)."""
    return {"name": profile.name, "backend": profile.backend, "threads": profile.threads,
            "dtype": profile.dtype, "calibrated": profile.calibrated,
            "trusted": profile.noise.trusted, "file": profile.source}


def profile_warnings(profile: DeviceProfile) -> list[str]:
    """What every output using ``profile`` must say about it: that it is too noisy to trust."""
    n = profile.noise
    if n.trusted:
        return []
    return [f"device profile {profile.name!r} is too noisy to trust: its calibration's timings "
            f"vary by {_pct(n.median_iqr)} (median IQR/median; 90th percentile "
            f"{_pct(n.p90_iqr)}, limit {_pct(n.limit)}); predicted times may be far off: "
            "recalibrate on an idle machine"]


def prediction_warnings(prediction: Prediction) -> list[str]:
    """The profile's warnings, and the kernel classes it has no model for (the total is then a
    lower bound)."""
    found = profile_warnings(prediction.profile)
    if prediction.missing:
        n = len(prediction.missing)
        found.append(f"the device profile has no model for {n} kernel class{'es' * (n != 1)} of "
                     f"this network ({', '.join(prediction.missing)}): they count 0 ms, so the "
                     "predicted total is a lower bound; recalibrate to cover them")
    return found


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %" if math.isfinite(x) else "?"
