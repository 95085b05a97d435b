"""Where each key and value of ``[tool.archspec]`` is written in a pyproject.toml.

tomllib keeps no positions, so :func:`toml_source` finds them in the text: a small scanner for
table headers, ``key =`` lines, arrays and inline tables, run on text tomllib has already
accepted. The result is a :class:`~archspec.spec.source.Source`, so the spec's error translation
and ``span_of`` locate configuration errors as they locate spec errors.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from typing import Any

from archspec.diagnostics import Span
from archspec.spec.source import Source

TABLE = ("tool", "archspec")


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
