"""Skip conditions: a tiny expression language over a candidate's axis values, parsed, never run.

A space file's ``skip:`` entries (``stages.s3.depth > 8 and input.size == 256``) are parsed with
Python's :mod:`ast` and checked against a whitelist before anything is evaluated: comparisons
(``== != < <= > >=``, ``in``/``not in`` a list of literals), ``and``/``or``/``not``,
``+ - * / // %`` and unary ``-``/``+`` on numbers, number, string and boolean literals
(``true``/``false`` as well as ``True``/``False``), and axis paths as names. Anything else — a
call, an attribute that is not an axis, a subscript, ``**``, a lambda — is refused with the column
of the offending node. Checked once, a condition becomes a tree of small closures, so a sweep
evaluates it in microseconds per candidate.

Axis paths are not Python names (a stage may be called ``s-3``, a field ``global``), so the
known paths are swapped for placeholders before parsing, and columns mapped back for messages.
Types are checked statically from each axis's values: arithmetic and ordering only on numbers
(ordering on two strings too), so no condition can raise a TypeError or build a huge string at
sampling time. An arithmetic error while evaluating (a division by zero) makes the condition
false: the combination is kept. Conditions are bounded: at most :data:`MAX_CHARS` characters.
"""

from __future__ import annotations

import ast
import operator
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archspec.diagnostics import did_you_mean

#: the longest condition accepted: far above any real one, small enough to parse at once
MAX_CHARS = 500

#: what a value can be, as far as the checker cares
NUMBER, STRING, BOOL, OTHER = "number", "string", "bool", "other"

Values = Mapping[str, Any]
Condition = Callable[[Values], bool]


class SkipProblem(Exception):
    """A condition that is not in the language: what is wrong, the 0-based column, and a fix."""

    def __init__(self, message: str, col: int = 0, fix: str | None = None,
                 unknown: str | None = None):
        super().__init__(message)
        self.message, self.col, self.fix = message, col, fix
        #: the name that is not an axis, when that is the problem
        self.unknown = unknown


@dataclass(frozen=True)
class Skip:
    """One checked condition: its text and the predicate it compiled to."""

    text: str
    test: Condition

    def __call__(self, values: Values) -> bool:
        try:
            return self.test(values)
        except ArithmeticError:  # a division by zero, a float that overflows: not skipped
            return False


def kind_of(values: Sequence[Any]) -> str:
    """The kind of an axis from its values: one kind for all of them, else OTHER."""
    kinds = {_kind(v) for v in values}
    return kinds.pop() if len(kinds) == 1 else OTHER


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    return STRING if isinstance(value, str) else OTHER


# ------------------------------------------------------------------------------ parsing


_STRING = re.compile(r"""'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*\"""")
_NAME = "_axis{}_"


def compile_skip(text: str, kinds: Mapping[str, str]) -> Skip:
    """``text`` checked and compiled; ``kinds``: every axis a condition may name, with its kind
    (a ``stages.*`` axis is not among them). Raises :class:`SkipProblem`."""
    if len(text) > MAX_CHARS:
        raise SkipProblem(f"condition of {len(text):,} characters; at most {MAX_CHARS}", 0,
                          "split it into several `skip:` entries")
    if not text.strip():
        raise SkipProblem("empty condition", 0, "write a comparison such as "
                          "`stages.s3.depth > 8`, or remove the entry")
    wildcard = re.search(r"(?<![\w.])stages\.\*", _STRING.sub(lambda m: " " * len(m.group()), text))
    if wildcard:
        raise SkipProblem("a condition cannot name a `stages.*` axis", wildcard.start(),
                          "give the stage its own axis, or tie one to the other")
    paths = list(kinds)
    code, shifts = _substitute(text, paths)
    try:
        with warnings.catch_warnings():  # Python's own warnings ("invalid decimal literal")
            warnings.simplefilter("ignore")
            tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError as exc:
        col = _column(shifts, (exc.offset or 1) - 1 + (len(code) - len(code.lstrip())))
        raise SkipProblem(f"not a condition: {exc.msg}", col,
                          "write comparisons of axis paths and literals joined by "
                          "and/or/not") from None
    except (ValueError, RecursionError, MemoryError):
        raise SkipProblem("not a condition: nested too deeply", 0) from None
    lead = len(code) - len(code.lstrip())
    checker = _Checker(text, paths, kinds, shifts, lead)
    kind, test = checker.visit(tree.body)
    if kind != BOOL:
        raise SkipProblem("a condition must be true or false, not a " + kind,
                          checker.col(tree.body), "compare it: `... > 0`, `... == 'attn'`")
    return Skip(text, _as_bool(test))


