"""One record for everything archspec tells a person: spec errors and lint findings alike.

Spec errors (codes ``E…``) and lint findings (``G…``, ``S…``, ``H…``) share :class:`Diagnostic`
so that one set of reporters (text, JSON, SARIF, GitHub annotations) renders both, and so that a
location is always a 1-based ``file:line:col`` as editors, SARIF and GitHub expect.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from archspec.codes import lookup


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
    """``('stages', 2, 'block', 'exp')`` → ``stages[2].block.exp`` (a long key cut with "…")."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{show_text(part)}" if out else show_text(str(part))
    return out


# --------------------------------------------------------------------------- user values

#: The longest string from a spec or config file that a message quotes whole.
MAX_SHOWN_CHARS = 60
#: Integers from here on are shown abbreviated (Python refuses int→str beyond 4,300 digits).
_BIG_INT = 10**20


def show_value(value: Any) -> str:
    """A value someone wrote (in a spec, a target or a config file) as a message quotes it.

    YAML spelling (``true``, ``null``, ``'gn'``), bounded whatever the value: a long string is cut,
    a huge integer abbreviated, a float given 4 significant digits (:func:`show_number`), a
    collection named. Every user value reaches a message through here or :func:`show_number`.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return show_number(value)
    if isinstance(value, str):
        if len(value) <= MAX_SHOWN_CHARS:
            return repr(value)
        quoted = repr(value[:MAX_SHOWN_CHARS])
        return f"{quoted[:-1]}…{quoted[-1]} ({len(value):,} characters)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def show_text(text: str) -> str:
    """A name from a spec (a key, a variant) for a message: whole up to 60 characters, else cut."""
    return text if len(text) <= MAX_SHOWN_CHARS else f"{text[:MAX_SHOWN_CHARS - 1]}…"


#: How alike a misspelt word and a candidate must be (difflib's ratio, 2·matches / total length)
#: for a "did you mean": 0.6, difflib's own default, catches one slip in a short word (`cnv` →
#: `conv`, `G01` → `G1`) and never offers an unrelated word.
SUGGESTION_CUTOFF = 0.6


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to the misspelt ``word``, or None when none is close enough
    (:data:`SUGGESTION_CUTOFF`). The word itself is never suggested. Every "did you mean" in
    archspec comes from here; the caller words the suggestion."""
    near = difflib.get_close_matches(word, [c for c in candidates if c != word], n=1,
                                     cutoff=SUGGESTION_CUTOFF)
    return near[0] if near else None


