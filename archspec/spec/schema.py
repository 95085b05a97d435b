"""The JSON Schema of the spec format, generated from the pydantic models (``archspec schema``).

Editors read it (``# yaml-language-server: $schema=../docs/archspec.schema.json``) to complete
keys, show each field's description and default on hover, and flag unknown keys while typing.
It describes pass 1 of validation, the document as written:

* a block in ``stem``, ``head``, a stage's ``block`` or ``blocks`` is one of the block families,
  chosen by its ``block:`` tag, with every field optional (defaults may supply it) but shown with
  its real default, range and description, taken from the family's full model;
* ``defaults.<type>`` takes the fields of that family; a stage's ``first`` and the stage
  overrides of a variant take the fields of any family;
* a variant is a partial network: stages either a list (replacing the base's) or a mapping from
  stage name to overrides.

What only resolution can judge (``exp`` xor ``mid`` after layering, divisibility, shapes) is not in
the schema; ``archspec lint`` reports it.
"""

from __future__ import annotations

import copy
from typing import Any

from archspec.blocks import FAMILIES
from archspec.blocks.base import nested_fields
from archspec.spec.models import VARIANT_KEYS, network_model

DIALECT = "https://json-schema.org/draft/2020-12/schema"

ACT = "Activation: relu, relu6, hardswish, hardsigmoid, sigmoid, silu, gelu, gelu_tanh or none."

#: Descriptions for fields whose model gives none, keyed by (model, field); a block family's
#: model is named by its tag. The model's own description always wins, so these can move into
#: ``Field(description=...)`` one by one (docs/spec.md and the editor hovers both read them).
FALLBACK_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("network", "name"): "The network's name (letters, digits, `_`, `.`, `-`).",
    ("network", "input"): "Input channels and spatial size.",
    ("network", "width"): "Width multiplier and divisor applied to every scaled width.",
    ("network", "defaults"): "Field defaults keyed by block type, applied before templates.",
    ("network", "stem"): "Blocks before the stages.",
    ("network", "stages"): "Named stages of blocks: a template or an explicit list each.",
    ("network", "head"): "Blocks after the stages; its last `linear` is the classifier.",
    ("network", "init"): "Weight initialisation of the reference implementation to follow.",
    ("network", "default_variant"): "Variant used when none is named; else the first.",
    ("input", "channels"): "Input channels (3 for RGB).",
    ("input", "size"): "Input height and width: one integer for a square, or [H, W].",
    ("width", "mult"): "Width multiplier α.",
    ("width", "divisor"): "Scaled widths are rounded to a multiple of this (make_divisible).",
    ("stage", "name"): "Unique stage name, used by variants, block paths and messages.",
    ("stage", "noqa"): "Lint suppressions for every block of the stage: {CODE: reason}.",
    ("norm-mapping", "type"): "bn (BatchNorm2d), ln (LayerNorm over channels) or none.",
    ("norm-mapping", "eps"): "Added to the variance; unset: PyTorch's default.",
    ("norm-mapping", "momentum"): "BatchNorm running-statistics momentum; unset: PyTorch's default.",
    ("act", "act"): ACT,
    ("conv", "stride"): "Stride.",
    ("conv", "dilation"): "Dilation; padding grows with it.",
    ("conv", "bias"): "Bias on the conv.",
    ("conv", "act"): ACT,
    ("dropout", "p"): "Drop probability during training.",
    ("linear", "out"): "Output features (the classifier's: number of classes).",
    ("linear", "bias"): "Bias on the linear layer.",
    ("linear", "act"): ACT,
    ("mmb", "dilation"): "Dilation of the spatial conv.",
    ("mmb", "expand_norm"): "Norm after the 1×1 expansion conv.",
    ("mmb", "expand_act"): "Activation after the expansion. " + ACT,
    ("mmb", "expand_bias"): "Bias on the expansion conv.",
    ("mmb", "dw_norm"): "Norm after the spatial conv.",
    ("mmb", "dw_act"): "Activation after the spatial conv. " + ACT,
    ("mmb", "proj_norm"): "Norm after the 1×1 projection conv.",
    ("mmb", "proj_act"): "Activation after the projection (none: a linear bottleneck).",
    ("mmb", "proj_bias"): "Bias on the projection conv.",
    ("mmb", "se_act"): "Activation inside the SE block.",
    ("mmb", "se_gate"): "Gate of the SE block.",
    ("norm", "norm"): "The norm: bn, ln, none or {type, eps, momentum}.",
    ("parallel", "merge"): "concat: stack the branches' channels; add: sum them; mul: multiply "
                           "them element-wise (StarNet); mean: average them (distilled heads).",
    ("pool", "kind"): "Average or max pooling.",
    ("pool", "k"): "Window size k×k.",
    ("pool", "padding"): "Zero padding on each side (at most k // 2).",
    ("pool", "ceil_mode"): "Round the output size up, as PyTorch's ceil_mode.",
    ("shuffle", "out"): "Output channels (scaled by the width multiplier).",
    ("shuffle", "stride"): "1: split the channels; 2: both branches downsample.",
    ("shuffle", "dw_k"): "Depthwise conv kernel k×k.",
    ("shuffle", "norm"): "Norm after each conv.",
    ("shuffle", "act"): "Activation after the 1×1 convs. " + ACT,
    ("*", "block"): "The block's family.",
}


