"""What a sweep keeps and ranks: constraints that filter rows, objectives that rank them, and
the Pareto front of the rows that pass.

A constraint is one comparison of a row's figure with a number (``params <= 5e6``), parsed
here by a small tokenizer and never handed to ``eval``: the text comes from the command line.
Its name is a column of the rows (:func:`figures`), checked before any candidate is evaluated,
so a typo costs nothing; problems are located (the flag as the file, the constraint's position
among the flags as the line, its column) and all reported at once.

An objective is a column minimised, or maximised when written ``max:NAME``. The front is the
set of feasible rows (status ok, every constraint holding, every objective a number) that no
other feasible row dominates (at least as good in every objective, better in one). Rows with
equal objectives do not dominate each other, so ties are all on the front.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, Span, SpecError, did_you_mean, error
from archspec.sweep.model import COUNTS, TOTALS

if TYPE_CHECKING:
    import pyarrow as pa

CONSTRAINT_FLAG = "--constraint"
OBJECTIVES_FLAG = "--objectives"
LATENCY = "latency_ms"

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
    "==": operator.eq, "!=": operator.ne,
}
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)
               (?:[eE][-+]?[0-9]+)?(?![A-Za-z0-9_.]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|>=|==|!=|<|>)
""", re.VERBOSE)
SHAPE = "NAME OP NUMBER, such as `params <= 5e6` (OP one of <=, <, >=, >, ==, !=)"


class InputError(SpecError):
    """Located problems with ``--constraint``/``--objectives``: ``sources`` holds each flag's
    text (one line per occurrence), so a renderer can show the line with a caret."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]):
        super().__init__(diagnostics)
        self.sources = dict(sources)


def figures(columns: Sequence[str], *, device: bool) -> list[str]:
    """The columns a constraint or objective may name, among ``columns`` (a sweep's row
    columns): the totals, ``latency_ms`` (with a device), the finding counts and rule codes."""
    allowed = {*TOTALS, *COUNTS, LATENCY}
    start = columns.index(COUNTS[-1]) + 1 if COUNTS[-1] in columns else len(columns)
    codes = list(columns[start:])
    return [c for c in columns if c in allowed and (device or c != LATENCY)] + \
        [c for c in codes if c not in allowed]


@dataclass(frozen=True)
class Constraint:
    """``column op value``: ``text`` as written, for messages and the summary."""

    column: str
    op: str
    value: float
    text: str

    def holds(self, row: Mapping[str, Any]) -> bool:
        """Whether ``row``'s figure passes; a missing figure (an error row) never does."""
        x = _value(row.get(self.column))
        return x is not None and _OPS[self.op](x, self.value)


@dataclass(frozen=True)
class Objective:
    """A column to minimise, or to maximise (``max:NAME``)."""

    column: str
    maximise: bool = False

    def __str__(self) -> str:
        return f"max:{self.column}" if self.maximise else self.column

    def key(self, value: float) -> float:
        """The value as a quantity to minimise."""
        return -value if self.maximise else value


