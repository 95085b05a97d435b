"""What an axis path of a space file reaches in the base network, and the type its values need.

An axis path is a dotted path into the chosen variant's network, as a variant override would
write it (stages addressed by name; :mod:`archspec.sweep.apply` turns values into overrides):

* ``stages.<name>.out`` / ``stages.<name>.depth``: a template stage's own keys;
* ``stages.<name>.block.<field>`` / ``stages.<name>.first.<field>``: a field of the stage's
  template or first block, any field its block family has (defaults may supply it, so it need not
  be written in the base); ``<name>`` may be ``*``, every stage that has a ``block``/``first``;
* the other top-level keys a variant may override, down to a leaf: ``width.mult``,
  ``input.size``, ``drop_path``, ``defaults.<type>.<field>``.

:func:`targets` answers with the pydantic field type of every place a path reaches (a ``stages.*``
path reaches several), so each value can be checked before sampling; a path that reaches nothing
raises :class:`PathProblem` with a "did you mean" over stage names or field names.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from archspec.diagnostics import did_you_mean, show_text
from archspec.sweep.apply import WILDCARD, split, wildcard_stages

#: a template stage's own keys that an axis may set
STAGE_KEYS = ("out", "depth")
#: the block layers of a template stage
LAYERS = ("block", "first")
#: a block's fields no sweep sets: its type and its suppressions
FIXED_FIELDS = ("block", "noqa")


class PathProblem(Exception):
    """A path that reaches nothing: the message, what would be valid, and a fix."""

    def __init__(self, message: str, expected: str | None = None, fix: str | None = None):
        super().__init__(message)
        self.message, self.expected, self.fix = message, expected, fix


@dataclass(frozen=True)
class Target:
    """One place a path reaches: a few words for messages, and the type of its value."""

    where: str
    kind: Any


def field_type(info: FieldInfo) -> Any:
    """A model field's type with its constraints (ranges, lengths), for a TypeAdapter."""
    if info.metadata:
        return Annotated[(info.annotation, *info.metadata)]
    return info.annotation


def fields_of(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key the YAML writes (the alias, where there is one)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def targets(path: str, network: Mapping[str, Any]) -> list[Target]:
    """Every place ``path`` reaches in ``network`` (the base variant's data), with its type."""
    from archspec.spec.models import VARIANT_KEYS

    parts = split(path)
    if any(not p for p in parts):
        raise PathProblem(f"`{show_text(path)}` has an empty part",
                          fix="write keys joined by single dots: `stages.s3.depth`")
    head = parts[0]
    if head == "stages":
        return _stage_targets(parts, network)
    if head in ("stem", "head"):
        raise PathProblem(f"`{head}` is a list: a path cannot address its blocks",
                          fix="sweep a stage's template (`stages.<name>.block.<field>`), or "
                              "write the alternatives as variants")
    if head == "defaults":
        return _defaults_targets(parts)
    if head not in VARIANT_KEYS:
        near = did_you_mean(head, VARIANT_KEYS)
        raise PathProblem(f"`{show_text(head)}` is not a key a variant can override",
                          expected=", ".join(VARIANT_KEYS),
                          fix=f"did you mean `{near}`?" if near else None)
    return [Target(path, _walk_model(parts))]


def _walk_model(parts: tuple[str, ...]) -> Any:
    from archspec.spec.models import network_model

    model: type[BaseModel] = network_model()
    for i, part in enumerate(parts):
        fields = fields_of(model)
        if part not in fields:
            near = did_you_mean(part, fields)
            where = ".".join(parts[:i]) or "the top level"
            raise PathProblem(f"`{'.'.join(parts[:i + 1])}`: `{where}` has no key "
                              f"`{show_text(part)}`", expected=", ".join(fields),
                              fix=f"did you mean `{near}`?" if near else None)
        info = fields[part]
        if i == len(parts) - 1:
            return field_type(info)
        inner = _model_in(info.annotation)
        if inner is None:
            raise PathProblem(f"`{'.'.join(parts[:i + 1])}` is a value: it has no "
                              f"`{show_text(parts[i + 1])}`",
                              fix=f"end the path at `{'.'.join(parts[:i + 1])}`")
        model = inner
    raise AssertionError("unreachable: a path has at least one part")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (``WidthSpec | None`` → WidthSpec), or None for a value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if a is not type(None)]
        if len(models) == 1:
            return _model_in(models[0])
    return None