def _as_bool(test: Callable[[Values], Any]) -> Condition:
    return lambda v: bool(test(v))


def _substitute(text: str, paths: Sequence[str]) -> tuple[str, list[tuple[int, int, int, int]]]:
    """``text`` with each axis path (outside string literals) replaced by a placeholder name, and
    the replacements as (new start, new length, old start, old length)."""
    if not paths:
        return text, []
    ordered = sorted(range(len(paths)), key=lambda i: -len(paths[i]))
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(paths[i]) for i in ordered)
                         + r")(?![\w.])")
    index = {p: i for i, p in enumerate(paths)}
    out: list[str] = []
    shifts: list[tuple[int, int, int, int]] = []
    pos, new_len = 0, 0

    def plain(segment: str, start: int) -> None:
        nonlocal new_len
        last = 0
        for m in pattern.finditer(segment):
            out.append(segment[last:m.start()])
            new_len += m.start() - last
            name = _NAME.format(index[m.group()])
            shifts.append((new_len, len(name), start + m.start(), len(m.group())))
            out.append(name)
            new_len += len(name)
            last = m.end()
        out.append(segment[last:])
        new_len += len(segment) - last

    for m in _STRING.finditer(text):
        plain(text[pos:m.start()], pos)
        out.append(m.group())
        new_len += len(m.group())
        pos = m.end()
    plain(text[pos:], pos)
    return "".join(out), shifts


def _column(shifts: Sequence[tuple[int, int, int, int]], col: int) -> int:
    """A column of the substituted text as a column of the condition as written (inside a
    placeholder: the start of its path)."""
    delta = 0
    for new_start, new_len, old_start, old_len in shifts:
        if col < new_start:
            break
        if col < new_start + new_len:
            return old_start
        delta += new_len - old_len
    return max(col - delta, 0)


_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
_EQUAL: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne}
_WORDS = {"true": True, "false": False, "True": True, "False": False}

Compiled = tuple[str, Callable[[Values], Any]]


