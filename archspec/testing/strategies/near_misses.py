"""Documents with exactly one broken field, and where archspec must report it.

A break is placed only where exactly one error must follow: in a block that the resolved variants
reach, never in a template field that ``first:`` overrides, never renaming a stage a variant
refers to. Block-level breaks live in :mod:`.breaks`; the document-level ones here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from archspec.testing.strategies.breaks import (
    break_block_type,
    break_first_or_child,
    break_resolved,
    miss,
    put,
)
from archspec.testing.strategies.compose import check_families
from archspec.testing.strategies.draw import Gen
from archspec.testing.strategies.network import draw_specs
from archspec.testing.strategies.records import GeneratedSpec, NearMiss
from archspec.testing.strategies.world import MAX_STAGES, KeyPath


def _break_top(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    choices: list[tuple[KeyPath, Any, str]] = [
        (("name",), 7, "E121"), (("name",), "9lives", "E125"), (("name",), "a b", "E125"),
        (("archspec",), 2, "E122"), (("archspec",), True, "E121"),
        (("archspec",), 1.0, "E121"), (("drop_path",), 1.0, "E122"),
        (("drop_path",), "0.1", "E121"),
        (("init",), "xavier", "E122"), (("input", "channels"), 0, "E122"),
        (("input", "channels"), "3", "E121"), (("input", "size"), [8], "E126"),
        (("input", "size"), [8, 8, 8], "E126"), (("input", "size"), 0, "E122"),
        (("width", "mult"), 0.0, "E122"), (("width", "mult"), 17.0, "E122"),
        (("width", "divisor"), 0, "E122"), (("width", "mult"), "1", "E121"),
    ]
    path, value, code = g.pick(choices)
    if path[0] == "width" and "width" not in doc:
        doc["width"] = {}
    put(doc, path, value)
    return miss(doc, path, code, f"{path[-1]}: {value!r}")


def _break_top_keys(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    kind = g.pick(["unknown", "missing_name", "missing_input", "missing_size", "unknown_input"])
    if kind == "unknown":
        doc["nmae"] = "x"
        return miss(doc, ("nmae",), "E120", "unknown top-level key", "key")
    if kind == "unknown_input":
        doc["input"]["chanels"] = 3
        return miss(doc, ("input", "chanels"), "E120", "unknown input key", "key")
    if kind == "missing_size":
        del doc["input"]["size"]
        return miss(doc, ("input", "size"), "E123", "input without size")
    key = kind.removeprefix("missing_")
    del doc[key]
    return miss(doc, (key,), "E123", f"no `{key}`")


def _stage_kinds(stages: list[dict[str, Any]], i: int, overridden: bool) -> list[str]:
    kinds = ["out_zero", "out_str", "unknown"]
    if not overridden:
        kinds += ["name_pattern", "missing_name"]
    if "depth" in stages[i]:
        kinds += ["depth_zero", "depth_big", "missing_depth", "blocks_and_template"]
    if len(stages) > 1 and i > 0:
        kinds.append("duplicate_name")
    return kinds


#: Stage breaks that set one field: kind -> (field, value, code, what).
_STAGE_VALUES: dict[str, tuple[str, Any, str, str]] = {
    "out_zero": ("out", 0, "E122", "stage out 0"),
    "out_str": ("out", "16", "E121", "stage out as a string"),
    "name_pattern": ("name", "2nd stage", "E125", "stage name with a space"),
    "depth_zero": ("depth", 0, "E122", "depth 0"),
    "depth_big": ("depth", 1001, "E122", "depth over the limit"),
}


def _break_stage(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    stages = doc.get("stages") or []
    if not stages:
        return None
    i = g.int(0, len(stages) - 1)
    stage = stages[i]
    overridden = any(isinstance(v.get("stages"), dict) and stage["name"] in v["stages"]
                     for v in (doc.get("variants") or {}).values())
    kind = g.pick(_stage_kinds(stages, i, overridden))
    here: KeyPath = ("stages", i)
    if kind in _STAGE_VALUES:
        key, value, code, what = _STAGE_VALUES[kind]
        stage[key] = value
        return miss(doc, (*here, key), code, what)
    if kind == "duplicate_name":
        stage["name"] = stages[g.int(0, i - 1)]["name"]
        return miss(doc, (*here, "name"), "E128", "duplicate stage name")
    if kind == "unknown":
        stage["dpeth"] = 2
        return miss(doc, (*here, "dpeth"), "E120", "unknown stage key", "key")
    if kind == "missing_name":
        del stage["name"]
        return miss(doc, (*here, "name"), "E123", "stage without a name")
    if kind == "missing_depth":
        if overridden:
            return None  # a variant's `depth:` would complete the stage there
        del stage["depth"]
        return miss(doc, here, "E127", "template stage without depth")
    stage["blocks"] = [{"block": "act", "act": "relu"}]
    return miss(doc, here, "E127", "stage with both blocks and a template")


def _break_variant(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    variants = doc.get("variants") or {}
    kind = g.pick(["default", "stage", "key", "not_mapping"] if variants else ["default"])
    if kind == "default":
        doc["default_variant"] = "nosuch"
        return miss(doc, ("default_variant",), "E131", "default_variant not defined")
    name = g.pick(sorted(variants))
    over = variants[name]
    if kind == "stage":
        if isinstance(over.get("stages"), list):
            return None
        over.setdefault("stages", {})["nosuch"] = {"depth": 1}
        return miss(doc, ("variants", name, "stages", "nosuch"), "E130",
                    "variant overrides an unknown stage", "key")
    if kind == "key":
        over["nmae"] = "x"
        return miss(doc, ("variants", name, "nmae"), "E120", "unknown variant key", "key")
    variants[name] = 3
    return miss(doc, ("variants", name), "E121", "variant that is not a mapping")


BREAKS: dict[str, Callable[[Gen, GeneratedSpec], NearMiss | None]] = {
    "resolved": break_resolved, "block": break_block_type,
    "first_or_branch": break_first_or_child, "stage": _break_stage,
    "variant": _break_variant, "keys": _break_top_keys, "top": _break_top}


@st.composite
def _near_misses(draw: Any, families: frozenset[str], variants: bool, width: bool,
                 max_stages: int, breaks: tuple[str, ...]) -> NearMiss:
    g = Gen(draw, families, width)
    spec = draw(draw_specs(families, variants, width, max_stages))
    start = g.int(0, len(breaks) - 1)
    for name in breaks[start:] + breaks[:start]:
        found = BREAKS[name](g, spec)
        if found is not None:
            return found
    reject()  # nothing of the selected kinds to break in this document (e.g. no blocks)


def near_misses(*, breaks: Iterable[str] | None = None, families: Iterable[str] | None = None,
                variants: bool = True, width: bool = True,
                max_stages: int = MAX_STAGES) -> st.SearchStrategy[NearMiss]:
    """Documents with exactly one broken field (see :class:`NearMiss`).

    ``breaks`` selects what is broken (default: everything): ``resolved`` (buildability errors,
    ranges, missing keys, cross-field errors and noqa codes in explicit blocks the resolved
    variants reach), ``block`` (types, literals, tags and keys of blocks validated as written,
    defaults included), ``first_or_branch`` (fields of ``first:`` and of parallel branches),
    ``stage``, ``variant``, ``keys`` (unknown and missing top-level and input keys), ``top``
    (top-level, input and width values).
    """
    chosen = tuple(BREAKS) if breaks is None else tuple(breaks)
    unknown = set(chosen) - set(BREAKS)
    if unknown or not chosen:
        raise ValueError(f"unknown near-miss kinds {sorted(unknown)}; choose from {list(BREAKS)}")
    return _near_misses(check_families(families), variants, width, max_stages, chosen)
