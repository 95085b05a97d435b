"""Turn spec YAML into plain Python data with exact source locations, or refuse it with located errors.

This is the only place archspec touches YAML. It exists so that everything downstream can rely on
three things: the data is plain (``dict``/``list``/``str``/``int``/``float``/``bool``/``None``, never
an object PyYAML constructed), every value and key has a 1-based ``file:line:col``, and every
malformed input ends as a :class:`~archspec.diagnostics.SpecError` rather than a traceback.

PyYAML is used only to *compose* a node graph with a resolver that resolves nothing; scalars are
then typed here by the YAML 1.2 core schema (so ``1e-3`` is a float, which PyYAML's 1.1 resolver
gets wrong) and YAML 1.1 booleans such as ``yes``/``on`` are refused instead of guessed at.

Error codes raised here:

* E100 file not found or unreadable
* E101 not UTF-8 text (invalid byte, NUL or other control character)
* E102 empty document (nothing, only comments, or ``null``)
* E103 YAML syntax error (also undefined or duplicate anchors)
* E104 more than one YAML document
* E105 top level is not a mapping
* E106 duplicate key in a mapping
* E107 explicit YAML tag (``!!python/...``, ``!foo``, ``!!int`` ...); only ``!!str``, ``!!map``,
  ``!!seq`` are tolerated because they change nothing
* E108 too many nodes, as written or after alias expansion (alias bomb); recursive alias
* E109 nesting deeper than 50 levels
* E110 non-finite number (``.inf``, ``.nan``, or a float that overflows)
* E111 YAML 1.1 boolean word (``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` ...) used unquoted
* E112 mapping key that is not a scalar, or an empty key
* E113 file larger than 1 MiB
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, BinaryIO

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from archspec.diagnostics import (
    Diagnostic,
    Span,
    SpecError,
    dedupe,
    error,
    show_text,
    show_value,
)

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "KeyPath",
    "Source",
    "open_regular",
    "parse_source",
    "read_file",
    "read_source",
]

KeyPath = tuple[str | int, ...]

MAX_BYTES = 1 << 20  # 1 MiB: far above any real spec, small enough to parse instantly
MAX_NODES = 100_000  # nodes after alias expansion; a real spec has a few thousand at most
MAX_DEPTH = 50  # nested mappings/sequences; a real spec needs fewer than ten

# --------------------------------------------------------------------------------------------
# Tags. The resolver below marks implicitly-typed plain scalars with a private tag, so that an
# explicit tag written in the file can always be told apart from what resolution produced.
# --------------------------------------------------------------------------------------------

_PLAIN_TAG = "tag:archspec,2024:plain"
_STR_TAG = BaseResolver.DEFAULT_SCALAR_TAG
_MAP_TAG = BaseResolver.DEFAULT_MAPPING_TAG
_SEQ_TAG = BaseResolver.DEFAULT_SEQUENCE_TAG
_ALLOWED_TAGS = frozenset({_PLAIN_TAG, _STR_TAG, _MAP_TAG, _SEQ_TAG})


class _PlainMarkingResolver(BaseResolver):
    """Resolve nothing: tag untagged plain scalars ``_PLAIN_TAG`` and leave typing to us.

    Quoted and block scalars get the default ``str`` tag, collections their default tags, so any
    other tag on a node must have been written explicitly in the file.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)


class _PyLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _PlainMarkingResolver,
):
    """Pure-Python composer, used only where PyYAML was built without libyaml."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _PlainMarkingResolver.__init__(self)


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

if _CParser is not None:

    class _CLoader(_CParser, _PlainMarkingResolver):  # type: ignore[misc, valid-type]
        """libyaml composer (fast path); it calls our ``resolve`` for every node."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _PlainMarkingResolver.__init__(self)

    _LOADER: type = _CLoader
else:  # pragma: no cover - depends on how PyYAML was built
    _LOADER = _PyLoader

# --------------------------------------------------------------------------------------------
# YAML 1.2 core schema, for plain scalars only.
# --------------------------------------------------------------------------------------------

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_BOOLS = frozenset(
    ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"]
)
_INT_DEC = re.compile(r"[-+]?[0-9]+")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# The spec's .nan has no sign; a signed one is refused as non-finite too rather than read as text.
_NON_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)")
_NUMBER_START = frozenset("0123456789+-.")