def _describe(schema: dict[str, Any], model: str) -> None:
    """Fill in FALLBACK_DESCRIPTIONS where ``schema``'s properties have no description."""
    for name, prop in schema.get("properties", {}).items():
        text = FALLBACK_DESCRIPTIONS.get((model, name)) or FALLBACK_DESCRIPTIONS.get(("*", name))
        if text and not prop.get("description"):
            prop["description"] = text


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with no required keys (a layer that is merged onto something else)."""
    out = copy.deepcopy(schema)
    out.pop("required", None)
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an archspec spec file."""
    from pydantic.json_schema import models_json_schema

    network = network_model()
    families = list(FAMILIES.values())
    _, top = models_json_schema([(network, "validation"), *((f.model, "validation")
                                                           for f in families)],
                                ref_template="#/$defs/{model}")
    defs: dict[str, Any] = top["$defs"]
    root = defs.pop(network.__name__)
    _describe(root, "network")
    for name, model in (("InputSpec", "input"), ("WidthSpec", "width"), ("StageSpec", "stage"),
                        ("NormSpec", "norm-mapping")):
        _describe(defs[name], model)

    # Block layers: the family's full model (real defaults, ranges, descriptions), all optional
    # but the tag. The names are those of the partial models pass 1 validates with.
    layers, overrides = [], []
    for family in families:
        full = defs.pop(family.model.__name__)
        _describe(full, family.tag)
        stem = family.model.__name__.removesuffix("Spec")
        layer = _optional(full)
        layer["required"] = ["block"]
        defaults = _optional(full)
        del defaults["properties"]["block"]
        defaults["title"] = f"{stem} defaults"
        layer["title"] = f"{stem} block (`block: {family.tag}`)"
        defs[f"{stem}Layer"], defs[f"{stem}Defaults"] = layer, defaults
        layers.append(_ref(f"{stem}Layer"))
        entry = defs["Defaults"]["properties"][family.tag]
        entry.setdefault("description", f"Defaults for every `{family.tag}` block.")
        overrides.append(_ref(f"{stem}Defaults"))
    defs["BlockOverride"] = {
        "title": "Block override",
        "description": "Fields of any block family, merged onto a block: a stage's `first`, "
                       "or a variant's change to a stage template. Naming another `block:` "
                       "type replaces the block.",
        "anyOf": [*layers, *overrides],
    }

    stage = defs["StageSpec"]
    stage["properties"]["first"] = {**_without_type(stage["properties"]["first"]),
                                    "anyOf": [_ref("BlockOverride"), {"type": "null"}]}
    stage_override = _optional(stage)
    stage_override["title"] = "Stage override"
    stage_override["description"] = ("A variant's change to a stage of the base, addressed by "
                                     "its name; mappings merge, lists and values replace.")
    stage_override["properties"].pop("name")
    stage_override["properties"]["block"] = {
        **_without_type(stage["properties"]["block"]),
        "anyOf": [_ref("BlockOverride"), {"type": "null"}]}
    defs["StageOverride"] = stage_override
    defs["InputOverride"] = {**_optional(defs["InputSpec"]), "title": "Input override"}

    props = root["properties"]
    union = props["stem"]["items"]  # the discriminated union of block layers, used everywhere
    for family in FAMILIES.values():  # nested blocks (parallel branches, residual blocks)
        stem = family.model.__name__.removesuffix("Spec")
        for key, depth in nested_fields(family.model):
            for name in (f"{stem}Layer", f"{stem}Defaults"):
                _nest(defs[name]["properties"][key], depth, union)
    variant_props = {key: copy.deepcopy(props[key]) for key in VARIANT_KEYS}
    variant_props["input"] = _ref("InputOverride")
    variant_props["stages"] = {
        "description": "A list replaces the base's stages; a mapping changes stages by name.",
        "anyOf": [copy.deepcopy(props["stages"]),
                  {"type": "object", "additionalProperties": _ref("StageOverride")}]}
    defs["Variant"] = {
        "title": "Variant",
        "description": "Overrides deep-merged onto the base network: mappings merge key by key, "
                       "lists and values replace, stages are addressed by name.",
        "type": "object", "additionalProperties": False, "properties": variant_props}
    props["variants"] = {**_without_type(props["variants"]), "type": "object",
                         "additionalProperties": _ref("Variant")}

    root, defs = _hoist(root, union), _hoist(defs, union)
    defs["Block"] = {"title": "Block",
                     "description": "A block of any family, chosen by its `block:` tag.", **union}
    return {
        "$schema": DIALECT,
        "title": "archspec spec",
        "description": "A mobile vision network for archspec (docs/spec.md). Generated by "
                       "`archspec schema` from the pydantic models; do not edit.",
        **{k: v for k, v in root.items() if k not in ("title", "description")},
        "$defs": dict(sorted(defs.items())),
    }


def _hoist(schema: Any, union: dict[str, Any]) -> Any:
    """``schema`` with every copy of the block union replaced by a reference to ``Block``."""
    if schema == union:
        return _ref("Block")
    if isinstance(schema, dict):
        return {k: _hoist(v, union) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_hoist(v, union) for v in schema]
    return schema


def _nest(schema: dict[str, Any], depth: int, union: dict[str, Any]) -> None:
    """Type the blocks ``depth`` arrays deep in ``schema`` (a field's schema, optional or not)
    as ``union``."""
    for member in schema.get("anyOf", [schema]):
        if member.get("type") == "array":
            if depth == 1:
                member["items"] = union
            else:
                _nest(member["items"], depth - 1, union)


def _without_type(schema: dict[str, Any]) -> dict[str, Any]:
    """Title, description and default of a property, without what it says about the type."""
    return {k: v for k, v in schema.items() if k in ("title", "description", "default")}
