"""Turn spec YAML into plain Python data with exact source locations, or refuse it with located errors.

This is the only place archspec touches YAML. It exists so that everything downstream can rely on
three things: the data is plain (``dict``/``list``/``str``/``int``/``float``/``bool``/``None``, never
an object PyYAML constructed), every value and key has a 1-based ``file:line:col``, and every
malformed input ends as a :class:`~archspec.diagnostics.SpecError` rather than a traceback.

Three modules do the work, one job each: this one reads and decodes the file (a regular file,
at most 1 MiB, UTF-8, printable) and holds the result as a :class:`Source`;
:mod:`archspec.spec.yaml_nodes` composes the YAML into nodes with a resolver that resolves
nothing; :mod:`archspec.spec.yaml_data` types the scalars by the YAML 1.2 core schema and builds
the plain data and its spans. Their error codes are E100–E113, the ``loader`` codes of the
registry (:mod:`archspec.codes`, listed in docs/spec.md).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, BinaryIO

from archspec.diagnostics import Span, SpecError, show_value
from archspec.spec.yaml_data import Converter
from archspec.spec.yaml_nodes import BREAK, KeyPath, check_directives, compose, one_error

__all__ = ["MAX_BYTES", "Source", "open_regular", "parse_source", "read_file", "read_source"]

MAX_BYTES = 1 << 20  # 1 MiB: far above any real spec, small enough to parse instantly

# Characters YAML forbids in a stream (same set as PyYAML's reader and libyaml).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A loaded spec file: its text, its plain data, and where every value and key came from.

    ``value_spans`` maps a key path (mapping keys as strings, sequence items as ints) to the span
    of the value node; ``()`` is the root mapping, i.e. where the document's content starts.
    ``key_spans`` maps the path of every mapping entry to the span of its key.
    """

    file: str
    text: str
    data: dict[str, Any]
    value_spans: Mapping[KeyPath, Span]
    key_spans: Mapping[KeyPath, Span]

    def __repr__(self) -> str:  # the text and data can be a megabyte, or hold a huge integer
        return f"Source({show_value(self.file)}, {len(self.text):,} characters)"

    def span_of(self, path: KeyPath) -> Span:
        """Span of the value at ``path``, or of its nearest ancestor that exists.

        Errors about missing or derived values still need a location; the closest enclosing
        node is the most useful one to show.
        """
        path = tuple(path)
        for end in range(len(path), -1, -1):
            span = self.value_spans.get(path[:end])
            if span is not None:
                return span
        return Span(self.file, 1, 1)

    def key_span_of(self, path: KeyPath) -> Span:
        """Span of the key of the entry at ``path`` (best for 'unknown key' errors), else span_of."""
        path = tuple(path)
        span = self.key_spans.get(path)
        return span if span is not None else self.span_of(path)

    def line_text(self, line: int) -> str:
        """Source line ``line`` (1-based) without its line break, '' if out of range."""
        if 1 <= line <= len(self._lines):
            return self._lines[line - 1]
        return ""

    @cached_property
    def _lines(self) -> list[str]:
        return BREAK.split(self.text)


def read_source(path: str | os.PathLike[str], *, what: str = "spec file") -> Source:
    """Read and parse a spec file; the path as given is the file name shown in every span."""
    return parse_source(read_file(path, what=what), os.fsdecode(path))


def read_file(path: str | os.PathLike[str], *, what: str = "spec file",
              limit: int = MAX_BYTES) -> bytes:
    """The bytes of the user-named regular file ``path``, at most ``limit`` (E113 beyond).

    The one way archspec reads a file someone named (a spec, a target, a pyproject.toml, a file
    a snippet is shown from): anything but a regular file is refused with E100 before it can
    block (a FIFO, a device, a socket, a directory), and the read is bounded.
    """
    display = os.fsdecode(path)
    with open_regular(path, what=what) as handle:
        _check_size(os.fstat(handle.fileno()).st_size, display, limit)
        data = handle.read(limit + 1)
    _check_size(len(data), display, limit)  # a file that grew, or one whose size lies (/proc)
    return data


_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"))


