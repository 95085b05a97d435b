"""How to break each field of each block model, derived from the pydantic models themselves.

A field's annotation says which wrong values it must refuse: an integer refuses a string, a
float and a boolean (E121) and values under its lower bound (E122); a float refuses a string and
a boolean (E121) and values past its bounds (E122); a literal refuses an unknown member (E122); a
norm refuses an unknown type (E122). So a new field, or a new family, gets its near misses
without a table to keep in sync. Fields that are structure rather than values (the ``block`` tag,
``noqa``, fields holding blocks: a parallel's ``branches``, a residual's ``blocks``) are broken by
hand in :mod:`.breaks`.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from archspec.blocks.base import NormSpec, block_list_depth

#: Fields that hold structure, not a value of a type: broken by hand (tags, noqa); fields that
#: hold blocks (:func:`holds_blocks`) are structure too.
STRUCTURAL = frozenset({"block", "noqa"})


def holds_blocks(info: FieldInfo) -> bool:
    """Whether a field holds nested blocks (a parallel's ``branches``, a residual's ``blocks``
    and ``shortcut``)."""
    return block_list_depth(info.annotation) > 0


def structural_keys(model: type[BaseModel]) -> frozenset[str]:
    """The keys of ``model`` that hold structure rather than a value."""
    return STRUCTURAL | {info.alias or name for name, info in model.model_fields.items()
                         if holds_blocks(info)}


@dataclass(frozen=True)
class FieldKind:
    """How one field breaks: ``kind`` (int, int_literal, float, bool, literal, norm), wrong-typed
    values with the code each must raise, and out-of-range values (each E122)."""

    kind: str
    type_breaks: tuple[tuple[Any, str], ...]
    out_of_range: tuple[Any, ...] = ()


def _members(tp: Any, meta: list[Any]) -> list[tuple[Any, list[Any]]]:
    """The alternatives of an annotation, each with the constraints that apply to it."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        more = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        return _members(base, meta + more)
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(tp) for m in _members(arg, meta)]
    return [] if tp is type(None) else [(tp, meta)]


def _bound(meta: list[Any], attr: str) -> Any:
    """The value of the first constraint ``attr`` (``ge``, ``gt``, ``le``, ``lt``), or None."""
    return next((getattr(m, attr) for m in meta if hasattr(m, attr)), None)


def _int_kind(meta: list[Any]) -> FieldKind:
    ge, gt = _bound(meta, "ge"), _bound(meta, "gt")
    lo = ge if ge is not None else gt + 1 if gt is not None else None
    return FieldKind("int", (("8", "E121"), (2.5, "E121"), (True, "E121")),
                     () if lo is None else (lo - 1, lo - 4))


def _float_kind(meta: list[Any]) -> FieldKind:
    """Out of range: an exclusive bound itself, half past an inclusive one."""
    ge, gt, le, lt = (_bound(meta, a) for a in ("ge", "gt", "le", "lt"))
    values: list[float] = []
    if ge is not None or gt is not None:
        values.append(float(gt) if gt is not None else ge - 0.5)
    if le is not None or lt is not None:
        values.append(float(lt) if lt is not None else le + 0.5)
    return FieldKind("float", (("0.5", "E121"), (False, "E121")), tuple(values))


def kind_of(info: FieldInfo) -> FieldKind | None:
    """How a field breaks, from its annotation and constraints (None: structure, not a value)."""
    members = _members(info.annotation, list(info.metadata))
    types_ = [tp for tp, _ in members]
    if any(isinstance(tp, type) and issubclass(tp, BaseModel) for tp in types_):
        return FieldKind("norm", (("gn", "E122"),))
    for tp, meta in members:
        if tp is int:
            return _int_kind(meta)
    for tp, meta in members:
        if tp is float:
            return _float_kind(meta)
    if bool in types_:
        return FieldKind("bool", ((1, "E121"), ("true", "E121")))
    for tp, _ in members:
        if get_origin(tp) is Literal:
            values = get_args(tp)
            if all(type(v) is int for v in values):  # e.g. Literal[1, 2] under EXACT_INT
                top = max(values)
                return FieldKind("int_literal", ((str(top), "E121"), (2.5, "E121"),
                                                 (True, "E121"), (float(top), "E121"),
                                                 (top + 1, "E122")), (top + 1,))
            return FieldKind("literal", (("bogus", "E122"), (3, "E122")))
    return None


def kinds_of(model: type[BaseModel]) -> dict[str, FieldKind]:
    """Every value field of ``model`` by the key users write (its alias when it has one)."""
    out = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = None if key in STRUCTURAL or holds_blocks(info) else kind_of(info)
        if kind is not None:
            out[key] = kind
    return out


def _block_fields() -> dict[str, dict[str, FieldKind]]:
    from archspec.blocks import FAMILIES

    return {tag: kinds_of(family.model) for tag, family in FAMILIES.items()}


def _required() -> dict[str, tuple[str, ...]]:
    from archspec.blocks import FAMILIES

    return {tag: tuple(info.alias or name for name, info in family.model.model_fields.items()
                       if info.is_required() and name != "block")
            for tag, family in FAMILIES.items()}


#: tag -> key -> how the field breaks, for every block family.
FIELDS: Mapping[str, Mapping[str, FieldKind]] = _block_fields()
#: tag -> the keys a block of the family must write (besides ``block``).
REQUIRED: Mapping[str, tuple[str, ...]] = _required()
#: The fields of a norm written as a mapping (``{type, eps, momentum}``).
NORM_FIELDS: Mapping[str, FieldKind] = kinds_of(NormSpec)
