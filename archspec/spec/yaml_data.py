"""A composed YAML node graph → plain Python data and the span of every value and key.

Scalars are typed by the YAML 1.2 core schema (so ``1e-3`` is a float, which PyYAML's 1.1
resolver gets wrong); YAML 1.1 booleans such as ``yes``/``on`` are refused instead of guessed
at (E111), as are non-finite numbers (E110), explicit tags (E107), duplicate (E106) and
unusable keys (E112). Every problem of the document is collected before one SpecError is raised.
"""

from __future__ import annotations

import math
import re
from typing import Any

from yaml.nodes import (  # type: ignore[import-untyped, unused-ignore]
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
)

from archspec.diagnostics import Diagnostic, Span, SpecError, dedupe, error, show_text
from archspec.spec.yaml_nodes import (
    ALLOWED_TAGS,
    MAX_YAML_NESTING,
    PLAIN_TAG,
    KeyPath,
    check_expansion,
    mark_span,
    one_error,
    too_deep_diagnostic,
)

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

_UNSET = object()
_TOO_MANY_DIGITS = object()  # a decimal integer beyond Python's int→str limit (4,300 digits)

# --------------------------------------------------------------------------------------------
# Conversion to plain data
# --------------------------------------------------------------------------------------------


class Converter:
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
        if root.tag not in ALLOWED_TAGS:
            self.bad_tag(root, ())
            raise SpecError(self.diagnostics)
        if isinstance(root, ScalarNode) and root.tag == PLAIN_TAG and root.value in _NULLS:
            raise one_error("E102", "the document is null: there is no spec in it",
                       Span(self.file, 1, 1),
                       expected="a mapping with the spec's top-level keys",
                       fix="write the spec, starting with its top-level keys (e.g. `name:`)")
        if not isinstance(root, MappingNode):
            kind = "a list" if isinstance(root, SequenceNode) else "a single scalar value"
            raise one_error("E105", f"the top level of a spec must be a mapping, not {kind}", span,
                       expected="a mapping of top-level keys (`name: ...`, ...)",
                       fix="write the spec as `key: value` lines at the top level")
        check_expansion(root, self.file)
        data = self.value(root, (), 1)
        if self.diagnostics:
            raise SpecError(dedupe(self.diagnostics))  # an aliased node is converted once per use
        return data, self.value_spans, self.key_spans

    def span(self, node: Node) -> Span:
        return mark_span(self.file, node.start_mark)

    def value(self, node: Node, path: KeyPath, depth: int) -> Any:
        """Convert one value node; ``depth`` counts collections, the root mapping being 1."""
        span = self.span(node)
        self.value_spans[path] = span
        if node.tag not in ALLOWED_TAGS:
            self.bad_tag(node, path)
            return None
        if isinstance(node, ScalarNode):
            if node.tag == PLAIN_TAG:
                return self.plain(node.value, span, path)
            return node.value
        if depth > MAX_YAML_NESTING:
            self.diagnostics.append(too_deep_diagnostic(span, path))
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
        if node.tag not in ALLOWED_TAGS:
            self.bad_tag(node, path)
            return str(node.value)
        if node.tag == PLAIN_TAG:
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
        return str(node.value)

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