def _defaults_targets(parts: tuple[str, ...]) -> list[Target]:
    from archspec.blocks import FAMILIES

    if len(parts) != 3:
        raise PathProblem(f"`{'.'.join(parts)}`: a defaults path is "
                          "`defaults.<block type>.<field>`")
    tag, name = parts[1], parts[2]
    if tag not in FAMILIES:
        near = did_you_mean(tag, FAMILIES)
        raise PathProblem(f"`defaults.{show_text(tag)}`: no block type `{show_text(tag)}`",
                          expected=", ".join(FAMILIES),
                          fix=f"did you mean `{near}`?" if near else None)
    return [_block_field(tag, name, f"defaults.{tag}", ".".join(parts))]


def _block_field(tag: str, name: str, where: str, path: str) -> Target:
    from archspec.blocks import FAMILIES

    fields = {k: v for k, v in fields_of(FAMILIES[tag].model).items() if k not in FIXED_FIELDS}
    if name not in fields:
        near = did_you_mean(name, fields)
        fixed = name in FIXED_FIELDS
        raise PathProblem(
            f"`{path}`: " + (f"a block's `{name}` cannot be swept" if fixed else
                             f"a `{tag}` block has no field `{show_text(name)}`"),
            expected=None if fixed else ", ".join(fields),
            fix=f"did you mean `{near}`?" if near else (
                "write the alternatives as variants" if fixed else None))
    return Target(f"{where} ({tag})", field_type(fields[name]))


def _stage_targets(parts: tuple[str, ...], network: Mapping[str, Any]) -> list[Target]:
    stages = [s for s in network.get("stages") or [] if isinstance(s, dict)]
    names = [str(s.get("name")) for s in stages]
    path = ".".join(parts)
    if len(parts) < 3:
        raise PathProblem(f"`{path}`: a stage path is `stages.<name>.<key>`",
                          expected="stages.<name>.out, .depth, .block.<field>, .first.<field>")
    name, key, rest = parts[1], parts[2], parts[3:]
    if key not in (*STAGE_KEYS, *LAYERS):
        near = did_you_mean(key, (*STAGE_KEYS, *LAYERS))
        raise PathProblem(f"`{path}`: a stage has no key `{show_text(key)}` to sweep",
                          expected="out, depth, block.<field>, first.<field>",
                          fix=f"did you mean `{near}`?" if near else None)
    if key in STAGE_KEYS and rest:
        raise PathProblem(f"`{path}`: `{key}` is a value: it has no `{show_text(rest[0])}`",
                          fix=f"end the path at `stages.{name}.{key}`")
    if key in LAYERS and len(rest) != 1:
        raise PathProblem(f"`{path}`: a block path is `stages.<name>.{key}.<field>`",
                          fix="name one field of the block")
    if name == WILDCARD:
        reached = set(wildcard_stages(network, parts[2:]))
        chosen = [s for s in stages if str(s.get("name")) in reached]
        if not chosen:
            raise PathProblem(f"`{path}`: no stage of the base has a `{key}`",
                              fix="name a stage that has it")
    elif name in names:
        chosen = [stages[names.index(name)]]
    else:
        near = did_you_mean(name, names)
        raise PathProblem(f"`{path}`: no stage named `{show_text(name)}` in the base",
                          expected=", ".join(names) or "no stages",
                          fix=f"did you mean `{near}`?" if near else None)
    return [_stage_target(stage, key, rest, path) for stage in chosen]


def _stage_target(stage: Mapping[str, Any], key: str, rest: tuple[str, ...], path: str
                  ) -> Target:
    from archspec.spec.models import network_model

    name = str(stage.get("name"))
    if "blocks" in stage:
        raise PathProblem(f"`{path}`: stage `{name}` lists its blocks: it has no template "
                          f"`{key}`", fix="sweep a template stage, or write the alternatives "
                          "as variants")
    if key in STAGE_KEYS:
        (stage_model,) = get_args(network_model().model_fields["stages"].annotation)
        return Target(f"stage {name}", field_type(fields_of(stage_model)[key]))
    template, layer = stage.get("block"), stage.get(key)
    tag = (layer or {}).get("block", (template or {}).get("block"))
    from archspec.blocks import FAMILIES

    if not isinstance(tag, str) or tag not in FAMILIES:  # pragma: no cover - pass 1 refuses it
        raise PathProblem(f"`{path}`: stage `{name}` has no block type")
    return _block_field(tag, rest[0], f"stage {name}'s {key}", path)