def open_regular(path: str | os.PathLike[str], *, what: str = "spec file") -> BinaryIO:
    """Open the user-named ``path`` for reading in binary, refusing anything but a regular file.

    ``stat`` first, so a device or a FIFO is never opened; then open without blocking
    (``O_NONBLOCK``: a FIFO swapped in after the ``stat`` opens at once) and check the handle
    itself, so the file read is the file checked. Raises a SpecError (E100) naming the problem.
    """
    display = os.fsdecode(path)

    def refuse(message: str, expected: str, fix: str) -> SpecError:
        return one_error("E100", message, Span(display, 1, 1), expected=expected, fix=fix)

    def check(mode: int) -> None:
        if stat.S_ISREG(mode):
            return
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        fix = ("pass the path of a file inside it" if stat.S_ISDIR(mode)
               else "pass the path of a regular file (write the data to a file first)")
        raise refuse(f"{display} is {kind}, not a file", f"a {what}", fix)

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        check(os.stat(path).st_mode)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
        try:
            check(os.fstat(fd).st_mode)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
    except FileNotFoundError:
        raise refuse(f"file not found: {display}", f"an existing {what}",
                     "check the path and the current directory") from None
    except PermissionError:
        raise refuse(f"permission denied reading {display}", f"a readable {what}",
                     "check the file's permissions") from None
    except OSError as exc:
        raise refuse(f"cannot read {display}: {exc.strerror or exc}", f"a readable {what}",
                     "check the path") from None
    except ValueError as exc:  # an embedded NUL: no such file can exist
        raise refuse(f"cannot read {display!r}: {exc}", f"the path of a {what}",
                     "check the path") from None


def parse_source(text: str | bytes, file: str = "<string>") -> Source:
    """Parse spec YAML from text or bytes; raise :class:`SpecError` for anything malformed."""
    if isinstance(text, bytes | bytearray | memoryview):
        text = _decode(bytes(text), file)
    else:
        text = text.removeprefix("\ufeff")
        _check_size(len(text.encode("utf-8", "surrogatepass")), file)
    _check_printable(text, file)
    check_directives(text, file)
    root = compose(text, file)
    data, value_spans, key_spans = Converter(file).convert_root(root, text)
    return Source(file, text, data, value_spans, key_spans)


# --------------------------------------------------------------------------------------------
# Text-level checks
# --------------------------------------------------------------------------------------------


def _check_size(size: int, file: str, limit: int = MAX_BYTES) -> None:
    """Refuse oversized input before any parsing (E113): a spec is never anywhere near 1 MiB."""
    if size > limit:
        what = "1 MiB" if limit == MAX_BYTES else f"{limit:,} bytes"
        raise one_error("E113", f"file is larger than {what} ({size:,} bytes)", Span(file, 1, 1),
                   expected=f"a file of at most {what}",
                   fix="check that this is really a spec file; split huge specs")


def _decode(data: bytes, file: str) -> str:
    """Decode UTF-8 (an optional BOM is dropped), pointing at the first byte that is not (E101)."""
    _check_size(len(data), file)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data[: exc.start].decode("utf-8"), exc.start)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            what = "UTF-16 text, not UTF-8"
        elif b"\x00" in data:
            what = "binary data, not a text file"
        else:
            what = "not valid UTF-8"
        raise one_error("E101", f"{what}: byte 0x{data[exc.start]:02x} cannot be decoded as UTF-8",
                   Span(file, line, col), expected="a UTF-8 encoded YAML text file",
                   fix="save the file as UTF-8 (or check that it is a spec at all)") from None


def _check_printable(text: str, file: str) -> None:
    """Refuse NUL and other control characters (E101) before PyYAML's reader sees them."""
    match = _NON_PRINTABLE.search(text)
    if match is None:
        return
    char = match.group()
    line, col = _line_col(text, match.start())
    if char == "\x00":
        message = "NUL byte in the file (binary data, not a text file)"
    else:
        message = f"control character U+{ord(char):04X} is not allowed in YAML"
    raise one_error("E101", message, Span(file, line, col), expected="printable UTF-8 text",
               fix="remove the character, or check that this is a text file")


#: The lines that can hold directives: blank lines, comments and `%` lines opening the stream.

def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting breaks the way YAML does."""
    line, start = 1, 0
    for match in BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


