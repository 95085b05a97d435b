"""What a lint run found, in one value the renderers share: files, their variants, diagnostics.

The renderers (text, JSON, SARIF, GitHub annotations) read a :class:`LintReport` and nothing else,
so a spec error and a lint finding are laid out the same way in every format, and the exit code is
decided in one place (:attr:`LintReport.exit_code`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import UNKNOWN_SPAN, Diagnostic, Severity

if TYPE_CHECKING:
    from archspec.latency.model import DeviceProfile

SCHEMA_VERSION = 1
SEVERITIES = tuple(Severity)  # error, warning, info: the order every summary uses

EXIT_OK = 0
EXIT_FINDINGS = 1  # an error-severity lint finding
EXIT_SPEC_ERROR = 2  # a spec that cannot be loaded, resolved or built; or bad command-line input
EXIT_INTERNAL = 3  # a bug in archspec


@dataclass(frozen=True)
class VariantSummary:
    """The figures of one resolved variant of a file (``variant`` None: a file without variants)."""

    variant: str | None
    params: int
    macs: int  # multiply-accumulates per image
    #: predicted ms on the run's device (one image, batch 1); None without a device
    latency_ms: float | None = None
    #: kernel classes the device profile has no model for (the time is then a lower bound)
    missing: tuple[str, ...] = ()


@dataclass
class FileReport:
    """One spec file: the variants that resolved, and every diagnostic (spec errors first)."""

    file: str
    variants: list[VariantSummary] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def spec_error(self) -> bool:
        return any(is_spec_error(d) for d in self.diagnostics)

    @property
    def variant_names(self) -> list[str | None]:
        """Every variant this file reports on: those that resolved, then those its diagnostics
        name (``variant``, or ``data.variants`` for an error several share); a file without
        variants counts as one when it resolved."""
        named: list[str | None] = [v.variant for v in self.variants]
        for d in self.diagnostics:
            shared = d.data.get("variants") if isinstance(d.data, Mapping) else None
            named += [d.variant] if d.variant else [
                v for v in (shared if isinstance(shared, list | tuple) else []) if isinstance(v, str)]
        return [*dict.fromkeys(named)]

    def of_variant(self, variant: str | None) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.variant == variant]


@dataclass
class LintReport:
    """Everything one ``archspec lint`` run found: per file, plus ``errors`` that belong to no
    file (an unknown ``--target``, say)."""

    files: list[FileReport] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    #: the device profile the figures are predicted on (``--device``), None without one
    device: DeviceProfile | None = None

    @property
    def device_warnings(self) -> list[str]:
        """What every format says about the device: a profile too noisy to trust, and the
        kernel classes it has no model for, with the variants that have them."""
        if self.device is None:
            return []
        from archspec.latency.profile import profile_warnings

        found = profile_warnings(self.device)
        variants = [v for f in self.files for v in f.variants]
        missing = Counter(cls for v in variants for cls in v.missing)
        if missing:
            named = ", ".join(cls if n == len(variants) else f"{cls} ({n} of {len(variants)} "
                              f"variants)" for cls, n in sorted(missing.items()))
            found.append(f"the device profile has no model for {len(missing)} kernel "
                         f"class{'es' * (len(missing) != 1)} of these networks ({named}): they "
                         "count 0 ms, so the times of the variants that have them are lower "
                         "bounds")
        return found

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Unlocated errors, then each file's diagnostics in the order they were found."""
        return [*self.errors, *(d for f in self.files for d in f.diagnostics)]

    @property
    def exit_code(self) -> int:
        """2 if any file has a spec error, else 1 if any error-severity finding, else 0."""
        if self.errors or any(f.spec_error for f in self.files):
            return EXIT_SPEC_ERROR
        if any(d.severity == Severity.ERROR for d in self.diagnostics):
            return EXIT_FINDINGS
        return EXIT_OK

    @classmethod
    def of_errors(cls, diagnostics: Iterable[Diagnostic]) -> LintReport:
        """A report of spec errors only (commands other than lint), grouped by file."""
        report = cls()
        files: dict[str, FileReport] = {}
        for d in diagnostics:
            if not located(d):
                report.errors.append(d)
                continue
            files.setdefault(d.span.file, FileReport(d.span.file)).diagnostics.append(d)
        report.files = list(files.values())
        return report


def severity_counts(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    counts = Counter(d.severity.value for d in diagnostics)
    return {s.value: counts.get(s.value, 0) for s in SEVERITIES}


def rule_counts(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, str, str, int]]:
    """(code, rule name, severity, count) per code and severity, in code order (a rule reports
    per-op figures as info and network aggregates as warnings: each gets its own row)."""
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for d in diagnostics:
        key = (d.code, d.severity.value)
        name, n = seen.get(key, (d.rule or "", 0))
        seen[key] = (name, n + 1)
    rank = {"error": 0, "warning": 1, "info": 2}
    order = sorted(seen, key=lambda k: (code_order(k[0]), rank.get(k[1], 3)))
    return [(code, seen[(code, sev)][0], sev, seen[(code, sev)][1]) for code, sev in order]


def code_order(code: str) -> tuple[str, int, str]:
    """E before G, S, H; numbers numerically (G2 before G10)."""
    letters = code.rstrip("0123456789")
    digits = code[len(letters):]
    family = {"E": "0", "G": "1", "S": "2", "H": "3"}.get(letters, letters)
    return (family, int(digits) if digits else 0, code)


def is_spec_error(d: Diagnostic) -> bool:
    """A spec error (E code, error severity), not a lint finding or a note such as E149."""
    return d.code.startswith("E") and d.severity == Severity.ERROR


def located(d: Diagnostic) -> bool:
    """Whether ``d`` points at a place in a file (a bad ``--target`` name, say, does not)."""
    return d.span.file != UNKNOWN_SPAN.file


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    """The JSON form of a diagnostic (docs/json.md, "diagnostics")."""
    where = located(d)
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "fix": d.fix,
        "expected": d.expected,
        "file": d.span.file if where else None,
        "line": d.span.line if where else None,
        "col": d.span.col if where else None,
        "variant": d.variant,
        "block": d.block,
        "rule": d.rule,
        "key_path": d.key_path_str or None,
        "data": jsonable(d.data),
    }


def jsonable(value: Any) -> Any:
    """Plain JSON data: tuples become lists, non-finite floats null, anything else its str()."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
