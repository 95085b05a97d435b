"""Every candidate of a sweep analysed and linted without torch: one row each.

:class:`Evaluator` is built once per worker process from a :class:`Setup` (small and picklable,
so a process pool or a Ray task carries it) and evaluates batches of candidates into rows of
:func:`columns`. A candidate whose overrides make a spec error is a row with ``status: error``
and the first error's text; a sweep never stops for one candidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, Severity, SpecError
from archspec.graph.memory import BYTES_PER_ELEMENT
from archspec.sweep.apply import candidate_document, candidate_network, variant_name
from archspec.sweep.model import COUNTS, IDENTITY, TOTALS, Candidate, cell

if TYPE_CHECKING:
    from archspec.latency.model import DeviceProfile
    from archspec.rules.targets import Target
    from archspec.spec.document import Document


@dataclass(frozen=True)
class Setup:
    """What a worker needs to evaluate candidates: the base spec file and variant, the axes
    (the row's columns), the device profile file (``latency_ms``) and the lint selection."""

    base: str
    variant: str | None
    axes: tuple[str, ...]
    device: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None


def rule_codes() -> list[str]:
    """Every lint rule's code, in registry order: one count column each."""
    from archspec.rules.codes import known_codes

    return sorted(known_codes())


def columns(setup: Setup) -> list[str]:
    """The columns of every row, in order."""
    return [*IDENTITY, *setup.axes, *TOTALS, *(("latency_ms",) if setup.device else ()),
            *COUNTS, *rule_codes()]


class Evaluator:
    """Candidates → rows, for one :class:`Setup` (built once per worker)."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.columns = columns(setup)
        self.codes = rule_codes()
        from archspec.blocks.trace import TraceCache

        #: the blocks traced so far, replayed where a candidate repeats them (decision 0032)
        self.traces = TraceCache()

    @cached_property
    def document(self) -> Document:
        from archspec.spec.document import load

        return load(self.setup.base)

    @cached_property
    def target(self) -> Target:
        """The lint target, read once (the default one: a sweep lints as `archspec lint`)."""
        from archspec.rules.targets import load_target

        return load_target(None)

    @cached_property
    def device(self) -> DeviceProfile | None:
        from archspec.latency.profile import resolve_device

        return resolve_device(self.setup.device, environ={}) if self.setup.device else None

    def evaluate(self, candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
        return [self.row(c) for c in candidates]

    def row(self, candidate: Candidate) -> dict[str, Any]:
        from archspec.pipeline import LintRequest, run

        row: dict[str, Any] = dict.fromkeys(self.columns)
        row.update({"candidate": candidate.index, "overrides": candidate.overrides_json(),
                    "status": "ok", "error": ""})
        row.update({axis: cell(value) for axis, value in candidate.values})
        network, problems = candidate_network(self.document, self.setup.variant,
                                              candidate.overrides)
        if problems:
            return _failed(row, _short(problems[0]))
        doc = candidate_document(self.document, self.setup.variant, network)
        lint = LintRequest(target=self.target, select=self.setup.select,
                           ignore=self.setup.ignore)
        try:
            result = run(doc, [variant_name(self.setup.variant)], lint=lint, device=self.device,
                         trace_cache=self.traces)
        except SpecError as exc:
            return _failed(row, _short(exc.diagnostics[0]))
        (v,) = result.variants
        if v.totals is None or v.graph is None:
            return _failed(row, _short(v.errors[0]) if v.errors else "did not resolve")
        t = v.totals
        row.update(params=t.params, macs=t.macs, flops=t.flops, mem_access_elems=t.mem_access,
                   peak_activation_bytes=v.graph.peak_activation_elems() * BYTES_PER_ELEMENT)
        if v.latency is not None:
            row["latency_ms"] = v.latency.total_ms
        findings = v.findings or ()
        severities = Counter(d.severity for d in findings)
        row.update(errors=severities[Severity.ERROR], warnings=severities[Severity.WARNING],
                   info=severities[Severity.INFO])
        codes = Counter(d.code for d in findings)
        row.update({code: codes[code] for code in self.codes})
        return row


def _short(d: Diagnostic) -> str:
    return f"{d.code} {d.message}"


def _failed(row: dict[str, Any], message: str) -> dict[str, Any]:
    row.update(status="error", error=message)
    return row