# Characters YAML forbids in a stream (same set as PyYAML's reader and libyaml).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Line breaks as YAML (and so PyYAML marks) count them.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

_ALIAS_AT = re.compile(r"\*[^\s,\[\]{}]+")

_UNSET = object()
_TOO_MANY_DIGITS = object()  # a decimal integer beyond Python's int→str limit (4,300 digits)


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
        return _BREAK.split(self.text)


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
        return _one("E100", message, Span(display, 1, 1), expected=expected, fix=fix)

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
    _check_directives(text, file)
    root = _compose(text, file)
    data, value_spans, key_spans = _Converter(file).convert_root(root, text)
    return Source(file, text, data, value_spans, key_spans)


# --------------------------------------------------------------------------------------------
# Text-level checks
# --------------------------------------------------------------------------------------------


def _one(code: str, message: str, span: Span, **kw: Any) -> SpecError:
    """A SpecError carrying a single diagnostic (for problems that stop loading)."""
    return SpecError([error(code, message, span, **kw)])


def _check_size(size: int, file: str, limit: int = MAX_BYTES) -> None:
    """Refuse oversized input before any parsing (E113): a spec is never anywhere near 1 MiB."""
    if size > limit:
        what = "1 MiB" if limit == MAX_BYTES else f"{limit:,} bytes"
        raise _one("E113", f"file is larger than {what} ({size:,} bytes)", Span(file, 1, 1),
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
        raise _one("E101", f"{what}: byte 0x{data[exc.start]:02x} cannot be decoded as UTF-8",
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
    raise _one("E101", message, Span(file, line, col), expected="printable UTF-8 text",
               fix="remove the character, or check that this is a text file")


#: The lines that can hold directives: blank lines, comments and `%` lines opening the stream.
_PROLOGUE = re.compile(r"(?:[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)|%[^\r\n]*(?:\r\n|\r|\n|$))*")
_DIRECTIVE = re.compile(r"%(\S*)[ \t]*(.*?)[ \t]*(?:[ \t]#.*)?$")


def _check_directives(text: str, file: str) -> None:
    """Refuse every directive except ``%YAML 1.2`` (E103, at the directive).

    Specs are YAML 1.2 (decision 0002): ``%YAML 1.1`` would promise ``yes``-is-true, which this
    loader refuses to guess at, and ``%TAG`` only serves tags, which are refused anyway (E107).
    Directives can only open the stream, so only that prologue is read.
    """
    prologue = _PROLOGUE.match(text)
    problems = []
    for number, line in enumerate(_BREAK.split(prologue.group() if prologue else ""), 1):
        found = _DIRECTIVE.match(line)
        if found is None or (found.group(1), found.group(2)) == ("YAML", "1.2"):
            continue
        shown = f"%{found.group(1)} {found.group(2)}".strip()
        problems.append(error(
            "E103", f"`{shown[:40]}` directive: archspec reads YAML 1.2 only",
            Span(file, number, 1), expected="no directive, or `%YAML 1.2`",
            fix="remove the directive; specs need none"))
    if problems:
        raise SpecError(problems)


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting breaks the way YAML does."""
    line, start = 1, 0
    for match in _BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------


def _compose(text: str, file: str) -> Node:
    """Compose exactly one document into a node graph, mapping PyYAML errors to E102-E104/E109."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_diagnostic(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise _one("E103", f"invalid YAML: {exc}", Span(file, 1, 1),
                   expected="well-formed YAML", fix="check the file's syntax") from None
    except RecursionError:  # pure-Python composer only; libyaml stops at 1000 levels itself
        raise _too_deep(Span(file, 1, 1), ()) from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    if root is None:
        what = "it is empty" if not text.strip() else "it has only comments"
        raise _one("E102", f"no spec in the file: {what}", Span(file, 1, 1),
                   expected="a mapping with the spec's top-level keys",
                   fix="write the spec, starting with its top-level keys (e.g. `name:`)")
    return root


def _mark_span(file: str, mark: Any) -> Span:
    """PyYAML marks are 0-based; spans are 1-based."""
    return Span(file, mark.line + 1, mark.column + 1)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    """Map a PyYAML error to E104 (second document), E109 (too deep) or E103 (anything else)."""
    mark = exc.problem_mark or exc.context_mark
    span = _mark_span(file, mark) if mark is not None else Span(file, 1, 1)
    problem = (exc.problem or exc.context or "unknown error").strip()
    if exc.context == "expected a single document in the stream":
        return error("E104", "more than one YAML document in the file (a second one starts here)",
                     span, expected="exactly one YAML document per spec file",
                     fix="put each spec in its own file, or remove this `---` / document")
    if "maximum nesting depth" in problem:
        return error("E109", f"nesting is far deeper than {MAX_DEPTH} levels", span,
                     expected=f"at most {MAX_DEPTH} levels of nested mappings and lists",
                     fix="flatten the structure")
    message = f"invalid YAML: {problem}"
    if "duplicate anchor" in (exc.context or "") and exc.context_mark is not None:
        first = exc.context_mark
        message = (f"invalid YAML: duplicate anchor (first defined at line {first.line + 1}, "
                   f"column {first.column + 1})")
    elif "undefined alias" in problem:
        alias = _ALIAS_AT.match(_source_line(text, span.line), span.col - 1)
        name = f" `{alias.group()}`" if alias else ""
        message = f"invalid YAML: alias{name} refers to no anchor defined before it"
    elif exc.context and exc.context_mark is not None and exc.problem_mark is not None:
        ctx = exc.context_mark
        message += f" ({exc.context} at line {ctx.line + 1}, column {ctx.column + 1})"
    elif exc.context and exc.problem:
        message += f" ({exc.context})"
    return error("E103", message, span, expected="well-formed YAML",
                 fix=_syntax_fix(f"{exc.context or ''} {problem}", text, span))


def _syntax_fix(problem: str, text: str, span: Span) -> str:
    """A suggestion for the commonest YAML mistakes, judged from the message and the character."""
    line = _source_line(text, span.line)
    char = line[span.col - 1] if 0 < span.col <= len(line) else ""
    if char == "\t" or "\\t" in problem:
        return "indent with spaces; YAML does not allow tabs for indentation"
    if "mapping values are not allowed" in problem:
        return ("check the indentation of this line, and quote the value if it contains ': ' "
                "(e.g. `note: \"a: b\"`)")
    if "incompatible YAML" in problem or "directive" in problem:
        return "remove the `%YAML`/`%TAG` directive; specs need none"
    if "alias" in problem:
        return "define the anchor (`&name`) before using the alias (`*name`)"
    if "anchor" in problem:
        return "give each anchor (`&name`) a distinct name"
    if "quoted scalar" in problem:
        return "close the quoted string"
    if "','" in problem or "end of stream" in problem:
        return "close every `[`, `{` and quote that was opened before this point"
    return "check the indentation (spaces only) and the brackets and quotes around this position"


def _source_line(text: str, line: int) -> str:
    """Line ``line`` (1-based) of ``text``, '' past the end (error path only, so not cached)."""
    lines = _BREAK.split(text)
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _too_deep(span: Span, path: KeyPath) -> SpecError:
    return SpecError([_too_deep_diagnostic(span, path)])


def _too_deep_diagnostic(span: Span, path: KeyPath) -> Diagnostic:
    return error("E109", f"nesting deeper than {MAX_DEPTH} levels", span, key_path=path,
                 expected=f"at most {MAX_DEPTH} levels of nested mappings and lists",
                 fix="flatten the structure")


# --------------------------------------------------------------------------------------------
# Alias expansion bound
# --------------------------------------------------------------------------------------------


def _children(node: Node) -> Iterator[Node]:
    """Child nodes in document order (keys and values of mappings alike)."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


def _expanded_sizes(root: Node, file: str) -> dict[int, int]:
    """Node count of every node's subtree *after* alias expansion, without expanding anything.

    Aliases share node objects, so sizes are memoised per node (linear in the file, whatever the
    expansion); an iterative depth-first search also finds recursive aliases (E108).
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        ident = id(node)
        if leaving:
            active.discard(ident)
            sizes[ident] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if ident in sizes:
            continue
        if ident in active:
            raise _one("E108", "recursive alias: this node contains an alias to itself",
                       _mark_span(file, node.start_mark),
                       expected="aliases (`*name`) that refer to finished, non-enclosing anchors",
                       fix="write the repeated part out, or alias a value outside this one")
        if isinstance(node, ScalarNode):
            sizes[ident] = 1
            continue
        active.add(ident)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(_children(node))))
    return sizes


