"""The memory a build will take, estimated from the OpGraph before torch allocates anything, and
the budget it must fit in (docs/decisions/0012-memory-budget-before-build.md).

Bytes are fp32 (4 per element), as ``archspec build`` builds. The estimate is deliberately an
upper bound: parameters and the peak live activation set (:meth:`OpGraph.peak_activation_elems`
at the batch) are each multiplied by the copies the step holds at once, and a fixed allowance
covers importing torch, its first forward and the exporter's machinery::

    needed = PARAM_COPIES[fmt] × params + ACTIVATION_COPIES[fmt] × activations + OVERHEAD[fmt]
             (+ TORCH_IMPORT when torch is not imported yet)

The factors come from RSS high-water marks (``VmHWM``) of builds and exports of the shipped
specs, rounded up; docs/decisions/0012-memory-budget-before-build.md lists the measurements.

The budget is ``--max-memory`` / ``max_memory=``, else ``ARCHSPEC_MAX_MEMORY``, else the memory
available now: ``MemAvailable`` of /proc/meminfo, capped by the cgroup's limit minus its usage
(cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``). Where none of these can be read (not
Linux) there is no budget and nothing is refused.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archspec.diagnostics import SpecError, error, show_value

if TYPE_CHECKING:
    from archspec.graph.opgraph import OpGraph
    from archspec.spec.resolved import ResolvedNet

BYTES_PER_ELEMENT = 4  # fp32
ENV_VAR = "ARCHSPEC_MAX_MEMORY"
MiB = 2**20

#: importing torch (measured peak RSS of ``import torch``: about 510 MiB with its libraries);
#: ``archspec build`` checks before importing torch, so it is part of what the build will take
#: unless torch is already imported.
TORCH_IMPORT = 512 * MiB
#: torch's first forward: oneDNN kernels, thread pools (measured 20-30 MiB).
FIRST_FORWARD = 128 * MiB
#: export format (None: build and its one forward only) → bytes that do not scale with the
#: network: torch's first forward and the exporter's machinery (measured: .pt nothing,
#: torch.export's tracer about 150 MB, onnx + onnxscript + onnxruntime about 280 MB).
OVERHEAD: dict[str | None, int] = {None: FIRST_FORWARD, ".pt": FIRST_FORWARD,
                                   ".pt2": FIRST_FORWARD + 256 * MiB,
                                   ".onnx": FIRST_FORWARD + 512 * MiB}
#: export format → copies of the parameters held at once (measured, rounded up): the module,
#: about 1 (2 allowed); .pt adds nothing measurable (one allowed for the serialiser); .pt2 about
#: 2.1 more (torch.export's copies and the saved program); .onnx about 2.9 more (the ONNX
#: initialisers, the serialised model, onnxruntime's session).
PARAM_COPIES: dict[str | None, int] = {None: 2, ".pt": 3, ".pt2": 4, ".onnx": 5}
#: export format → copies of the peak live activation set: eager's forward measured 1.3-1.9×
#: on the shipped specs (oneDNN reorders a conv's input and output), so 3 are allowed; for .onnx
#: one more, as onnxruntime's arena grows in powers of two.
ACTIVATION_COPIES: dict[str | None, int] = {None: 3, ".pt": 3, ".pt2": 3, ".onnx": 4}

_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgtp]?)(i?b)?", re.IGNORECASE)


class SizeError(ValueError):
    """A ``--max-memory`` / ``ARCHSPEC_MAX_MEMORY`` value that is not a size."""


def parse_size(text: str) -> int | None:
    """``2G``, ``512M``, ``1.5GiB``, ``64k``, ``1000000`` (bytes) → bytes; ``none`` → None.

    Units are powers of 1024 whether written ``G``, ``GB`` or ``GiB``.
    """
    if not isinstance(text, str):
        raise SizeError(f"expected a size such as 2G, 512M or 1.5GiB, or none; got "
                        f"{type(text).__name__}")
    stripped = text.strip()
    if stripped.lower() == "none":
        return None
    match = _SIZE.fullmatch(stripped)
    if match is None:
        raise SizeError(f"expected a size such as 2G, 512M or 1.5GiB, or none; got {show_value(text)}")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value < 1 or value > 2**63:
        raise SizeError(f"expected a size between 1 byte and 8 EiB, got {show_value(text)}")
    return int(value)


def format_bytes(n: float) -> str:
    """``1536`` → ``1.5 KiB``; at most 4 significant digits."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.4g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Estimate:
    """What a build (and an export in ``fmt``) needs at its peak, in bytes."""

    params_bytes: int
    activation_bytes: int  # peak live activations at the batch, one copy
    fmt: str | None
    batch: int
    input_shape: tuple[int, ...]  # N, C, H, W
    overhead: int  # OVERHEAD[fmt], plus TORCH_IMPORT when torch is not imported yet

    @property
    def param_copies(self) -> int:
        return PARAM_COPIES[self.fmt]

    @property
    def activation_copies(self) -> int:
        return ACTIVATION_COPIES[self.fmt]

    @property
    def total(self) -> int:
        return (self.param_copies * self.params_bytes
                + self.activation_copies * self.activation_bytes + self.overhead)

    def breakdown(self) -> str:
        return (f"{self.param_copies} × {format_bytes(self.params_bytes)} of parameters + "
                f"{self.activation_copies} × {format_bytes(self.activation_bytes)} of peak "
                f"activations + {format_bytes(self.overhead)} for torch"
                + (f" and the {self.fmt} exporter" if self.fmt in (".pt2", ".onnx") else ""))


