"""The YAML line a diagnostic points at, with a caret under its column.

Lines are read back from the files the diagnostics name (once per file), through
:meth:`Source.line_text` so that line breaks are counted exactly as the loader counted them. Files
that failed to load (not UTF-8, binary) are decoded with replacement characters: the snippet is for
people, and the column is what matters.
"""

from __future__ import annotations

from collections.abc import Mapping

from archspec.diagnostics import SpecError
from archspec.spec.source import Source, read_file

MAX_WIDTH = 100  # longer lines are shown as a window around the column


class SourceLines:
    """Source text of the files diagnostics name, read lazily; ``known`` sources are used as is."""

    def __init__(self, known: Mapping[str, Source] | None = None) -> None:
        self._sources: dict[str, Source | None] = dict(known or {})

    def line(self, file: str, line: int) -> str:
        source = self._sources.get(file, ...)
        if source is ...:
            source = self._sources[file] = _read(file)
        return source.line_text(line) if source is not None else ""


def _read(file: str) -> Source | None:
    if file.startswith("<"):  # "<string>", "<unknown>": nothing on disk
        return None
    try:  # never block on a FIFO swapped in since loading, never read more than the loader did
        data = read_file(file)
    except SpecError:
        return None
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return Source(file, text, {}, {}, {})


def caret(text: str, col: int) -> tuple[str, str]:
    """(line as shown, caret line) with the caret under 1-based ``col``.

    Control characters are shown as ``�`` so the terminal shows what the file holds and the caret
    stays aligned; tabs are kept in both lines so they expand alike. A line longer than
    ``MAX_WIDTH`` is cut to a window around the column *before* anything else is done with it,
    so the cost of a snippet does not grow with the line (a one-line 1 MiB file can carry
    thousands of findings).
    """
    index = max(col - 1, 0)
    head = tail = ""
    if len(text) > MAX_WIDTH:
        start = max(0, min(index - MAX_WIDTH // 2, len(text) - MAX_WIDTH))
        end = start + MAX_WIDTH
        head, tail = ("…" if start else ""), ("…" if end < len(text) else "")
        text = text[start:end]
        index = index - start + len(head)
    shown = head + "".join(c if c == "\t" or c.isprintable() else "\ufffd" for c in text) + tail
    pad = "".join("\t" if c == "\t" else " " for c in shown[:index])
    return shown, pad + " " * max(0, index - len(shown)) + "^"
