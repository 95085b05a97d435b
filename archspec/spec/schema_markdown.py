"""JSON Schema (:mod:`archspec.spec.schema`) → markdown: the field tables of docs/spec.md.

A field's type, range, default and description are written once, in the pydantic model; this
module writes them as people read them (``integer ≥ 1``, `` `bn` or `ln` ``) and turns the
docstring dialect used in archspec (``code``, ``::`` blocks) into markdown.
"""

from __future__ import annotations

import json
from typing import Any

from archspec.blocks import FAMILIES

SECTIONS = {"NetworkSpec": "top-level-keys", "InputSpec": "input", "WidthSpec": "width",
            "NormSpec": "norms", "StageSpec": "stages", "Block": "blocks",
            "Defaults": "how-a-block-gets-its-fields",
            "BlockOverride": "how-a-block-gets-its-fields", "Variant": "variants"}


def anchor_of(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    if name in SECTIONS:
        return SECTIONS[name]
    for family in FAMILIES.values():
        if name.startswith(family.model.__name__.removesuffix("Spec")):
            return f"block-{family.tag}"
    return name.lower()


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def type_text(schema: dict[str, Any]) -> str:
    """A property's type as people read it: ``integer ≥ 1``, `` `bn` or `ln` ``, ``list of 2 integers``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        label = {"NormSpec": "norm mapping", "Block": "block", "InputSpec": "mapping",
                 "WidthSpec": "mapping", "StageSpec": "stage", "Defaults": "mapping",
                 "BlockOverride": "block fields"}.get(name, name)
        return f"[{label}](#{anchor_of(schema['$ref'])})"
    if "anyOf" in schema or "oneOf" in schema:
        parts = [p for p in schema.get("anyOf", schema.get("oneOf", [])) if p != {"type": "null"}]
        if all("$ref" in p and "Layer" in p["$ref"] for p in parts) and parts:
            return "[block](#blocks)"
        return " or ".join(dict.fromkeys(type_text(p) for p in parts))
    if "const" in schema:
        return f"`{_yaml(schema['const'])}`"
    if "enum" in schema:
        return " ".join(f"`{_yaml(v)}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return " ".join([kind, *_range(schema)]).strip()
    if kind == "array":
        items = type_text(schema.get("items", {}))
        n_min, n_max = schema.get("minItems"), schema.get("maxItems")
        if n_min is not None and n_min == n_max:
            return f"list of {n_min} × {items}"
        return f"list of {items}" + (f" (at least {n_min})" if n_min else "")
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return f"mapping of name → {type_text(extra) if extra else 'anything'}"
        return "mapping"
    if kind == "boolean":
        return "bool"
    if kind == "string":
        return "name" if "pattern" in schema else "string"
    return "any"


def _range(schema: dict[str, Any]) -> list[str]:
    low = ("≥", schema["minimum"]) if "minimum" in schema else (
        (">", schema["exclusiveMinimum"]) if "exclusiveMinimum" in schema else None)
    high = ("≤", schema["maximum"]) if "maximum" in schema else (
        ("<", schema["exclusiveMaximum"]) if "exclusiveMaximum" in schema else None)
    parts = [f"{bound[0]} {_number(bound[1])}" for bound in (low, high) if bound]
    return [", ".join(parts)] if parts else []


def _yaml(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def cell(text: str) -> str:
    return " ".join(rst_to_md(text).split()).replace("|", "\\|")


def field_table(schema: dict[str, Any], *, skip: tuple[str, ...] = (),
                required: tuple[str, ...] | None = None) -> str:
    """A markdown table of ``schema``'s properties: key, type, default, description."""
    must = set(schema.get("required", []) if required is None else required)
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        if name in skip:
            continue
        if name in must:
            default = "**required**"
        elif "default" in prop:
            default = "unset" if prop["default"] is None else f"`{_yaml(prop['default'])}`"
        else:  # a default_factory: an empty list or mapping
            default = {"array": "`[]`", "object": "`{}`"}.get(prop.get("type", ""), "unset")
        rows.append(f"| `{name}` | {cell(type_text(prop))} | {default} | "
                    f"{cell(prop.get('description', ''))} |")
    return "\n".join(rows) + "\n"


def rst_to_md(text: str) -> str:
    """The docstring dialect used in archspec (``code``, ``::`` blocks) as markdown."""
    text = text.replace("``", "`")
    lines, out, fence = text.splitlines(), [], False
    for i, line in enumerate(lines):
        if fence and line.strip() and not line.startswith("    "):
            out.append("```")
            fence = False
        if not fence and line.rstrip().endswith("::") and i + 1 < len(lines):
            out.append(line.rstrip()[:-1])
            out.append("")
            out.append("```text")
            fence = True
            continue
        out.append(line[4:] if fence else line)
    if fence:
        out.append("```")
    return "\n".join(out).replace("```text\n\n", "```text\n").replace("\n\n```\n", "\n```\n")