def _value(x: object) -> float | None:
    """A figure as a number; None for anything else (missing, text, not finite)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def feasible(row: Mapping[str, Any], constraints: Iterable[Constraint]) -> bool:
    """An ok row that passes every constraint (an error row never is)."""
    return row.get("status") == "ok" and all(c.holds(row) for c in constraints)


# ----------------------------------------------------------------------------------- parsing


def parse_constraints(texts: Sequence[str], columns: Sequence[str], *, device: bool
                      ) -> list[Constraint]:
    """Every ``--constraint`` parsed against the rows' ``columns``; all problems at once
    (:class:`InputError`)."""
    names = figures(columns, device=device)
    found: list[Constraint] = []
    problems: list[Diagnostic] = []
    for line, text in enumerate(texts, start=1):
        result = _constraint(text, line, names)
        if isinstance(result, Constraint):
            found.append(result)
        else:
            problems.append(result)
    if problems:
        raise InputError(problems, {CONSTRAINT_FLAG: "\n".join(texts)})
    return found


def _tokens(text: str) -> list[tuple[str, str, int]] | tuple[str, int]:
    """(kind, text, 1-based column) of each token; or (the bad character, its column)."""
    out: list[tuple[str, str, int]] = []
    at = 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            return text[at], at + 1
        kind = m.lastgroup
        assert kind is not None
        if kind != "space":
            out.append((kind, m.group(), at + 1))
        at = m.end()
    return out


def _constraint(text: str, line: int, names: Sequence[str]) -> Constraint | Diagnostic:
    def bad(message: str, col: int, code: str = "E210", fix: str | None = None) -> Diagnostic:
        return error(code, message, Span(CONSTRAINT_FLAG, line, col), expected=SHAPE, fix=fix)

    tokens = _tokens(text)
    if isinstance(tokens, tuple):
        char, col = tokens
        fix = "write `==` to compare" if char == "=" else None
        return bad(f"unexpected `{char}` in the constraint `{text}`", col, fix=fix)
    if not tokens:
        return bad("an empty constraint", 1)
    kinds = [k for k, _, _ in tokens]
    if kinds[0] == "number" and len(kinds) == 3 and kinds[1:] == ["op", "name"]:
        return bad(f"the number comes first in `{text}`", 1,
                   fix=f"write the column first: `{tokens[2][1]} {_flip(tokens[1][1])} "
                       f"{tokens[0][1]}`")
    if kinds[0] != "name":
        return bad(f"`{text}` does not start with a column name", tokens[0][2])
    (_, name, name_col) = tokens[0]
    if len(tokens) < 2 or kinds[1] != "op":
        col = tokens[1][2] if len(tokens) > 1 else len(text) + 1
        return bad(f"no comparison after `{name}`", col)
    if len(tokens) < 3 or kinds[2] != "number":
        col = tokens[2][2] if len(tokens) > 2 else len(text) + 1
        what = f"`{tokens[2][1]}`" if len(tokens) > 2 else "nothing"
        return bad(f"expected a number after `{name} {tokens[1][1]}`, found {what}", col)
    if len(tokens) > 3:
        return bad(f"unexpected `{tokens[3][1]}` after the comparison", tokens[3][2],
                   fix="give one --constraint per condition (all must hold)")
    value = float(tokens[2][1].replace("_", ""))
    if not math.isfinite(value):
        return bad(f"`{tokens[2][1]}` is not a finite number", tokens[2][2])
    unknown = _unknown(name, names, Span(CONSTRAINT_FLAG, line, name_col))
    if unknown is not None:
        return unknown
    return Constraint(name, tokens[1][1], value, text.strip())


def _flip(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)


def _unknown(name: str, names: Sequence[str], span: Span) -> Diagnostic | None:
    """E211 when ``name`` is not one of ``names``, with a "did you mean"."""
    if name in names:
        return None
    if name == LATENCY:
        return error("E211", f"`{LATENCY}` needs a device profile", span,
                     fix="add --device DEVICE.json (from `archspec calibrate`)")
    near = name.upper() if name.upper() in names else did_you_mean(name, names)
    fix = f"did you mean `{near}`?" if near else None
    return error("E211", f"`{name}` is not a column of the results", span,
                 expected=_expected(names), fix=fix)


def _expected(names: Sequence[str]) -> str:
    totals = [n for n in names if n in TOTALS or n == LATENCY]
    codes = [n for n in names if n not in totals and n not in COUNTS]
    shown = ", ".join(codes[:4]) + (", …" if len(codes) > 4 else "")
    return (f"a total ({', '.join(totals)}), a count of findings ({', '.join(COUNTS)}), or a "
            f"rule's code for its count ({shown})")


def parse_objectives(text: str, columns: Sequence[str], *, device: bool) -> list[Objective]:
    """``latency_ms,max:params`` → objectives; all problems at once (:class:`InputError`)."""
    names = figures(columns, device=device)
    found: list[Objective] = []
    problems: list[Diagnostic] = []
    col = 1
    for item in text.split(","):
        at = col + len(item) - len(item.lstrip())
        word = item.strip()
        col += len(item) + 1
        prefix, _, name = word.rpartition(":")
        span = Span(OBJECTIVES_FLAG, 1, at)
        if not word:
            problems.append(error("E212", "an empty objective", span,
                                  expected="columns separated by commas, such as "
                                           "`latency_ms,params`"))
            continue
        if prefix not in ("", "min", "max"):
            problems.append(error("E212", f"`{prefix}:` is not a direction", span,
                                  expected="`max:NAME` to maximise, `NAME` (or `min:NAME`) "
                                           "to minimise"))
            continue
        unknown = _unknown(name, names, Span(OBJECTIVES_FLAG, 1, at + len(word) - len(name)))
        if unknown is not None:
            problems.append(unknown)
            continue
        if any(o.column == name for o in found):
            problems.append(error("E212", f"`{name}` is given twice", span))
            continue
        found.append(Objective(name, maximise=prefix == "max"))
    if problems:
        raise InputError(problems, {OBJECTIVES_FLAG: text})
    return found


def default_objectives(*, device: bool) -> list[Objective]:
    """Without ``--objectives``: predicted latency and parameters with a device, else
    multiply-accumulates and parameters."""
    return [Objective(LATENCY if device else "macs"), Objective("params")]


# ------------------------------------------------------------------------------------- front


def points(rows: Iterable[Mapping[str, Any]], objectives: Sequence[Objective],
           constraints: Collection[Constraint] = ()) -> list[tuple[float, ...] | None]:
    """Each row's objectives as quantities to minimise; None for a row that is not feasible or
    lacks a figure."""
    out: list[tuple[float, ...] | None] = []
    for row in rows:
        values = [_value(row.get(o.column)) for o in objectives]
        known = [v for v in values if v is not None]
        ok = len(known) == len(values) and feasible(row, constraints)
        out.append(tuple(o.key(v) for o, v in zip(objectives, known, strict=True))
                   if ok else None)
    return out


#: a constraint's operator as an Arrow compute function's name
_ARROW_OPS = {"<=": "less_equal", "<": "less", ">=": "greater_equal", ">": "greater",
              "==": "equal", "!=": "not_equal"}


def verdict(table: pa.Table, constraints: Sequence[Constraint],
            objectives: Sequence[Objective]) -> tuple[list[bool], list[int]]:
    """:func:`feasible` of every row and the :func:`pareto` front of a results table, computed
    column by column (a million rows take seconds, not minutes); the same answers as the row
    functions, which the tests check."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def figure(name: str) -> pa.ChunkedArray | None:
        """A column as finite numbers (null elsewhere); None when it holds no number."""
        if name not in table.column_names:
            return None
        column = table.column(name)
        if pa.types.is_floating(column.type):
            return pc.if_else(pc.is_finite(column), column, None)
        return column if pa.types.is_integer(column.type) else None

    mask = pc.equal(table.column("status"), "ok") if "status" in table.column_names else \
        pa.chunked_array([pa.array([False] * table.num_rows, pa.bool_())])
    for c in constraints:
        column = figure(c.column)
        holds = (pc.call_function(_ARROW_OPS[c.op], [column, pa.scalar(c.value)])
                 if column is not None else pa.array([False] * table.num_rows, pa.bool_()))
        mask = pc.and_(mask, pc.fill_null(holds, False))
    mask = pc.fill_null(mask, False)
    ok = mask.to_pylist()
    candidates = mask
    columns = []
    for o in objectives:
        column = figure(o.column)
        if column is None:
            return ok, []
        candidates = pc.and_(candidates, pc.is_valid(column))
        columns.append(column)
    rows = pc.indices_nonzero(pc.fill_null(candidates, False))
    values = [[o.key(float(v)) for v in column.take(rows).to_pylist()]
              for o, column in zip(objectives, columns, strict=True)]
    kept = front(list(zip(*values, strict=True)))
    where = rows.to_pylist()
    return ok, [where[i] for i in kept]


