"""pydantic's ValidationError, translated for people: located, deduplicated, with a suggestion.

This is the only module that knows pydantic's error vocabulary. It drops union-member segments
from error locations (the discriminator tag, ``literal[...]``), points a missing key at its parent
mapping and an unknown key at the key itself, merges the several errors a union produces for one
value into one, and adds "did you mean" from the fields valid at that place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import (
    MAX_DIAGNOSTICS,
    Diagnostic,
    did_you_mean,
    error,
    format_key_path,
    show_number,
    show_text,
    show_value,
)

if TYPE_CHECKING:
    from pydantic import ValidationError

    from archspec.spec.located import Located, Path
    from archspec.spec.source import Source

TYPE_NAMES = {
    "int_type": "an integer", "int_from_float": "an integer", "float_type": "a number",
    "bool_type": "true or false", "string_type": "a string", "dict_type": "a mapping",
    "list_type": "a list", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "tuple_type": "a list", "finite_number": "a finite number",
    # lax models (rule options) name the parse that failed
    "int_parsing": "an integer", "float_parsing": "a number", "bool_parsing": "true or false",
}
#: pydantic's error type → the code of a value that has the right type but is not allowed
#: (anything else with a type is E121, a wrong type).
VALUE_CODES = {
    "literal_error": "E122", "enum": "E122",  # not one of the allowed values
    "too_short": "E126", "too_long": "E126",  # a list with the wrong number of items
    "string_pattern_mismatch": "E125",  # a malformed name
}
RANGE_WORDS = {
    "greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤",
}


def kind_of(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", dict: "mapping",
            list: "list", type(None): "null"}.get(type(value), type(value).__name__)


def _value_path(loc: tuple[Any, ...], data: Any, kind: str, *, tagged: bool = True
                ) -> tuple[tuple[str | int, ...], bool]:
    """Keep the loc segments that exist in the data; the last may be a missing key's name.

    Segments that are not in the data are union members' labels (``literal['bn','ln','none']``,
    ``NormSpec``, a block family's tag) and are dropped. A block's tag is dropped even where it
    equals one of the block's own keys (``{block: act, act: relu}``): a tag is never the last
    segment and always sits on the mapping that carries it as ``block:``. ``tagged=False``: the
    errors come from a family's own model (pass 2), whose locations carry no tag to drop.
    Returns (path, exists): whether the full path names a value in the data.
    """
    path: list[str | int] = []
    node = data
    last = len(loc) - 1
    tag_seen: int | None = None  # id of the block mapping whose tag was already dropped
    for i, seg in enumerate(loc):
        if tagged and isinstance(node, dict) and i < last and seg == node.get("block") \
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
    tagged: bool = True,
    misplaced: Any = None,
) -> list[Diagnostic]:
    """Diagnostics for a ValidationError raised while validating ``located.data``.

    ``prefix`` is prepended to key paths in messages (the block's place in the document);
    ``allowed(path, data) -> list[str]`` names the keys valid in the mapping at ``path``;
    ``tagged=False`` when the model validated is a block family's own (no discriminated union, so
    no tag segments in error locations); ``misplaced(path, data, key) -> (note, fix) | None``
    says where an unknown key does belong (a block's key dedented into its stage).
    """
    grouped: dict[tuple[tuple[str | int, ...], str], list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        kind = err["type"]
        path, exists = _value_path(tuple(err["loc"]), located.data, kind, tagged=tagged)
        if kind == "union_tag_invalid" and isinstance(_lookup(located.data, path), dict):
            path = (*path, "block")  # point at the tag the user wrote, not the whole mapping
        if kind == "union_tag_not_found":  # a block mapping without `block:`
            key = ((*path, "block"), "missing")
            grouped.setdefault(key, []).append(dict(err))
            continue
        if kind == "missing" or not exists:
            key = (path, "missing")
        elif err["loc"][-1:] == ("[key]",):  # a mapping key that is not allowed (a name)
            key = (path, "key")
        elif kind == "extra_forbidden":
            key = (path, "extra")
        else:
            key = (path, "value")
        grouped.setdefault(key, []).append(dict(err))
    _drop_union_noise(grouped)
    out = []
    written: list[tuple[Path, str | None]] = []  # per diagnostic: document path, block path
    names = _stage_names(located.data) if not prefix else []
    for (path, what), errs in grouped.items():
        shown, block = _shown_path(prefix, path, names)
        src_path = located.source_path(path)
        written.append((src_path if what != "missing" or not path else
                        (*located.source_path(path[:-1]), path[-1]), block))
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
            # past the problems a file shows (diagnostics.cap), no suggestion is worked out
            shown_at_all = len(out) < MAX_DIAGNOSTICS
            choices = allowed(path[:-1], located.data) if allowed and shown_at_all else []
            elsewhere = misplaced(path[:-1], located.data, name) if misplaced and shown_at_all \
                else None
            near = did_you_mean(name, choices)
            fix = f"did you mean `{near}`?" if near else (
                f"valid keys here: {', '.join(sorted(choices))}" if choices else "remove it")
            note = ""
            if elsewhere:
                note, fix = f": {elsewhere[0]}", elsewhere[1]
            out.append(error("E120", f"`{shown}`: unknown key `{show_text(name)}`{note}", span,
                             key_path=(*prefix, *path), variant=variant, fix=fix,
                             expected=", ".join(sorted(choices)) or None))
        elif what == "key":
            out.append(_value_error(errs, shown, path[-1], source.key_span_of(src_path),
                                    (*prefix, *path), variant))
        else:
            span = source.span_of(src_path)
            value = _lookup(located.data, path)
            out.append(_value_error(errs, shown, value, span, (*prefix, *path), variant))
    assert len(out) == len(written)  # one diagnostic per group
    return [replace(d, block=d.block or block, data={**d.data, "path": format_key_path(doc)})
            for d, (doc, block) in zip(out, written, strict=True)]


def _shown_path(prefix: Path, path: Path, names: list[str | None]) -> tuple[str, str | None]:
    """The path a message shows, and the block it is in (None outside a block).

    Messages name blocks as block paths do (``stages.s3[2].exp``, docs/spec.md), whether the
    error was found in the document (``stages[2].blocks[2].exp`` there) or in a composed block
    (``prefix`` is then its block path); JSON keeps the document path in ``data.path``.
    """
    if prefix:
        return format_key_path((*prefix, *path)), str(prefix[0])
    head: Path = path
    if len(path) >= 2 and path[0] == "stages" and isinstance(path[1], int):
        name = names[path[1]] if 0 <= path[1] < len(names) else None
        if name is not None:
            rest = path[2:]
            if len(rest) >= 2 and rest[0] == "blocks" and isinstance(rest[1], int):
                head = (f"stages.{name}[{rest[1]}]", *rest[2:])
                return format_key_path(head), head[0]  # type: ignore[return-value]
            head = (f"stages.{name}", *rest)
        return format_key_path(head), None
    if len(path) >= 2 and path[0] in ("stem", "head") and isinstance(path[1], int):
        return format_key_path(path), format_key_path(path[:2])
    return format_key_path(path), None


def _stage_names(data: Any) -> list[str | None]:
    """Per stage, its name if it can stand for the stage in a path: a valid, unique name (else
    messages keep ``stages[i]``)."""
    from collections import Counter

    from archspec.spec.models import NAME_PATTERN

    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, list):
        return []
    names = [s.get("name") if isinstance(s, dict) else None for s in stages]
    counts = Counter(n for n in names if isinstance(n, str))
    return [n if isinstance(n, str) and counts[n] == 1 and re.fullmatch(NAME_PATTERN, n)
            else None for n in names]


def _bound(limit: Any) -> str:
    """A model's own bound, exactly (1/64 is 0.015625, not 4 digits' 0.01562)."""
    return f"{limit:g}" if isinstance(limit, float) else show_number(limit)


def _tags_hint() -> str:
    from archspec.blocks import FAMILIES

    return "one of " + ", ".join(sorted(FAMILIES))


def _value_error(errs: list[dict[str, Any]], shown: str, value: Any, span: Any,
                 key_path: tuple[str | int, ...], variant: str | None) -> Diagnostic:
    first = errs[0]
    kind = first["type"]
    got = f"got {show_value(value)}" + ("" if isinstance(value, dict | list) else
                                         f" ({kind_of(value)})")
    if kind == "union_tag_invalid":
        from archspec.blocks import FAMILIES

        near = did_you_mean(value, FAMILIES) if isinstance(value, str) else None
        return error("E124", f"`{shown}`: unknown block type {show_value(value)}", span,
                     key_path=key_path, variant=variant, expected=_tags_hint(),
                     fix=f"did you mean `{near}`?" if near else None)
    if kind in RANGE_WORDS:
        limit = next(iter(first["ctx"].values()))
        return error("E122", f"`{shown}`: {show_value(value)} is out of range", span,
                     key_path=key_path, variant=variant,
                     expected=f"a value {RANGE_WORDS[kind]} {_bound(limit)}")
    if kind in ("value_error", "assertion_error"):  # a model's rule between its fields
        msg = str(first["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return error("E127", f"`{shown}`: {msg}", span, key_path=key_path, variant=variant)
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
        elif e["type"] == "string_pattern_mismatch":
            expectations.append(f"a name matching {e['ctx']['pattern']}")
        else:
            expectations.append(str(e["msg"]))
    expected = " or ".join(dict.fromkeys(expectations))
    code = VALUE_CODES.get(kind, "E121")
    fix = None
    if kind == "literal_error" and isinstance(value, str):
        options = [o.strip() for o in first["ctx"]["expected"].replace("'", "").replace(" or ", ",")
                   .split(",")]
        near = did_you_mean(value, options)
        fix = f"did you mean `{near}`?" if near else None
    elif kind in ("int_type", "int_from_float") and isinstance(value, float):
        fix = "write a whole number"
    return error(code, f"`{shown}`: expected {expected}, {got}", span, key_path=key_path,
                 variant=variant, expected=expected, fix=fix)