def show_figure(x: float) -> str:
    """A number inside a formula or a measurement: a whole number as is (a width: 16, 134),
    anything else to 4 significant digits (22.4, 0.3333, 8e-300); an integer too large for a
    float abbreviated as :func:`show_number` does."""
    if isinstance(x, int) and not -_BIG_INT < x < _BIG_INT:
        return show_number(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return show_number(int(x))
    return f"{x:.4g}"


def show_number(x: float, *, grouped: bool = False) -> str:
    """A number for a message: a float to 4 significant digits (``2.0`` keeps its ``.0``, it is
    not the integer 2; ``1e-300`` stays short), an integer whole up to 20 digits (``grouped``:
    with thousands separators, for counts) and beyond that as its abbreviated hexadecimal:
    ``0xfff…f (5,000 hex digits)``."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        if -_BIG_INT < x < _BIG_INT:
            return f"{x:,}" if grouped else str(x)
        digits = f"{abs(x):x}"  # linear, and not subject to the int→str limit
        return f"{'-' if x < 0 else ''}0x{digits[:3]}…{digits[-1]} ({len(digits):,} hex digits)"
    text = f"{x:.4g}"
    return f"{text}.0" if text.lstrip("-").isdigit() else text


#: Problems reported per file (docs/limits.md): past it, one E152 counts the rest.
MAX_DIAGNOSTICS = 100


def cap(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """At most MAX_DIAGNOSTICS problems (the first by position), then one E152 counting the rest
    by code: a one-line file of 60,000 mistakes is reported in a page, not 25 MB."""
    if len(diagnostics) <= MAX_DIAGNOSTICS:
        return diagnostics
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    shown, rest = ordered[:MAX_DIAGNOSTICS], ordered[MAX_DIAGNOSTICS:]
    counts: dict[str, int] = {}
    for d in rest:
        counts[d.code] = counts.get(d.code, 0) + 1
    by_code = ", ".join(f"{code} ×{n:,}" for code, n in sorted(counts.items()))
    note = error("E152", f"… and {len(rest):,} more problems not shown ({by_code}): archspec "
                 f"reports the first {MAX_DIAGNOSTICS} of a file", rest[0].span,
                 variant=rest[0].variant,
                 fix="fix the problems above (often one repeated mistake) and run again")
    return [*shown, replace(note, data={"omitted": len(rest), "by_code": counts})]


class SpecError(Exception):
    """A spec that cannot be loaded, resolved or built; carries every problem found at once
    (up to MAX_DIAGNOSTICS, see :func:`cap`)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: list[Diagnostic] = cap(sorted(diagnostics, key=Diagnostic.sort_key))
        if not self.diagnostics:
            raise ValueError("SpecError needs at least one diagnostic")
        super().__init__(self._summary())

    def _summary(self) -> str:
        lines = [f"{d.span}: {d.code} {d.message}" for d in self.diagnostics]
        return "\n".join(lines)


class WeightTransferError(ValueError):
    """Weights that do not line up with a model: a count or shape mismatch (``position``, the
    keys and shapes of the first difference), or, after a transfer from a module, outputs that
    differ from the source's (``ratio`` = max|Δ| / max|source output|)."""

    def __init__(self, message: str, *, position: int | None = None,
                 source_key: str | None = None, source_shape: tuple[int, ...] | None = None,
                 target_key: str | None = None, target_shape: tuple[int, ...] | None = None,
                 ratio: float | None = None):
        super().__init__(message)
        self.position = position
        self.source_key, self.source_shape = source_key, source_shape
        self.target_key, self.target_shape = target_key, target_shape
        self.ratio = ratio


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
    """A spec diagnostic with a code of the registry (:mod:`archspec.codes`): error severity, or
    info for a note code. An unregistered code raises KeyError, so no code reaches a user
    undocumented (decision 0018)."""
    return Diagnostic(
        code=code,
        severity=Severity.INFO if lookup(code).note else Severity.ERROR,
        message=message,
        span=span,
        key_path=key_path,
        expected=expected,
        fix=fix,
        variant=variant,
        block=block,
    )


def _groups(diagnostics: Iterable[Diagnostic], key: Callable[[Diagnostic], Hashable]
            ) -> list[list[Diagnostic]]:
    """The diagnostics that share ``key``, group by group, in the order first found."""
    groups: dict[Hashable, list[Diagnostic]] = {}
    for d in diagnostics:
        groups.setdefault(key(d), []).append(d)
    return list(groups.values())


def _same_report(d: Diagnostic) -> Hashable:
    return (d.code, d.span, d.message)


def dedupe(diagnostics: Iterable[Diagnostic],
           key: Callable[[Diagnostic], Hashable] = _same_report) -> list[Diagnostic]:
    """The first diagnostic of each ``key`` (default: the same code, place and message), in
    the order found. The one deduplication of archspec: :func:`merge_repeats` and
    :func:`merge_variants` group by it too."""
    return [same[0] for same in _groups(diagnostics, key)]


def _own_message(d: Diagnostic) -> str:
    """The message without the ``<block path>: `` that resolution errors start with."""
    return d.message.removeprefix(f"{d.block}: ") if d.block else d.message


def _first_to_last(what: str, names: list[str]) -> str:
    return f"[{len(names)} {what}: {names[0]} … {names[-1]}]"


def merge_repeats(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per place: the blocks of a stage template report the same problem at the
    same YAML line; they become one, naming every block (``data["blocks"]``). Findings merge when
    their messages agree; spec errors (E codes) by place alone, since their figures change from
    block to block (the first block's input width differs) while the mistake is one."""
    def place(d: Diagnostic) -> Hashable:
        what = (d.key_path,) if d.code.startswith("E") else (_own_message(d), d.fix, d.expected)
        return (d.code, d.severity, d.span, d.variant, *what)

    out = []
    for same in _groups(diagnostics, place):
        first = same[0]
        blocks = list(dict.fromkeys(d.block for d in same if d.block))
        if len(blocks) < 2:
            out.extend(dedupe(same))
            continue
        for d in [d for d in same if d.block == first.block]:  # the others repeat them
            out.append(replace(d, message=f"{d.message} {_first_to_last('blocks', blocks)}",
                               data={**d.data, "blocks": blocks}))
    return out


def merge_variants(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per mistake: an error that several variants report alike (a mistake in
    the base network, which they all inherit) is reported once, without a variant, naming the
    variants in ``data["variants"]``."""
    def mistake(d: Diagnostic) -> Hashable:
        return (d.code, d.severity, d.span, d.message, d.fix, d.expected, d.key_path, d.block)

    out = []
    for same in _groups(diagnostics, mistake):
        first = same[0]
        names = list(dict.fromkeys(str(d.variant) for d in same if d.variant is not None))
        if len(names) < 2:
            out.append(first)
            continue
        out.append(replace(first, variant=None,
                           message=f"{first.message} {_first_to_last('variants', names)}",
                           data={**first.data, "variants": names}))
    return out
