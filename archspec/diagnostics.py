"""One record for everything archspec tells a person: spec errors and lint findings alike.

Spec errors (codes ``E…``) and lint findings (``G…``, ``S…``, ``H…``) share :class:`Diagnostic`
so that one set of reporters (text, JSON, SARIF, GitHub annotations) renders both, and so that a
location is always a 1-based ``file:line:col`` as editors, SARIF and GitHub expect.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    """How bad a diagnostic is; ``error`` decides exit codes."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, order=True)
class Span:
    """A place in a source file: 1-based line and column of the YAML node that produced a value."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN_SPAN = Span("<unknown>", 1, 1)


@dataclass(frozen=True)
class Diagnostic:
    """A spec error or a lint finding.

    ``message`` states what was found (with the measured figures for findings), ``expected`` what
    the format or rule wanted, ``fix`` what to do about it; they are kept apart so reporters can
    lay them out and tools can read them.
    """

    code: str
    severity: Severity
    message: str
    span: Span = UNKNOWN_SPAN
    key_path: tuple[str | int, ...] = ()
    fix: str | None = None
    expected: str | None = None
    variant: str | None = None
    block: str | None = None
    rule: str | None = None  # the rule's name for findings, e.g. "unequal-channel-width"
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key_path_str(self) -> str:
        return format_key_path(self.key_path)

    def sort_key(self) -> tuple[Any, ...]:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)


def format_key_path(path: Iterable[str | int]) -> str:
    """``('stages', 2, 'block', 'exp')`` → ``stages[2].block.exp``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class SpecError(Exception):
    """A spec that cannot be loaded, resolved or built; carries every problem found at once."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=Diagnostic.sort_key)
        if not self.diagnostics:
            raise ValueError("SpecError needs at least one diagnostic")
        super().__init__(self._summary())

    def _summary(self) -> str:
        lines = [f"{d.span}: {d.code} {d.message}" for d in self.diagnostics]
        return "\n".join(lines)


def error(
    code: str,
    message: str,
    span: Span = UNKNOWN_SPAN,
    *,
    key_path: tuple[str | int, ...] = (),
    expected: str | None = None,
    fix: str | None = None,
    variant: str | None = None,
    block: str | None = None,
) -> Diagnostic:
    """Shorthand for an error-severity spec diagnostic."""
    return Diagnostic(
        code=code,
        severity=Severity.ERROR,
        message=message,
        span=span,
        key_path=key_path,
        expected=expected,
        fix=fix,
        variant=variant,
        block=block,
    )