def estimate(graph: OpGraph, *, batch: int = 1, fmt: str | None = None,
             torch_imported: bool | None = None) -> Estimate:
    """The estimate for building the traced network and running one forward of ``batch``
    zero images of its input shape (then exporting it as ``fmt``: ``.pt``, ``.pt2``, ``.onnx``).
    ``torch_imported`` (default: whether it is, now) drops the allowance for importing torch."""
    if fmt not in PARAM_COPIES:
        raise ValueError(f"unknown export format {fmt!r}; expected one of "
                         f"{', '.join(str(f) for f in PARAM_COPIES)}")
    input_shape = graph.op(graph.input_node).out_shape
    if torch_imported is None:
        torch_imported = "torch" in sys.modules
    return Estimate(
        params_bytes=graph.totals().params * BYTES_PER_ELEMENT,
        activation_bytes=graph.peak_activation_elems() * batch * BYTES_PER_ELEMENT,
        fmt=fmt, batch=batch, input_shape=(batch, *input_shape),
        overhead=OVERHEAD[fmt] + (0 if torch_imported else TORCH_IMPORT))


@dataclass(frozen=True)
class Budget:
    """The bytes a build may take (None: no limit) and where that figure came from."""

    bytes: int | None
    source: str


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None  # "max" (cgroup v2 without a limit)


def _mem_available(meminfo: Path) -> int | None:
    try:
        lines = meminfo.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if name == "MemAvailable" and fields and fields[0].isdigit():
            return int(fields[0]) * 1024  # kB
    return None


def _cgroup_dirs(cgroup: Path, self_cgroup: Path) -> list[tuple[Path, str, str]]:
    """(directory, limit file, usage file) of this process's memory cgroup and each parent up to
    the mount point: v2 (``0::/path``: memory.max) and v1 (``memory`` controller)."""
    try:
        lines = self_cgroup.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    places: list[tuple[Path, str, str]] = []
    for line in lines:
        _, controllers, rel = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":
            mounts = [(cgroup, "memory.max", "memory.current"),
                      (cgroup / "unified", "memory.max", "memory.current")]
        elif "memory" in controllers.split(","):
            mounts = [(cgroup / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes")]
        else:
            continue
        for mount, limit, usage in mounts:
            here = mount / rel.strip("/")
            while True:
                places.append((here, limit, usage))
                if here == mount or mount not in here.parents:
                    break
                here = here.parent
    if not places:  # no /proc/self/cgroup: the mount roots only
        places = [(cgroup, "memory.max", "memory.current"),
                  (cgroup / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes")]
    return places


def _cgroup_left(cgroup: Path, self_cgroup: Path) -> tuple[int, str] | None:
    """The least memory left under any cgroup limit of this process, and the file setting it.
    "max" (v2) and v1's huge "no limit" number are no limit."""
    best: tuple[int, str] | None = None
    for directory, limit_file, usage_file in _cgroup_dirs(cgroup, self_cgroup):
        limit = _read_int(directory / limit_file)
        if limit is None or limit >= 2**60:
            continue
        left = max(0, limit - (_read_int(directory / usage_file) or 0))
        if best is None or left < best[0]:
            best = left, str(directory / limit_file)
    return best


def system_budget(*, meminfo: Path = Path("/proc/meminfo"),
                  cgroup: Path = Path("/sys/fs/cgroup"),
                  self_cgroup: Path = Path("/proc/self/cgroup")) -> Budget:
    """The memory available now: MemAvailable, capped by the cgroup's limit minus its usage."""
    available = _mem_available(meminfo)
    limited = _cgroup_left(cgroup, self_cgroup)
    if limited is not None and (available is None or limited[0] < available):
        return Budget(limited[0], f"the cgroup limit ({limited[1]}) minus its usage")
    if available is not None:
        return Budget(available, f"MemAvailable in {meminfo}")
    return Budget(None, "no memory figure is readable on this system")


def budget(max_memory: int | str | None, *, option: str) -> Budget:
    """The budget for a build: ``max_memory`` (bytes, a size such as ``2G``, or ``"none"``), else
    ``ARCHSPEC_MAX_MEMORY``, else :func:`system_budget`. ``option`` names where ``max_memory``
    came from (``--max-memory`` or ``max_memory=``) in messages; a bad size raises SizeError."""
    if max_memory is not None:
        if isinstance(max_memory, bool) or not isinstance(max_memory, int | str):
            raise TypeError(f"{option}: expected a size such as 2G (or bytes as an int, or "
                            f"'none'), got {type(max_memory).__name__}")
        if isinstance(max_memory, int):
            if max_memory < 1:
                raise SizeError(f"{option}: expected a positive number of bytes, got "
                                f"{max_memory}")
            return Budget(max_memory, option)
        try:
            return Budget(parse_size(max_memory), option)
        except SizeError as exc:
            raise SizeError(f"{option}: {exc}") from None
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip():
        try:
            return Budget(parse_size(env), f"${ENV_VAR}")
        except SizeError as exc:
            raise SizeError(f"${ENV_VAR}: {exc}") from None
    return system_budget()


def check(need: Estimate, within: Budget, *, net: ResolvedNet, action: str,
          override: str) -> None:
    """Raise E190 (a spec error) when ``need`` exceeds ``within``; ``action`` says what was asked
    (``build``, ``build -o x.onnx``), ``override`` how to change the budget."""
    if within.bytes is None or need.total <= within.bytes:
        return
    shape = "×".join(map(str, need.input_shape))
    raise SpecError([error(
        "E190",
        f"{action} of {net.label} with a {shape} input needs about {format_bytes(need.total)} "
        f"({need.breakdown()}), more than the {format_bytes(within.bytes)} available "
        f"(from {within.source})",
        net.span, variant=net.variant,
        expected=f"at most {format_bytes(within.bytes)}",
        fix=f"lower the batch, the input size or the widths, or set the budget with {override}")])