def pareto(rows: Sequence[Mapping[str, Any]], objectives: Sequence[Objective],
           constraints: Collection[Constraint] = ()) -> list[int]:
    """The indices (into ``rows``, ascending) of the feasible rows no other feasible row
    dominates."""
    return front(points(rows, objectives, constraints))


def front(values: Sequence[tuple[float, ...] | None]) -> list[int]:
    """The indices of the non-dominated points (all minimised; None: not a candidate).

    Points are visited in lexicographic order, so a point can only be dominated by one visited
    before it, and a point on the front is never dominated by a later one: the front only grows.
    Two objectives: one pass keeping the best second objective seen (O(n log n)); more: each
    point checked against the front so far (O(n·front)).
    """
    ranked = sorted(((p, i) for i, p in enumerate(values) if p is not None))
    if not ranked:
        return []
    kept = _front2(ranked) if len(ranked[0][0]) == 2 else _front_n(ranked)
    return sorted(kept)


def _front2(ranked: list[tuple[tuple[float, ...], int]]) -> list[int]:
    """Sorted by (a, b), a point is dominated by an earlier one with a smaller ``a`` and ``b``
    no larger, or the same ``a`` and a smaller ``b``: so within a run of equal ``a`` only the
    points with the run's least ``b`` can be on the front, and they are when that ``b`` is below
    every earlier run's."""
    kept: list[int] = []
    best = math.inf
    start = 0
    while start < len(ranked):
        (a, least), _ = ranked[start]
        end = start
        while end < len(ranked) and ranked[end][0][0] == a:
            end += 1
        if least < best:
            kept.extend(i for (_, b), i in ranked[start:end] if b == least)
            best = least
        start = end
    return kept


def _front_n(ranked: list[tuple[tuple[float, ...], int]]) -> list[int]:
    kept: list[tuple[tuple[float, ...], int]] = []
    for p, i in ranked:
        if not any(_dominates(q, p) for q, _ in kept):
            kept.append((p, i))
    return [i for _, i in kept]


def _dominates(q: tuple[float, ...], p: tuple[float, ...]) -> bool:
    return q != p and all(a <= b for a, b in zip(q, p, strict=True))
