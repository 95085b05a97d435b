"""The spec document: a validated base network, its variants, and where every value came from.

``load``/``loads`` validate the base (pass 1, see :mod:`archspec.spec.models`) and every variant
merged onto it, and raise one :class:`~archspec.diagnostics.SpecError` listing all problems.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from archspec.blocks import FAMILIES
from archspec.diagnostics import Diagnostic, SpecError, error
from archspec.spec.errors import translate
from archspec.spec.located import Located, Path, overlay
from archspec.spec.models import TOP_LEVEL_KEYS, VARIANT_KEYS, network_model
from archspec.spec.source import Source, parse_source, read_source

BASE = None  # the variant name of the base network


@dataclass(eq=False)
class Document:
    """A spec file: its source (text and locations) and the validated base network."""

    source: Source
    spec: Any  # NetworkSpec
    _variants: dict[str, Located] = field(default_factory=dict, repr=False)
    #: resolve() results by (variant, num_classes, in_channels): a document never changes, and
    #: lint and the CLI summary ask for the same networks
    resolved: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    @property
    def file(self) -> str:
        return self.source.file

    @property
    def name(self) -> str:
        return str(self.spec.name)

    @property
    def variants(self) -> list[str]:
        return list(self.spec.variants)

    @property
    def default_variant(self) -> str | None:
        if self.spec.default_variant is not None:
            return str(self.spec.default_variant)
        return self.variants[0] if self.variants else None

    @property
    def data(self) -> dict[str, Any]:
        return self.source.data

    def __eq__(self, other: object) -> bool:
        """Documents are equal when they say the same thing; locations do not matter."""
        return isinstance(other, Document) and self.source.data == other.source.data

    def __hash__(self) -> int:  # pragma: no cover - documents are not dict keys
        return id(self)

    def located(self, variant: str | None) -> Located:
        """The network of ``variant`` (None = the base as written) with provenance."""
        base = Located.at(_without_variants(self.source.data), ())
        if variant is None:
            return base
        if variant not in self._variants:
            raise SpecError([unknown_variant(self, variant)])
        return self._variants[variant]


def unknown_variant(doc: Document, variant: str) -> Diagnostic:
    import difflib

    near = difflib.get_close_matches(variant, doc.variants, n=1)
    return error("E131", f"no variant {variant!r} in {doc.file}", doc.source.span_of(("variants",)),
                 expected=", ".join(doc.variants) or "no variants are defined",
                 fix=f"did you mean `{near[0]}`?" if near else "run `archspec list FILE`")


def _without_variants(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("variants", "default_variant")}


def allowed_keys(path: Path, data: Any) -> list[str]:
    """Keys valid in the mapping at ``path`` of a network document (for "did you mean")."""
    from archspec.blocks.base import NormSpec
    from archspec.spec.models import InputSpec, WidthSpec, _stage_model

    node = data
    for part in path:
        node = node[part]
    if isinstance(node, dict) and isinstance(node.get("block"), str) and node["block"] in FAMILIES:
        return _field_names(FAMILIES[node["block"]].model)
    if not path:
        return list(TOP_LEVEL_KEYS)
    last = path[-1]
    parent_key = path[-2] if len(path) >= 2 else None
    if last == "input":
        return _field_names(InputSpec)
    if last == "width":
        return _field_names(WidthSpec)
    if last == "defaults":
        return list(FAMILIES)
    if parent_key == "defaults" and last in FAMILIES:
        return [n for n in _field_names(FAMILIES[last].model) if n != "block"]
    if parent_key == "stages" and isinstance(last, int):
        return _field_names(_stage_model())
    if last in ("norm", "pre_norm", "expand_norm", "dw_norm", "proj_norm"):
        return _field_names(NormSpec)
    return sorted({n for fam in FAMILIES.values() for n in _field_names(fam.model)})


def _field_names(model: type) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]  # type: ignore[attr-defined]


def _validate(located: Located, source: Source, variant: str | None) -> list[Diagnostic]:
    try:
        network_model().model_validate(located.data)
    except ValidationError as exc:
        return translate(exc, located, source, variant=variant, allowed=allowed_keys)
    return []


def merge_variant(base: Located, override: Located, source: Source,
                  variant: str) -> tuple[Located, list[Diagnostic]]:
    """Deep-merge a variant onto the base; stages are addressed by name."""
    problems: list[Diagnostic] = []
    data = override.data
    if not isinstance(data, dict):
        span = source.span_of(override.root)
        return base, [error("E121", f"variant `{variant}` must be a mapping of overrides", span,
                            variant=variant, expected="a mapping such as {stages: {s3: {out: 120}}}")]
    merged = base
    for key in data:
        if key not in VARIANT_KEYS:
            import difflib

            near = difflib.get_close_matches(str(key), VARIANT_KEYS, n=1)
            problems.append(error(
                "E120", f"`variants.{variant}`: unknown key `{key}`",
                source.key_span_of((*override.root, key)), variant=variant,
                expected=", ".join(VARIANT_KEYS),
                fix=f"did you mean `{near[0]}`?" if near else None))
    plain = {k: v for k, v in data.items() if k in VARIANT_KEYS and k != "stages"}
    if plain:
        top = Located({k: v for k, v in plain.items()},
                      {p: s for p, s in override.prov.items() if p and p[0] in plain},
                      override.root)
        merged = overlay(merged, top)
    stages = data.get("stages")
    if isinstance(stages, list):  # a list replaces the base's stages wholesale
        merged = overlay(merged, Located({"stages": stages},
                                         {p: s for p, s in override.prov.items()
                                          if p and p[0] == "stages"}, override.root))
    elif isinstance(stages, dict):
        base_stages = merged.data.get("stages") or []
        names = [s.get("name") if isinstance(s, dict) else None for s in base_stages]
        for name, change in stages.items():
            if name not in names:
                import difflib

                near = difflib.get_close_matches(str(name), [n for n in names if n], n=1)
                problems.append(error(
                    "E130", f"`variants.{variant}.stages`: no stage named `{name}` in the base",
                    source.key_span_of((*override.root, "stages", name)), variant=variant,
                    expected=", ".join(n for n in names if n) or "no stages",
                    fix=f"did you mean `{near[0]}`?" if near else None))
                continue
            index = names.index(name)
            if not isinstance(change, dict):
                problems.append(error(
                    "E121", f"`variants.{variant}.stages.{name}` must be a mapping",
                    source.span_of((*override.root, "stages", name)), variant=variant))
                continue
            sub = override.sub(("stages", name))
            top = Located({"stages": {index: sub.data}},
                          {("stages", index, *p): s for p, s in sub.prov.items()}, sub.root)
            merged = _overlay_stage(merged, top, index)
    elif stages is not None:
        problems.append(error(
            "E121", f"`variants.{variant}.stages` must map stage names to overrides",
            source.span_of((*override.root, "stages")), variant=variant,
            expected="{s3: {out: 120, depth: 9}}"))
    return merged, problems


def _overlay_stage(merged: Located, top: Located, index: int) -> Located:
    """Overlay onto one stage of the stages list (lists otherwise replace wholesale)."""
    stage = merged.sub(("stages", index))
    change = Located(top.data["stages"][index],
                     {p[2:]: s for p, s in top.prov.items() if p[:2] == ("stages", index)},
                     top.root)
    new_stage = overlay(stage, change)
    data = dict(merged.data)
    data["stages"] = list(data["stages"])
    data["stages"][index] = new_stage.data
    prov = {p: s for p, s in merged.prov.items() if p[:2] != ("stages", index)}
    prov.update({("stages", index, *p): s for p, s in new_stage.prov.items()})
    prov[("stages", index)] = stage.root
    return Located(data, prov, merged.root)


def from_source(source: Source) -> Document:
    """Validate a parsed source into a Document (pass 1, every variant)."""
    if not isinstance(source.data, dict):  # pragma: no cover - the loader refuses these
        raise SpecError([error("E105", "top level must be a mapping", source.span_of(()))])
    problems = _validate(Located.at(source.data, ()), source, None)
    if problems:
        raise SpecError(problems)
    spec = network_model().model_validate(source.data)
    problems = _duplicate_stage_names(spec, source)
    base = Located.at(_without_variants(source.data), ())
    variants: dict[str, Located] = {}
    seen = {(d.code, d.span, d.message) for d in problems}
    for name in spec.variants:
        override = Located.at(source.data["variants"][name], ("variants", name))
        merged, merge_problems = merge_variant(base, override, source, name)
        found = merge_problems or _validate(merged, source, name)
        for d in found:
            if (d.code, d.span, d.message) not in seen:
                seen.add((d.code, d.span, d.message))
                problems.append(d)
        variants[name] = merged
    if spec.default_variant is not None and spec.default_variant not in spec.variants:
        problems.append(error("E131", f"default_variant `{spec.default_variant}` is not defined",
                              source.span_of(("default_variant",)),
                              expected=", ".join(spec.variants) or "a `variants:` entry"))
    if problems:
        raise SpecError(problems)
    return Document(source, spec, variants)


def _duplicate_stage_names(spec: Any, source: Source) -> list[Diagnostic]:
    """Variants address stages by name, so names must be unique."""
    seen: dict[str, int] = {}
    problems = []
    for i, stage in enumerate(spec.stages):
        if stage.name in seen:
            first = source.span_of(("stages", seen[stage.name], "name"))
            problems.append(error(
                "E122", f"`stages[{i}].name`: stage name `{stage.name}` is already used by "
                f"stages[{seen[stage.name]}] (line {first.line})",
                source.span_of(("stages", i, "name")), key_path=("stages", i, "name"),
                fix="give every stage a unique name"))
        seen.setdefault(stage.name, i)
    return problems


def loads(text: str | bytes, name: str = "<string>") -> Document:
    """Parse and validate spec text; ``name`` is the file name shown in messages."""
    return from_source(parse_source(text, name))


def load(path: str | os.PathLike[str]) -> Document:
    """Read and validate a spec file."""
    return from_source(read_source(path))


# ------------------------------------------------------------------------------------ dump


def dump(document: Document | dict[str, Any]) -> str:
    """YAML text that loads back to an equal document (strings that would read as numbers,
    booleans or null under YAML 1.2 are quoted)."""
    import yaml

    data = document.data if isinstance(document, Document) else document

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> Any:
        style = '"' if _needs_quotes(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def represent_float(dumper: yaml.SafeDumper, value: float) -> Any:
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exp = text.split("e")
            text = f"{mantissa}.0e{exp}"
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(str, represent_str)
    Dumper.add_representer(float, represent_float)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=100)


def _needs_quotes(value: str) -> bool:
    from archspec.spec.source import parse_source as _parse

    if value == "" or value.strip() != value:
        return True
    try:
        parsed = _parse(f"k: {value}\n").data.get("k")
    except SpecError:
        return True
    return parsed != value