def _check_expansion(root: Node, file: str) -> None:
    """Refuse documents that expand past MAX_NODES (E108), pointing at the culprit value.

    The culprit is found by descending from the root into the first child that is itself over
    the limit; in a 'billion laughs' file that is the first anchored level that explodes.
    """
    sizes = _expanded_sizes(root, file)
    total = sizes[id(root)]
    if total <= MAX_NODES:
        return
    node = root
    while True:
        big = next((c for c in _children(node) if sizes[id(c)] > MAX_NODES), None)
        if big is None:
            break
        node = big
    written = len(sizes)  # distinct nodes: what the file holds before any alias is expanded
    if written > MAX_NODES:  # too big as written: no alias is to blame
        raise _one("E108",
                   f"the file has {written:,} YAML nodes (keys and values), more than the limit "
                   f"of {MAX_NODES:,}", _mark_span(file, node.start_mark),
                   expected=f"at most {MAX_NODES:,} keys and values",
                   fix="a spec never needs this many: write repeated blocks as a stage template "
                   "(`depth:` + `block:`), or look for generated or pasted content")
    size = sizes[id(node)]
    shown = f"{size:,}" if size < 10**15 else "more than 10^15"
    raise _one("E108",
               f"alias expansion too large: with its aliases expanded this value has {shown} "
               f"nodes (the file as written has {written:,}); the limit is {MAX_NODES:,} for "
               "the whole file", _mark_span(file, node.start_mark),
               expected=f"at most {MAX_NODES:,} values after expanding aliases",
               fix="reduce the aliases that multiply each other; a spec never needs this many")


