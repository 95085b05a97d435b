"""``[tool.archspec]`` in pyproject.toml: the lint configuration of a project, as ruff reads its own.

```toml
[tool.archspec]
target = "mobile-cpu"          # a shipped target name or a path (relative to this file)
select = ["G", "S", "H101"]    # codes, prefixes or rule names; default: the target's
ignore = ["S104"]              # added to the target's ignores

[tool.archspec.rules.G1]       # per-rule options over the target's
network_share = 0.03
```

The nearest pyproject.toml with a ``[tool.archspec]`` table, from the spec's directory upwards,
applies; without one the defaults do. Command-line ``--target`` and ``--select`` replace
``target`` and ``select``; ``--ignore`` adds to ``ignore`` (docs/configuration.md).

The table is validated by :class:`ConfigTable` (E174), its selectors (E173), its target name
(E170) and, when the rules run, each rule's options (E171, E172), every error at
``pyproject.toml:line:col``. tomllib keeps no positions, so :func:`toml_source` finds them in the
text: a small scanner for table headers, ``key =`` lines, arrays and inline tables, run on text
tomllib has already accepted.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archspec.diagnostics import (
    Diagnostic,
    Span,
    SpecError,
    error,
    format_key_path,
    show_text,
    show_value,
)
from archspec.rules.targets import is_target_path
from archspec.spec.source import Source

TABLE = ("tool", "archspec")
#: Nesting of arrays and tables inside ``[tool.archspec]`` (rule options are flat numbers).
MAX_DEPTH = 50


class ConfigTable(BaseModel):
    """The schema of ``[tool.archspec]`` (each ``rules`` entry is validated by its rule)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    target: str | None = Field(
        None, description="A shipped target name, or the path of a target file (relative to this "
        "pyproject.toml). Default: `default`.")
    select: list[str] | None = Field(
        None, description="Rules to run: codes, prefixes or rule names. Default: the target's.")
    ignore: list[str] = Field(
        default_factory=list, description="Rules not to run, added to the target's ignores.")
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-rule options over the target's, as "
        "`[tool.archspec.rules.<CODE>]` tables.")


KEYS = tuple(ConfigTable.model_fields)


@dataclass(frozen=True)
class Config:
    """A project's lint settings; ``path`` is the pyproject.toml they came from (None: defaults);
    ``source`` its text with positions (paths under ``tool.archspec``), to locate rule errors."""

    path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target: str | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Source | None = field(default=None, repr=False, compare=False)

    @property
    def where(self) -> str:
        return f"{self.path} [tool.archspec]" if self.path else "configuration"


