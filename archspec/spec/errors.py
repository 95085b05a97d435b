"""pydantic's ValidationError, translated for people: located, deduplicated, with a suggestion.

This is the only module that knows pydantic's error vocabulary. It drops union-member segments
from error locations (the discriminator tag, ``literal[...]``), points a missing key at its parent
mapping and an unknown key at the key itself, merges the several errors a union produces for one
value into one, and adds "did you mean" from the fields valid at that place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, error, format_key_path

if TYPE_CHECKING:
    from pydantic import ValidationError

    from archspec.spec.located import Located, Path
    from archspec.spec.source import Source

TYPE_NAMES = {
    "int_type": "an integer", "int_from_float": "an integer", "float_type": "a number",
    "bool_type": "true or false", "string_type": "a string", "dict_type": "a mapping",
    "list_type": "a list", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "tuple_type": "a list", "finite_number": "a finite number",
}
RANGE_WORDS = {
    "greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤",
}


def yaml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def kind_of(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", dict: "mapping",
            list: "list", type(None): "null"}.get(type(value), type(value).__name__)


def _value_path(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[tuple[str | int, ...], bool]:
    """Keep the loc segments that exist in the data; the last may be a missing key's name.

    Segments that are not in the data are union members' labels (``literal['bn','ln','none']``,
    ``NormSpec``, a block family's tag) and are dropped. A block's tag is dropped even where it
    equals one of the block's own keys (``{block: act, act: relu}``): a tag is never the last
    segment and always sits on the mapping that carries it as ``block:``.
    Returns (path, exists): whether the full path names a value in the data.
    """
    path: list[str | int] = []
    node = data
    last = len(loc) - 1
    tag_seen: int | None = None  # id of the block mapping whose tag was already dropped
    for i, seg in enumerate(loc):
        if isinstance(node, dict) and i < last and seg == node.get("block") \
                and tag_seen != id(node):
            tag_seen = id(node)
            continue  # the discriminator tag of a block mapping
        if isinstance(node, dict) and isinstance(seg, str) and seg in node:
            path.append(seg)
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            path.append(seg)
            node = node[seg]
        elif i == last and kind == "missing" and isinstance(seg, str) and isinstance(node, dict):
            path.append(seg)
            return tuple(path), False
        # anything else is a union member's label: not part of the user's document
    return tuple(path), True


def _drop_union_noise(grouped: dict[tuple[tuple[str | int, ...], str], list[dict[str, Any]]]
                      ) -> None:
    """A union reports every member's complaint. Where one member got inside the value (errors
    below it) or failed for a reason other than the value's type, the others' "wrong type"
    errors are noise: drop them."""
    value_paths = [path for path, what in grouped if what != "value"] + [
        path for path, what in grouped if what == "value"]
    for (path, what) in list(grouped):
        if what != "value":
            continue
        deeper = any(len(p) > len(path) and p[: len(path)] == path for p in value_paths)
        errs = grouped[(path, what)]
        if deeper:
            del grouped[(path, what)]
            continue
        specific = [e for e in errs if e["type"] not in TYPE_NAMES and e["type"] != "literal_error"]
        if specific and len(specific) < len(errs):
            grouped[(path, what)] = specific


def _lookup(data: Any, path: Iterable[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def translate(
    exc: ValidationError,
    located: Located,
    source: Source,
    *,
    prefix: Path = (),
    variant: str | None = None,
    allowed: Any = None,
) -> list[Diagnostic]:
    """Diagnostics for a ValidationError raised while validating ``located.data``.

    ``prefix`` is prepended to key paths in messages (the block's place in the document);
    ``allowed(path, data) -> list[str]`` names the keys valid in the mapping at ``path``.
    """
    grouped: dict[tuple[tuple[str | int, ...], str], list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        kind = err["type"]
        path, exists = _value_path(tuple(err["loc"]), located.data, kind)
        if kind == "union_tag_invalid" and isinstance(_lookup(located.data, path), dict):
            path = (*path, "block")  # point at the tag the user wrote, not the whole mapping
        if kind == "union_tag_not_found":  # a block mapping without `block:`
            key = ((*path, "block"), "missing")
            grouped.setdefault(key, []).append(err)
            continue
        if kind == "missing" or not exists:
            key = (path, "missing")
        elif kind == "extra_forbidden":
            key = (path, "extra")
        else:
            key = (path, "value")
        grouped.setdefault(key, []).append(err)
    _drop_union_noise(grouped)
    out = []
    for (path, what), errs in grouped.items():
        shown = format_key_path((*prefix, *path))
        src_path = located.source_path(path)
        if what == "missing":
            parent = located.source_path(path[:-1])
            span = source.span_of(parent)
            name = path[-1] if path else "?"
            if errs[0]["type"] == "union_tag_not_found":
                out.append(error("E123", f"`{shown}`: a block needs a `block:` type", span,
                                 key_path=(*prefix, *path), variant=variant,
                                 expected=_tags_hint(), fix="add `block: <type>`"))
                continue
            out.append(error("E123", f"`{shown}`: required key `{name}` is missing", span,
                             key_path=(*prefix, *path), variant=variant,
                             fix=f"add `{name}:` to this mapping"))
        elif what == "extra":
            span = source.key_span_of(src_path)
            name = str(path[-1])
            choices = allowed(path[:-1], located.data) if allowed else []
            near = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
            fix = f"did you mean `{near[0]}`?" if near else (
                f"valid keys here: {', '.join(sorted(choices))}" if choices else "remove it")
            out.append(error("E120", f"`{shown}`: unknown key `{name}`", span,
                             key_path=(*prefix, *path), variant=variant, fix=fix,
                             expected=", ".join(sorted(choices)) or None))
        else:
            span = source.span_of(src_path)
            value = _lookup(located.data, path)
            out.append(_value_error(errs, shown, value, span, (*prefix, *path), variant))
    return out


def _tags_hint() -> str:
    from archspec.blocks import FAMILIES

    return "one of " + ", ".join(sorted(FAMILIES))


def _value_error(errs: list[dict[str, Any]], shown: str, value: Any, span: Any,
                 key_path: tuple[str | int, ...], variant: str | None) -> Diagnostic:
    first = errs[0]
    kind = first["type"]
    got = f"got {yaml_repr(value)}" + ("" if isinstance(value, dict | list) else
                                        f" ({kind_of(value)})")
    if kind == "union_tag_invalid":
        from archspec.blocks import FAMILIES

        near = difflib.get_close_matches(str(value), list(FAMILIES), n=1, cutoff=0.5)
        return error("E122", f"`{shown}`: unknown block type {yaml_repr(value)}", span,
                     key_path=key_path, variant=variant, expected=_tags_hint(),
                     fix=f"did you mean `{near[0]}`?" if near else None)
    if kind in RANGE_WORDS:
        limit = next(iter(first["ctx"].values()))
        return error("E122", f"`{shown}`: {yaml_repr(value)} is out of range", span,
                     key_path=key_path, variant=variant,
                     expected=f"a value {RANGE_WORDS[kind]} {limit}")
    if kind in ("value_error", "assertion_error"):
        msg = str(first["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return error("E122", f"`{shown}`: {msg}", span, key_path=key_path, variant=variant)
    expectations = []
    for e in errs:
        if e["type"] == "literal_error":
            expectations.append(e["ctx"]["expected"].replace("'", ""))
        elif e["type"] in TYPE_NAMES:
            expectations.append(TYPE_NAMES[e["type"]])
        elif e["type"] == "too_short":
            expectations.append(f"at least {e['ctx']['min_length']} items")
        elif e["type"] == "too_long":
            expectations.append(f"at most {e['ctx']['max_length']} items")
        else:
            expectations.append(str(e["msg"]))
    expected = " or ".join(dict.fromkeys(expectations))
    code = "E122" if kind in ("literal_error", "too_short", "too_long", "string_pattern_mismatch",
                              "enum") else "E121"
    fix = None
    if kind == "literal_error" and isinstance(value, str):
        options = [o.strip() for o in first["ctx"]["expected"].replace("'", "").replace(" or ", ",")
                   .split(",")]
        near = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
        fix = f"did you mean `{near[0]}`?" if near else None
    elif kind in ("int_type", "int_from_float") and isinstance(value, float):
        fix = "write a whole number"
    return error(code, f"`{shown}`: expected {expected}, {got}", span, key_path=key_path,
                 variant=variant, expected=expected, fix=fix)