# --------------------------------------------------------------------------------------------
# Conversion to plain data
# --------------------------------------------------------------------------------------------


class _Converter:
    """Turns a composed node graph into plain data and spans, collecting every diagnostic.

    Aliased nodes are converted afresh at each use, so the data has no shared objects and every
    path has its own span entry (pointing at the anchored node).
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.value_spans: dict[KeyPath, Span] = {}
        self.key_spans: dict[KeyPath, Span] = {}

    def convert_root(
        self, root: Node, text: str
    ) -> tuple[dict[str, Any], dict[KeyPath, Span], dict[KeyPath, Span]]:
        """Check the root's shape, bound the expansion, convert, and raise what was found."""
        span = self.span(root)
        if root.tag not in _ALLOWED_TAGS:
            self.bad_tag(root, ())
            raise SpecError(self.diagnostics)
        if isinstance(root, ScalarNode) and root.tag == _PLAIN_TAG and root.value in _NULLS:
            raise _one("E102", "the document is null: there is no spec in it",
                       Span(self.file, 1, 1),
                       expected="a mapping with the spec's top-level keys",
                       fix="write the spec, starting with its top-level keys (e.g. `name:`)")
        if not isinstance(root, MappingNode):
            kind = "a list" if isinstance(root, SequenceNode) else "a single scalar value"
            raise _one("E105", f"the top level of a spec must be a mapping, not {kind}", span,
                       expected="a mapping of top-level keys (`name: ...`, ...)",
                       fix="write the spec as `key: value` lines at the top level")
        _check_expansion(root, self.file)
        data = self.value(root, (), 1)
        if self.diagnostics:
            raise SpecError(dedupe(self.diagnostics))  # an aliased node is converted once per use
        return data, self.value_spans, self.key_spans

    def span(self, node: Node) -> Span:
        return _mark_span(self.file, node.start_mark)

    def value(self, node: Node, path: KeyPath, depth: int) -> Any:
        """Convert one value node; ``depth`` counts collections, the root mapping being 1."""
        span = self.span(node)
        self.value_spans[path] = span
        if node.tag not in _ALLOWED_TAGS:
            self.bad_tag(node, path)
            return None
        if isinstance(node, ScalarNode):
            if node.tag == _PLAIN_TAG:
                return self.plain(node.value, span, path)
            return node.value
        if depth > MAX_DEPTH:
            self.diagnostics.append(_too_deep_diagnostic(span, path))
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        return [self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        """Convert a mapping, refusing duplicate (E106) and unusable keys (E107/E111/E112)."""
        result: dict[str, Any] = {}
        first_seen: dict[str, Span] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, path)
            if key is None:
                continue
            key_span = self.span(key_node)
            entry = (*path, key)
            if key in first_seen:
                first = first_seen[key]
                self.diagnostics.append(error(
                    "E106", f"duplicate key `{show_text(key)}` (first defined at line "
                    f"{first.line})", key_span, key_path=entry,
                    expected="each key at most once per mapping",
                    fix=f"remove one of the two `{show_text(key)}` entries, or merge them"))
                continue
            first_seen[key] = key_span
            self.key_spans[entry] = key_span
            result[key] = self.value(value_node, entry, depth + 1)
        return result

    def key(self, node: Node, path: KeyPath) -> str | None:
        """The key's text as written; None (after a diagnostic) when it cannot be a key."""
        span = self.span(node)
        if not isinstance(node, ScalarNode):
            kind = "a mapping" if isinstance(node, MappingNode) else "a list"
            self.diagnostics.append(error(
                "E112", f"a mapping key must be a plain string, not {kind}", span,
                key_path=path, expected="a string key such as `name:`",
                fix="use a string key; complex keys (`? ...`) are not supported"))
            return None
        if node.tag not in _ALLOWED_TAGS:
            self.bad_tag(node, path)
            return node.value
        if node.tag == _PLAIN_TAG:
            if node.value == "":
                self.diagnostics.append(error(
                    "E112", "empty (null) mapping key", span, key_path=path,
                    expected="a string key such as `name:`", fix="write the key's name"))
                return None
            if node.value in _YAML11_BOOLS:
                self.diagnostics.append(error(
                    "E111", f"`{node.value}` as a key is a boolean in YAML 1.1 and ambiguous",
                    span, key_path=(*path, node.value),
                    expected="an unambiguous string key",
                    fix=f"quote the key: `\"{node.value}\":`"))
        return node.value

    def plain(self, text: str, span: Span, path: KeyPath) -> Any:
        """Type a plain scalar by the YAML 1.2 core schema (E110/E111 for what we refuse)."""
        if text in _NULLS:
            return None
        boolean = _BOOLS.get(text)
        if boolean is not None:
            return boolean
        if text in _YAML11_BOOLS:
            self.diagnostics.append(error(
                "E111",
                f"`{text}` is not a boolean in archspec (YAML 1.2); write `true` or `false`, "
                "or quote it if you mean the string",
                span, key_path=path, expected="`true`/`false`, or a quoted string",
                fix=f"write `true`/`false`, or `\"{text}\"` for the string"))
            return text
        if text[0] not in _NUMBER_START:
            return text
        number = _number(text)
        if number is _UNSET:
            return text
        if number is _TOO_MANY_DIGITS:
            self.diagnostics.append(error(
                "E110", f"integer `{text[:4]}…{text[-1]}` has {len(text):,} digits, more than "
                "archspec reads", span, key_path=path, expected="a number of a sensible size",
                fix="check the value for a typo"))
            return None
        if isinstance(number, float) and not math.isfinite(number):
            self.diagnostics.append(error(
                "E110", f"non-finite number `{show_text(text)}`", span, key_path=path,
                expected="a finite number", fix="write a finite number"))
            return None
        return number

    def bad_tag(self, node: Node, path: KeyPath) -> None:
        """E107: explicit tags could construct objects or retype values; archspec takes none."""
        tag = _short_tag(node.tag)
        self.diagnostics.append(error(
            "E107", f"explicit YAML tag `{tag}` is not allowed in a spec", self.span(node),
            key_path=path, expected="plain YAML values without tags",
            fix=f"remove `{tag}` and write the value plainly (quote it to make it a string)"))


def _number(text: str) -> Any:
    """int/float per the YAML 1.2 core schema, or _UNSET if ``text`` is not a number."""
    try:
        if _INT_DEC.fullmatch(text):
            return int(text)
        if _INT_OCT.fullmatch(text):
            return int(text[2:], 8)
        if _INT_HEX.fullmatch(text):
            return int(text[2:], 16)
    except ValueError:  # more digits than Python converts (int_max_str_digits)
        return _TOO_MANY_DIGITS
    if _FLOAT.fullmatch(text):
        return float(text)
    if _NON_FINITE.fullmatch(text):
        return math.nan
    return _UNSET


def _short_tag(tag: str) -> str:
    """Write a tag the way it usually appears in a file (``!!python/...``)."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag
