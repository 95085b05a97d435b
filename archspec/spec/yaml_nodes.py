"""YAML text → a node graph with marks, composed by PyYAML with a resolver that resolves nothing.

Untagged plain scalars are marked with a private tag, so any other tag on a node was written in
the file (and is refused later, E107); directives other than ``%YAML 1.2`` are refused (E103),
PyYAML's errors become located diagnostics (E103, E104, E109), and the size of the document
after alias expansion is bounded before anything is expanded (E108). Typing the scalars and
building plain data is :mod:`archspec.spec.yaml_data`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]
from yaml.nodes import (  # type: ignore[import-untyped, unused-ignore]
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
)
from yaml.resolver import BaseResolver  # type: ignore[import-untyped, unused-ignore]

from archspec.diagnostics import Diagnostic, Span, SpecError, error

KeyPath = tuple[str | int, ...]

MAX_NODES = 100_000  # nodes after alias expansion; a real spec has a few thousand at most
MAX_YAML_NESTING = 50  # nested mappings/sequences; a real spec needs fewer than ten

def one_error(code: str, message: str, span: Span, **kw: Any) -> SpecError:
    """A SpecError carrying a single diagnostic (for problems that stop loading)."""
    return SpecError([error(code, message, span, **kw)])


# Line breaks as YAML (and so PyYAML marks) count them.
BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

_ALIAS_AT = re.compile(r"\*[^\s,\[\]{}]+")

# --------------------------------------------------------------------------------------------
# Tags. The resolver below marks implicitly-typed plain scalars with a private tag, so that an
# explicit tag written in the file can always be told apart from what resolution produced.
# --------------------------------------------------------------------------------------------

PLAIN_TAG = "tag:archspec,2024:plain"
_STR_TAG = BaseResolver.DEFAULT_SCALAR_TAG
_MAP_TAG = BaseResolver.DEFAULT_MAPPING_TAG
_SEQ_TAG = BaseResolver.DEFAULT_SEQUENCE_TAG
ALLOWED_TAGS = frozenset({PLAIN_TAG, _STR_TAG, _MAP_TAG, _SEQ_TAG})


class _PlainMarkingResolver(BaseResolver):  # type: ignore[misc]
    """Resolve nothing: tag untagged plain scalars ``PLAIN_TAG`` and leave typing to us.

    Quoted and block scalars get the default ``str`` tag, collections their default tags, so any
    other tag on a node must have been written explicitly in the file.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return PLAIN_TAG
        return str(super().resolve(kind, value, implicit))


class _PyLoader(
    yaml.reader.Reader,  # type: ignore[misc]
    yaml.scanner.Scanner,  # type: ignore[misc]
    yaml.parser.Parser,  # type: ignore[misc]
    yaml.composer.Composer,  # type: ignore[misc]
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
    from yaml.cyaml import CParser as _CParser  # type: ignore[import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

if _CParser is not None:

    class _CLoader(_CParser, _PlainMarkingResolver):  # type: ignore[misc]
        """libyaml composer (fast path); it calls our ``resolve`` for every node."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _PlainMarkingResolver.__init__(self)

    _LOADER: type = _CLoader
else:  # pragma: no cover - depends on how PyYAML was built
    _LOADER = _PyLoader


_PROLOGUE = re.compile(r"(?:[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)|%[^\r\n]*(?:\r\n|\r|\n|$))*")
_DIRECTIVE = re.compile(r"%(\S*)[ \t]*(.*?)[ \t]*(?:[ \t]#.*)?$")


def check_directives(text: str, file: str) -> None:
    """Refuse every directive except ``%YAML 1.2`` (E103, at the directive).

    Specs are YAML 1.2 (decision 0002): ``%YAML 1.1`` would promise ``yes``-is-true, which this
    loader refuses to guess at, and ``%TAG`` only serves tags, which are refused anyway (E107).
    Directives can only open the stream, so only that prologue is read.
    """
    prologue = _PROLOGUE.match(text)
    problems = []
    for number, line in enumerate(BREAK.split(prologue.group() if prologue else ""), 1):
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



# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------


def compose(text: str, file: str) -> Node:
    """Compose exactly one document into a node graph, mapping PyYAML errors to E102-E104/E109."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_diagnostic(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise one_error("E103", f"invalid YAML: {exc}", Span(file, 1, 1),
                   expected="well-formed YAML", fix="check the file's syntax") from None
    except RecursionError:  # pure-Python composer only; libyaml stops at 1000 levels itself
        raise _too_deep(Span(file, 1, 1), ()) from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    if root is None:
        what = "it is empty" if not text.strip() else "it has only comments"
        raise one_error("E102", f"no spec in the file: {what}", Span(file, 1, 1),
                   expected="a mapping with the spec's top-level keys",
                   fix="write the spec, starting with its top-level keys (e.g. `name:`)")
    return root


def mark_span(file: str, mark: Any) -> Span:
    """PyYAML marks are 0-based; spans are 1-based."""
    return Span(file, mark.line + 1, mark.column + 1)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    """Map a PyYAML error to E104 (second document), E109 (too deep) or E103 (anything else)."""
    mark = exc.problem_mark or exc.context_mark
    span = mark_span(file, mark) if mark is not None else Span(file, 1, 1)
    problem = (exc.problem or exc.context or "unknown error").strip()
    if exc.context == "expected a single document in the stream":
        return error("E104", "more than one YAML document in the file (a second one starts here)",
                     span, expected="exactly one YAML document per spec file",
                     fix="put each spec in its own file, or remove this `---` / document")
    if "maximum nesting depth" in problem:
        return error("E109", f"nesting is far deeper than {MAX_YAML_NESTING} levels", span,
                     expected=f"at most {MAX_YAML_NESTING} levels of nested mappings and lists",
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
    lines = BREAK.split(text)
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _too_deep(span: Span, path: KeyPath) -> SpecError:
    return SpecError([too_deep_diagnostic(span, path)])


def too_deep_diagnostic(span: Span, path: KeyPath) -> Diagnostic:
    return error("E109", f"nesting deeper than {MAX_YAML_NESTING} levels", span, key_path=path,
                 expected=f"at most {MAX_YAML_NESTING} levels of nested mappings and lists",
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
            raise one_error("E108", "recursive alias: this node contains an alias to itself",
                       mark_span(file, node.start_mark),
                       expected="aliases (`*name`) that refer to finished, non-enclosing anchors",
                       fix="write the repeated part out, or alias a value outside this one")
        if isinstance(node, ScalarNode):
            sizes[ident] = 1
            continue
        active.add(ident)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(_children(node))))
    return sizes


def check_expansion(root: Node, file: str) -> None:
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
        raise one_error("E108",
                   f"the file has {written:,} YAML nodes (keys and values), more than the limit "
                   f"of {MAX_NODES:,}", mark_span(file, node.start_mark),
                   expected=f"at most {MAX_NODES:,} keys and values",
                   fix="a spec never needs this many: write repeated blocks as a stage template "
                   "(`depth:` + `block:`), or look for generated or pasted content")
    size = sizes[id(node)]
    shown = f"{size:,}" if size < 10**15 else "more than 10^15"
    raise one_error("E108",
               f"alias expansion too large: with its aliases expanded this value has {shown} "
               f"nodes (the file as written has {written:,}); the limit is {MAX_NODES:,} for "
               "the whole file", mark_span(file, node.start_mark),
               expected=f"at most {MAX_NODES:,} values after expanding aliases",
               fix="reduce the aliases that multiply each other; a spec never needs this many")


