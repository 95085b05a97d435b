"""What every rule shares: its metadata, its typed options, and how it reports a finding.

A rule is a small class: ``code``, ``name`` (the bad pattern, kebab-case), default ``severity``,
an ``Options`` pydantic model of its thresholds, and a docstring that is its documentation page
(ruff's sections: What it does / Why is this bad? / Formula / Example / Use instead; the Options
table is generated from the model). ``check`` is a pure function of the lint context (resolved
network, op graph, the target's fusions) and the options, yielding :class:`Diagnostic` findings.

Severities: a rule *reports* at its own severity (``options.severity`` when a target sets one)
and *notes* per-op or per-block figures at info level. Guideline rules (G) note figures per op or
block and report only network aggregates, so one widening unit does not condemn a network that is
balanced everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from archspec.diagnostics import Diagnostic, Severity, Span

if TYPE_CHECKING:
    from archspec.rules.context import LintContext

FAMILY_NAMES = {
    "G": "ShuffleNet V2 guidelines",
    "S": "structure",
    "H": "hardware and export",
    "A": "suppressions",
}

#: The docstring sections every rule page has, in order (Options is generated from the model).
SECTIONS = ("What it does", "Why is this bad?", "Formula", "Example", "Use instead")


class RuleOptions(BaseModel):
    """Base of every rule's options: thresholds are typed; an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity | None = Field(
        default=None, description="Severity of the rule's verdicts (its per-op info notes stay info); "
        "unset: the rule's default.")


class Rule:
    """Base class: subclasses set the metadata and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    Options: ClassVar[type[RuleOptions]] = RuleOptions
    #: The severities the rule can emit by default (info notes + its verdict), for the docs.
    notes_info: ClassVar[bool] = False

    @classmethod
    def family(cls) -> str:
        return cls.code[0]

    @classmethod
    def summary(cls) -> str:
        """The docstring's first line: what the rule flags."""
        return (cls.__doc__ or "").strip().splitlines()[0].strip()

    @classmethod
    def default_options(cls) -> RuleOptions:
        return cls.Options()

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        raise NotImplementedError

    # ------------------------------------------------------------------ building findings

    def report(self, ctx: LintContext, options: RuleOptions, *, message: str, fix: str,
               block: str | None, span: Span, data: Mapping[str, Any]) -> Diagnostic:
        """A verdict at the rule's severity (or the target's override)."""
        severity = options.severity or self.severity
        return self._finding(ctx, severity, message, fix, block, span, data)

    def note(self, ctx: LintContext, *, message: str, fix: str, block: str | None, span: Span,
             data: Mapping[str, Any]) -> Diagnostic:
        """A per-op or per-block figure, always at info level."""
        return self._finding(ctx, Severity.INFO, message, fix, block, span, data)

    def _finding(self, ctx: LintContext, severity: Severity, message: str, fix: str,
                 block: str | None, span: Span, data: Mapping[str, Any]) -> Diagnostic:
        return Diagnostic(code=self.code, severity=severity, message=message, span=span,
                          fix=fix, variant=ctx.net.variant, block=block, rule=self.name,
                          data=dict(data))
