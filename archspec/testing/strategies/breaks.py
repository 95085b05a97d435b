"""Near misses inside blocks: wrong types, literals, tags and keys of blocks validated as written;
buildability errors, ranges, missing keys and noqa codes found when a block is resolved; fields of
``first:`` and of nested blocks (parallel branches, residual blocks), validated only when composed.

Which value breaks which field comes from the models (:mod:`.fields`); which block cannot be
built at a site comes from each family's generator (``FamilyGen.breaks``).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from archspec.testing.strategies.draw import Block, Gen
from archspec.testing.strategies.fields import FIELDS, NORM_FIELDS, REQUIRED
from archspec.testing.strategies.mutation import get
from archspec.testing.strategies.records import GeneratedSpec, NearMiss, Site
from archspec.testing.strategies.registry import generators
from archspec.testing.strategies.world import KeyPath

_BAD_CODE = "ZZ999"  # a rule code no rule will ever have


def put(doc: Any, path: KeyPath, value: Any) -> None:
    get(doc, path[:-1])[path[-1]] = value


def miss(doc: dict[str, Any], path: KeyPath, code: str, what: str,
         anchor: Literal["value", "key"] = "value") -> NearMiss:
    return NearMiss(doc, path, code, anchor, what)


def _unknown_key_or_wrong_type(g: Gen, doc: dict[str, Any], path: KeyPath, tag: str,
                               unknown: bool, what: str) -> NearMiss:
    """An unknown key in the ``tag`` block at ``path`` (also when it writes no typed field), or a
    wrong-typed value for one of its fields (the value and code derived from the model)."""
    block = get(doc, path)
    keys = _typed_keys(tag, block)
    if unknown or not keys:
        block["strid"] = 2
        return miss(doc, (*path, "strid"), "E120", what, "key")
    key = g.pick(keys)
    value, code = g.pick(FIELDS[tag][key].type_breaks)
    block[key] = value
    return miss(doc, (*path, key), code, f"{key}: {value!r}")


def _typed_keys(tag: str, block: Block) -> list[str]:
    return [k for k in block if k in FIELDS.get(tag, {})]


def _pass1_blocks(doc: dict[str, Any]) -> list[KeyPath]:
    """Key paths of block mappings that archspec validates as written (not children/first)."""
    out: list[KeyPath] = []

    def network(net: dict[str, Any], root: KeyPath) -> None:
        for section in ("stem", "head"):
            for i, _ in enumerate(net.get(section) or []):
                out.append((*root, section, i))
        stages = net.get("stages")
        if isinstance(stages, list):
            for i, stage in enumerate(stages):
                if "block" in stage:
                    out.append((*root, "stages", i, "block"))
                for j, _ in enumerate(stage.get("blocks") or []):
                    out.append((*root, "stages", i, "blocks", j))

    network(doc, ())
    for name, over in (doc.get("variants") or {}).items():
        network(over, ("variants", name))
    return out


def resolved_sites(spec: GeneratedSpec) -> list[Site]:
    """Explicit blocks that archspec.resolve reaches in at least one variant, on feature maps."""
    return [s for s in spec.sites if set(s.shapes) & spec.resolved_worlds
            and all(len(shape) == 3 for w, shape in s.shapes.items()
                    if w in spec.resolved_worlds)]


def _stage_resolved(spec: GeneratedSpec, i: int) -> bool:
    """Whether base stage ``i`` is part of a network archspec.resolve reaches."""
    variants = spec.document.get("variants") or {}
    if not variants:
        return True
    return any(not isinstance(v.get("stages"), list) for v in variants.values())


def break_block_type(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    """A wrong type, literal or tag in a block archspec validates as written."""
    doc = copy.deepcopy(spec.document)
    sites = _pass1_blocks(doc)
    for name in doc.get("defaults") or {}:
        sites.append(("defaults", name))
    if not sites:
        return None
    path = g.pick(sites)
    block = get(doc, path)
    tag = block.get("block") if path[0] != "defaults" else path[1]
    keys = _typed_keys(tag, block)
    norms = [k for k in keys if FIELDS[tag][k].kind == "norm"]
    kind = g.pick(["field", "tag", "unknown"] if path[0] != "defaults" else ["field", "unknown"])
    if norms and g.coin():
        key = g.pick(norms)
        sub = g.pick(sorted(NORM_FIELDS) + ["epss"])
        value: dict[str, Any]
        anchor: Literal["value", "key"]
        if sub == "type":
            value, code, anchor = {"type": "gn"}, "E122", "value"
        elif sub in NORM_FIELDS:
            value = {"type": "bn", sub: g.pick(NORM_FIELDS[sub].out_of_range)}
            code, anchor = "E122", "value"
        else:
            value, code, anchor = {"type": "ln", sub: 1e-6}, "E120", "key"
        block[key] = value
        return miss(doc, (*path, key, sub), code, f"{key}: {value!r}", anchor)
    if kind == "tag":
        block["block"] = g.pick(["convv", "mmbb", "Conv"])
        return miss(doc, (*path, "block"), "E124", "unknown block type")
    return _unknown_key_or_wrong_type(g, doc, path, tag, kind == "unknown", "unknown block key")


def break_resolved(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    """A block that validates as written but cannot be built (E14x), or a bad value found only
    when the block is resolved (ranges, missing keys, first/children fields, noqa)."""
    doc = copy.deepcopy(spec.document)
    sites = resolved_sites(spec)
    if not sites:
        return None
    site = g.pick(sites)
    shapes = [s for w, s in site.shapes.items() if w in spec.resolved_worlds]
    path = site.path
    block = get(doc, path)
    tag = block["block"]
    range_keys = [k for k in _typed_keys(tag, block) if FIELDS[tag][k].out_of_range]
    built = {(gen.tag, kind): b for gen in generators().values()
             for kind, b in gen.breaks(shapes).items()}
    kinds: list[Any] = [*built, "noqa"]
    kinds += ["range"] if range_keys else []
    kinds += ["missing"] if REQUIRED[tag] and REQUIRED[tag][0] in block else []
    kind = g.pick(kinds)
    if kind in built:
        b = built[kind]
        put(doc, path, copy.deepcopy(b.new))
        where = path if b.field is None else (*path, b.field)
        return miss(doc, where, b.code, f"{kind[1]} at {path}")
    if kind == "range":
        key = g.pick(range_keys)
        block[key] = g.pick(FIELDS[tag][key].out_of_range)
        return miss(doc, (*path, key), "E122", f"{key} out of range")
    if kind == "missing":
        required = REQUIRED[tag][0]
        del block[required]
        return miss(doc, (*path, required), "E123", f"{tag} without {required}")
    block["noqa"] = {_BAD_CODE: "a reason"}
    return miss(doc, (*path, "noqa", _BAD_CODE), "E160", "noqa of an unknown rule", "key")


def break_first_or_child(g: Gen, spec: GeneratedSpec) -> NearMiss | None:
    """Fields archspec validates only when it composes the block: `first:` and nested blocks
    (a parallel's branches, a residual's blocks and shortcut: sites under another site)."""
    doc = copy.deepcopy(spec.document)
    paths: list[KeyPath] = [("stages", i, "first") for i, s in enumerate(doc.get("stages") or [])
                            if s.get("first") and _stage_resolved(spec, i)]
    sites = resolved_sites(spec)
    parents = {s.path for s in sites}
    paths += [s.path for s in sites if any(s.path[:n] in parents for n in range(1, len(s.path)))]
    if not paths:
        return None
    path = g.pick(paths)
    block = get(doc, path)
    tag = block.get("block") or get(doc, path[:-1])["block"]["block"]  # first: the template's
    if path[-1] == "first" and g.coin():
        block["block"] = "convv"  # first naming an unknown family
        return miss(doc, (*path, "block"), "E124", "first: unknown block type")
    return _unknown_key_or_wrong_type(g, doc, path, tag, g.coin(), "unknown key")
