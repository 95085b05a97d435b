"""A calibration bundle for a remote device, and the timings it brings back.

``archspec calibrate --bundle DIR`` writes::

    DIR/manifest.json     kernels (id, file, class, features), networks (id, file, name,
                          per-class totals, kernels), settings, the fusion ORT applied here
    DIR/kernels/*.onnx    one micro-kernel each (opset 20, float32, batch 1)
    DIR/networks/*.onnx   a few whole calibration networks (the network correction)
    DIR/runner.py         the timer (:mod:`archspec.calibrate.ort_runner`), needs only
    DIR/harness.py        onnxruntime and numpy
    DIR/README.txt        how to run it

On the device: ``python runner.py --threads N -o timings.json``; back here:
``archspec calibrate --from timings.json -o DEVICE.json`` fits the profile. The fusion rules
recorded are this machine's ORT's; a device whose ORT fuses differently is best calibrated
with its fusion probed there (a bundle cannot export the probe without torch).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.calibrate.samples import KernelTiming, NetworkTiming

if TYPE_CHECKING:
    from archspec.calibrate.nets import CalibNet
    from archspec.graph.op import Op
    from archspec.latency.kernels import FusionRule

README = """\
archspec calibration bundle (ONNX Runtime)

Needs Python >= 3.10 with onnxruntime and numpy. On the device, in this directory:

    python runner.py --threads {threads} -o timings.json

(--threads sets ONNX Runtime's intra-op threads; pick the count you will deploy with. Close
other programs; the run takes a few minutes.) Then, where archspec is installed:

    archspec calibrate --from timings.json -o DEVICE.json

{kernels} micro-kernels, {networks} networks. Format of timings.json: see runner.py.
"""


@dataclass(frozen=True)
class Timings:
    """What ``timings.json`` holds, as the fit reads it, plus everything else it recorded."""

    kernels: list[KernelTiming]
    networks: list[NetworkTiming]
    meta: dict[str, Any] = field(default_factory=dict)


class TimingsError(ValueError):
    """A timings file that is not one the runner wrote (names the file and what is wrong)."""


def write_bundle(root: Path, ops: Sequence[Op], nets: Sequence[CalibNet], *, cache_dir: Path,
                 fusion: Sequence[FusionRule], fusion_details: dict[str, Any], threads: int,
                 repeats: int, rounds: int, warmup: int, network_repeats: int,
                 on_export: Callable[[str], None] | None = None) -> Path:
    """Write the bundle under ``root`` (created; an existing manifest is replaced)."""
    from archspec.calibrate import harness, ort_kernels, ort_runner

    root.mkdir(parents=True, exist_ok=True)
    kernels = ort_kernels.write_kernels(ops, root)
    networks = ort_kernels.write_networks(nets, root, cache_dir=cache_dir, fusion=fusion,
                                          on_export=on_export)
    ort_kernels.write_manifest(root, kernels=kernels, networks=networks, threads=threads,
                               repeats=repeats, rounds=rounds, warmup=warmup,
                               network_repeats=network_repeats, fusion=fusion,
                               details=fusion_details)
    shutil.copyfile(ort_runner.__file__, root / "runner.py")
    shutil.copyfile(harness.__file__, root / "harness.py")
    (root / "README.txt").write_text(README.format(threads=threads, kernels=len(kernels),
                                                   networks=len(networks)), encoding="utf-8")
    return root


def _need(doc: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in doc:
        raise TimingsError(f"{where}: {key!r} is missing")
    value = doc[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TimingsError(f"{where}: {key!r} is a {type(value).__name__}")
    return value


def _features(value: Any, where: str) -> tuple[float, ...]:
    from archspec.latency.kernels import FEATURES

    if not isinstance(value, list) or len(value) != len(FEATURES) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise TimingsError(f"{where}: expected {len(FEATURES)} numbers "
                           f"({', '.join(FEATURES)})")
    return tuple(float(v) for v in value)


def read_timings(path: Path) -> Timings:
    """The kernel and network timings of a runner's ``timings.json``; TimingsError naming
    the file and entry when it is not one."""
    from archspec.calibrate import ort_runner

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TimingsError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise TimingsError(f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != ort_runner.TIMINGS_FORMAT:
        raise TimingsError(f"{path}: not an archspec timings file (format "
                           f"{doc.get('format') if isinstance(doc, dict) else None!r}, "
                           f"expected {ort_runner.TIMINGS_FORMAT!r})")
    if doc.get("version") != ort_runner.VERSION:
        raise TimingsError(f"{path}: version {doc.get('version')!r} is not supported "
                           f"(expected {ort_runner.VERSION})")
    kernels = []
    for i, k in enumerate(_need(doc, "kernels", list, str(path))):
        where = f"{path}: kernels[{i}]"
        if not isinstance(k, dict):
            raise TimingsError(f"{where}: expected an object")
        kernels.append(KernelTiming(_need(k, "cls", str, where),
                                    _features(k.get("features"), f"{where}.features"),
                                    float(_need(k, "ms", (int, float), where)),
                                    float(_need(k, "iqr", (int, float), where))))
    networks = []
    for i, n in enumerate(doc.get("networks", [])):
        where = f"{path}: networks[{i}]"
        if not isinstance(n, dict):
            raise TimingsError(f"{where}: expected an object")
        totals = {str(c): list(_features(t, f"{where}.totals.{c}"))
                  for c, t in _need(n, "totals", dict, where).items()}
        networks.append(NetworkTiming(_need(n, "name", str, where), totals,
                                      int(_need(n, "kernels", int, where)),
                                      float(_need(n, "ms", (int, float), where)),
                                      float(_need(n, "iqr", (int, float), where))))
    meta = {k: v for k, v in doc.items() if k not in ("kernels", "networks")}
    return Timings(kernels, networks, meta)


def read_manifest_fusion(root: Path) -> tuple[list[FusionRule], dict[str, Any]]:
    """The fusion rules and details a bundle's manifest recorded (empty when absent)."""
    from archspec.calibrate import ort_runner
    from archspec.latency.kernels import FusionRule

    path = root / ort_runner.MANIFEST
    if not path.is_file():
        return [], {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    rules = [FusionRule(r["into"], tuple(r["absorbs"])) for r in doc.get("fusion", [])]
    return rules, dict(doc.get("details", {}))