class _Checker:
    """Checks a parsed condition node by node and compiles it into closures."""

    def __init__(self, text: str, paths: Sequence[str], kinds: Mapping[str, str],
                 shifts: Sequence[tuple[int, int, int, int]], lead: int):
        self.text, self.paths, self.kinds, self.shifts, self.lead = text, paths, kinds, shifts, lead

    def col(self, node: ast.AST) -> int:
        return _column(self.shifts, getattr(node, "col_offset", 0) + self.lead)

    def refuse(self, node: ast.AST, message: str, fix: str | None = None) -> SkipProblem:
        return SkipProblem(message, self.col(node), fix)

    def visit(self, node: ast.expr) -> Compiled:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            raise self.unknown(node)
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return BOOL, lambda v: all(p(v) for p in parts)
            return BOOL, lambda v: any(p(v) for p in parts)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.List | ast.Tuple):  # a list value: `dw_k == [3, 5]`
            items = self.literals(node)
            return OTHER, lambda v: items
        raise self.refuse(node, f"`{self.source(node)}` is not allowed in a condition",
                          "use comparisons, and/or/not, + - * / // %, literals and axis paths")

    def truth(self, node: ast.expr) -> Callable[[Values], Any]:
        """An operand of and/or/not: true or false itself (no number's or string's truth)."""
        kind, test = self.visit(node)
        if kind != BOOL:
            raise self.refuse(node, f"`{self.source(node)}` is a {kind}, not true or false",
                              "compare it: `... > 0`, `... == 'attn'`")
        return test

    def source(self, node: ast.AST) -> str:
        start = self.col(node)
        end = _column(self.shifts, getattr(node, "end_col_offset", start) + self.lead)
        return self.text[start:max(end, start + 1)][:40]

    def constant(self, node: ast.Constant) -> Compiled:
        value = node.value
        kind = _kind(value)
        if kind == OTHER:
            raise self.refuse(node, f"literal {value!r} is not allowed",
                              "use numbers, strings, true or false")
        return kind, lambda v: value

    def name(self, node: ast.Name) -> Compiled:
        if node.id in _WORDS:
            flag = _WORDS[node.id]
            return BOOL, lambda v: flag
        m = re.fullmatch(r"_axis(\d+)_", node.id)
        if m is None or int(m.group(1)) >= len(self.paths):
            raise self.unknown(node)
        path = self.paths[int(m.group(1))]
        return self.kinds[path], lambda v: v[path]

    def unknown(self, node: ast.expr) -> SkipProblem:
        written = self.source(node)
        near = did_you_mean(written, self.paths)
        problem = self.refuse(node, f"`{written}` is not an axis of this space",
                              f"did you mean `{near}`?" if near else
                              "name an axis of `space:` (" + ", ".join(self.paths[:8]) + ")"
                              if self.paths else "the space has no axis a condition can name")
        problem.unknown = written
        return problem

    def unary(self, node: ast.UnaryOp) -> Compiled:
        if isinstance(node.op, ast.Not):
            test = self.truth(node.operand)
            return BOOL, lambda v: not test(v)
        kind, inner = self.visit(node.operand)
        if isinstance(node.op, ast.USub | ast.UAdd):
            if kind != NUMBER:
                raise self.refuse(node, f"`{self.source(node)}`: a sign needs a number")
            if isinstance(node.op, ast.USub):
                return NUMBER, lambda v: -inner(v)
            return NUMBER, inner
        raise self.refuse(node, f"`{self.source(node)}`: operator not allowed")

    def binary(self, node: ast.BinOp) -> Compiled:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.refuse(node, f"`{self.source(node)}`: only + - * / // % are allowed")
        (lk, left), (rk, right) = self.visit(node.left), self.visit(node.right)
        if lk != NUMBER or rk != NUMBER:
            raise self.refuse(node, f"`{self.source(node)}`: arithmetic needs numbers on both "
                              f"sides (got a {lk} and a {rk})")
        return NUMBER, lambda v: op(left(v), right(v))

    def compare(self, node: ast.Compare) -> Compiled:
        kind, first = self.visit(node.left)
        steps: list[Callable[[Values, Any], tuple[bool, Any]]] = []
        for cmp, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(cmp, ast.In | ast.NotIn):
                steps.append(self.membership(cmp, right_node))
                kind = OTHER
                continue
            rkind, right = self.visit(right_node)
            if type(cmp) in _EQUAL:
                op = _EQUAL[type(cmp)]
            elif type(cmp) in _ORDER and kind == rkind and kind in (NUMBER, STRING):
                op = _ORDER[type(cmp)]
            elif type(cmp) in _ORDER:
                raise self.refuse(node, f"`{self.source(node)}`: `<`, `<=`, `>`, `>=` compare "
                                  f"two numbers or two strings (got a {kind} and a {rkind})")
            else:
                raise self.refuse(node, f"`{self.source(node)}`: operator not allowed",
                                  "use == != < <= > >= in, not in")
            steps.append(_step(op, right))
            kind = rkind

        def test(v: Values) -> bool:
            left = first(v)
            for step in steps:
                ok, left = step(v, left)
                if not ok:
                    return False
            return True

        return BOOL, test

    def membership(self, cmp: ast.cmpop, node: ast.expr
                   ) -> Callable[[Values, Any], tuple[bool, Any]]:
        if not isinstance(node, ast.List | ast.Tuple | ast.Set):
            raise self.refuse(node, "`in` takes a list of literals: `input.size in [224, 256]`")
        items = self.literals(node)
        inside = isinstance(cmp, ast.In)
        return lambda v, left: ((left in items) == inside, items)


    def literals(self, node: ast.List | ast.Tuple | ast.Set) -> list[Any]:
        """The items of a list written in a condition: numbers, strings, booleans only."""
        items = []
        for item in node.elts:
            if not isinstance(item, ast.Constant) or _kind(item.value) == OTHER:
                raise self.refuse(item, "a list in a condition holds literals (numbers, "
                                  "strings, true, false)")
            items.append(item.value)
        return items


def _step(op: Callable[[Any, Any], bool], right: Callable[[Values], Any]
          ) -> Callable[[Values, Any], tuple[bool, Any]]:
    def step(v: Values, left: Any) -> tuple[bool, Any]:
        value = right(v)
        return op(left, value), value

    return step