def find_config(start: str | os.PathLike[str] | None = None) -> Config:
    """The configuration for a spec at (or a directory) ``start``: the nearest pyproject.toml with
    a ``[tool.archspec]`` table, walking up; empty defaults when there is none."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.exists():
            config = read_config(candidate)
            if config is not None:
                return config
    return Config()


def read_config(path: Path) -> Config | None:
    """The ``[tool.archspec]`` table of ``path``, validated; None when the file has none.

    Raises a SpecError: E100 (not a regular file, unreadable), E113 (over 1 MiB), E174 (not UTF-8,
    not TOML, nested too deeply, a malformed table), E173 (a selector that selects nothing), E170
    (an unknown target name), each at ``path:line:col``.
    """
    import tomllib

    from archspec.spec.source import read_file

    file = str(path)
    data = read_file(path, what="pyproject.toml")  # refuses FIFOs and devices, bounded
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col_of_byte(data, exc.start)
        raise _e174(f"{path.name} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                    Span(file, line, col), expected="a UTF-8 pyproject.toml (TOML is UTF-8)",
                    fix="save the file as UTF-8") from None
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        span = Span(file, int(found[1]), int(found[2])) if found else _end_of(file, text)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise _e174(f"{path.name} is not valid TOML: {reason}", span, expected="valid TOML",
                    fix="check the syntax at this position") from None
    except RecursionError:
        raise _e174(f"{path.name}: arrays or tables nested too deeply to read", Span(file, 1, 1),
                    expected=f"at most {MAX_DEPTH} levels of nesting",
                    fix="flatten the nested arrays or inline tables") from None
    tool = parsed.get("tool")
    if tool is None or (isinstance(tool, dict) and "archspec" not in tool):
        return None
    source = toml_source(file, text, parsed)
    if not isinstance(tool, dict):
        raise SpecError([_wrong_kind(source, ("tool",), tool)])
    table = tool["archspec"]
    if not isinstance(table, dict):
        raise SpecError([_wrong_kind(source, TABLE, table)])
    deep = _too_deep(table, TABLE)
    if deep is not None:
        named = tuple(p for p in deep if isinstance(p, str))  # the key, without 50 list indices
        raise _e174(f"`{_dotted(named)}` nests more than {MAX_DEPTH} levels deep",
                    source.span_of(deep), expected=f"at most {MAX_DEPTH} levels of nesting",
                    fix="rule options are numbers, strings and short lists")
    try:
        model = ConfigTable.model_validate(table)
    except ValidationError as exc:
        from archspec.spec.errors import translate
        from archspec.spec.located import Located

        problems = translate(exc, Located.at(table, TABLE), source, prefix=TABLE,
                             allowed=lambda p, d: list(KEYS) if not p else [])
        raise SpecError([replace(d, code="E174", block=None) for d in problems]) from None
    _check_names(model, source)
    target = model.target
    if target is not None and is_target_path(target):
        target = str((path.parent / target).resolve())
    return Config(path=path, select=tuple(model.select) if model.select is not None else None,
                  ignore=tuple(model.ignore), target=target, rules=dict(model.rules),
                  source=source)


def _check_names(model: ConfigTable, source: Source) -> None:
    """E173 for each selector that selects nothing, E170 for an unknown target name."""
    from archspec.rules.targets import _did_you_mean, list_targets, unknown_selector

    problems: list[Diagnostic] = []
    for key in ("select", "ignore"):
        for i, selector in enumerate(getattr(model, key) or ()):
            bad = unknown_selector(selector)
            if bad:
                problems.append(error(
                    "E173", f"`tool.archspec.{key}[{i}]`: {bad}", source.span_of((*TABLE, key, i)),
                    key_path=(*TABLE, key, i),
                    expected="ALL, a code (G1), a prefix (G, S1) or a rule name"))
    names = list_targets()
    if model.target is not None and not is_target_path(model.target) and names \
            and model.target not in names:
        problems.append(error(
            "E170", f"`tool.archspec.target`: no target named `{show_text(model.target)}`",
            source.span_of((*TABLE, "target")), key_path=(*TABLE, "target"),
            expected=", ".join(names),
            fix=_did_you_mean(model.target, names) or "give the path of a target file"))
    if problems:
        raise SpecError(problems)


def _e174(message: str, span: Span, **kw: Any) -> SpecError:
    return SpecError([error("E174", message, span, **kw)])


def _wrong_kind(source: Source, path: tuple[str, ...], value: Any) -> Diagnostic:
    from archspec.spec.errors import kind_of

    return error("E174", f"`{_dotted(path)}` must be a table, got {show_value(value)} "
                 f"({kind_of(value)}), so `[tool.archspec]` cannot be read",
                 source.span_of(path), key_path=path, expected="a table",
                 fix=f"write `[{_dotted(path)}]` as a table header with the settings below it")


def _dotted(path: tuple[str | int, ...]) -> str:
    return format_key_path(path)


def _too_deep(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path of the first value nested more than MAX_DEPTH below ``path``, else None."""
    stack = [(value, path, 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where
        if isinstance(node, dict):
            stack.extend((v, (*where, k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*where, i), depth + 1) for i, v in enumerate(node))
    return None


def _end_of(file: str, text: str) -> Span:
    """The position just after the last character (where an unclosed array ends the file)."""
    lines = text.split("\n")
    return Span(file, len(lines), len(lines[-1]) + 1)


def _line_col_of_byte(data: bytes, index: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, index) + 1
    start = data.rfind(b"\n", 0, index) + 1
    return line, len(data[start:index].decode("utf-8", "replace")) + 1


# ------------------------------------------------------------------------------ positions


def toml_source(file: str, text: str, data: dict[str, Any]) -> Source:
    """``text`` (valid TOML, already parsed into ``data``) as a :class:`Source`: the span of each
    key and value under ``[tool.archspec]`` (and of ``tool`` and ``tool.archspec`` themselves),
    so the spec's error translation and ``span_of`` locate configuration errors too."""
    scanner = _Scanner(text, file)
    with contextlib.suppress(IndexError, ValueError):  # on text tomllib accepted, a gap in
        scanner.run()  # the scanner only loses positions (span_of falls back to the parent)
    return Source(file, text, data, scanner.values, scanner.keys)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\r\n#]")


class _Scanner:
    """Positions of TOML keys and values, without building values (tomllib did that)."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.i = 0
        self.values: dict[tuple[str | int, ...], Span] = {}
        self.keys: dict[tuple[str | int, ...], Span] = {}
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.arrays: dict[tuple[str | int, ...], int] = {}  # [[array of tables]] counts

    def span(self, index: int) -> Span:
        line = bisect.bisect_right(self.starts, index)
        return Span(self.file, line, index - self.starts[line - 1] + 1)

    def wanted(self, path: tuple[str | int, ...]) -> bool:
        return path[: len(TABLE)] == TABLE[: len(path)]

    def mark(self, path: tuple[str | int, ...], starts: list[int], value_at: int | None = None
             ) -> None:
        """Spans for ``path`` whose last ``len(starts)`` parts were written at ``starts`` (a
        dotted key or a header also places its parents; the value, or else the key, is the
        value's span)."""
        if not self.wanted(path):
            return
        first = len(path) - len(starts)
        for end in range(1, len(path) + 1):
            at = starts[max(0, end - 1 - first)]
            self.keys.setdefault(path[:end], self.span(at))
            if end < len(path) or value_at is None:
                self.values.setdefault(path[:end], self.span(at))
        if value_at is not None:
            self.values.setdefault(path, self.span(value_at))

    def run(self) -> None:
        table: tuple[str | int, ...] = ()
        text = self.text
        while True:
            self.skip(newlines=True)
            if self.i >= len(text):
                return
            if text[self.i] == "[":
                many = text.startswith("[[", self.i)
                self.i += 2 if many else 1
                parts, starts = self.key()
                self.i = text.index("]]" if many else "]", self.i) + (2 if many else 1)
                table = tuple(parts)
                if many:
                    index = self.arrays.get(table, 0)
                    self.arrays[table] = index + 1
                    table = (*table, index)
                    starts = [*starts, starts[-1]]
                self.mark(table, starts)
            else:
                self.entry(table)
            self.skip()
            if self.i < len(text) and text[self.i] == "#":
                self.skip_comment()

    def entry(self, table: tuple[str | int, ...]) -> None:
        """``key = value`` inside ``table`` (a table header's or an inline table's path)."""
        parts, starts = self.key()
        path = (*table, *parts)
        self.i = self.text.index("=", self.i) + 1
        self.skip()
        self.mark(path, starts, self.i)
        self.value(path)

    def skip(self, *, newlines: bool = False) -> None:
        text = self.text
        while self.i < len(text):
            c = text[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif newlines and c == "#":
                self.skip_comment()
            else:
                return

    def skip_comment(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = len(self.text) if end < 0 else end

    def key(self) -> tuple[list[str], list[int]]:
        """A dotted key (``a."b c".d``): its parts and where each starts; stops before ``=``
        or ``]``."""
        parts: list[str] = []
        starts: list[int] = []
        while True:
            self.skip()
            starts.append(self.i)
            c = self.text[self.i]
            if c in "\"'":
                start = self.i
                self.string()
                import tomllib

                parts.append(tomllib.loads(f"k = {self.text[start:self.i]}")["k"])
            else:
                m = _BARE_KEY.match(self.text, self.i)
                if m is None:
                    raise ValueError("not a key")
                parts.append(m.group())
                self.i = m.end()
            self.skip()
            if self.i < len(self.text) and self.text[self.i] == ".":
                self.i += 1
                continue
            return parts, starts

    def string(self) -> None:
        text = self.text
        quote = text[self.i]
        if text.startswith(quote * 3, self.i):
            end = self.i + 3
            while True:
                end = text.index(quote * 3, end)
                if quote == '"' and _escaped(text, end):
                    end += 1
                    continue
                break
            self.i = end + 3
            while self.i < len(text) and text[self.i] == quote:  # up to two quotes end the body
                self.i += 1
            return
        end = self.i + 1
        while True:
            end = text.index(quote, end)
            if quote == '"' and _escaped(text, end):
                end += 1
                continue
            self.i = end + 1
            return

    def value(self, path: tuple[str | int, ...]) -> None:
        text = self.text
        c = text[self.i]
        if c in "\"'":
            self.string()
        elif c == "[":
            self.i += 1
            index = 0
            while True:
                self.skip(newlines=True)
                if text[self.i] == "]":
                    self.i += 1
                    return
                self.mark((*path, index), [self.i], self.i)
                self.value((*path, index))
                index += 1
                self.skip(newlines=True)
                if text[self.i] == ",":
                    self.i += 1
        elif c == "{":
            self.i += 1
            while True:
                self.skip()
                if text[self.i] == "}":
                    self.i += 1
                    return
                self.entry(path)
                self.skip()
                if text[self.i] == ",":
                    self.i += 1
        else:
            m = _SCALAR_END.search(text, self.i)
            self.i = len(text) if m is None else m.start()


def _escaped(text: str, index: int) -> bool:
    """Whether the quote at ``index`` is escaped (an odd number of backslashes before it)."""
    slashes = 0
    while index - slashes - 1 >= 0 and text[index - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1
