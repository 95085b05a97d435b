"""The spec document: a validated base network, its variants, and where every value came from.

``load``/``loads`` validate the base (pass 1, see :mod:`archspec.spec.models`) and every variant
merged onto it, and raise one :class:`~archspec.diagnostics.SpecError` listing all problems.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from archspec.diagnostics import (
    Diagnostic,
    SpecError,
    dedupe,
    did_you_mean,
    error,
    show_text,
    show_value,
)
from archspec.spec.errors import translate
from archspec.spec.limits import check_total, check_variant_count
from archspec.spec.located import Located, graft, overlay
from archspec.spec.models import (
    VARIANT_KEYS,
    WrittenNetwork,
    has_out,
    validate_network,
)
from archspec.spec.placement import allowed_keys, misplaced_key, misplaced_note
from archspec.spec.source import Source, parse_source, read_source

BASE = None  # the variant name of the base network


@dataclass(eq=False)
class Document:
    """A spec file: its source (text and locations) and the validated base network."""

    source: Source
    spec: Any  # NetworkSpec
    _variants: dict[str, Located] = field(default_factory=dict, repr=False)
    #: the networks that failed pass 1 (None: the base), in a document :func:`check` returns
    #: with problems; empty for a loaded document
    failed: frozenset[str | None] = field(default=frozenset(), repr=False)

    def __repr__(self) -> str:
        """Bounded whatever the spec holds (a 5,000-digit width, 30,000 variants)."""
        names = [show_value(v) for v in self.variants[:5]]
        more = f", … {len(self.variants) - 5} more" if len(self.variants) > 5 else ""
        return (f"Document({show_value(self.file)}, name={show_value(self.spec.name)}, "
                f"variants=[{', '.join(names)}{more}])")

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
    def resolvable(self) -> list[str | None]:
        """The networks to resolve: every variant that passed pass 1 (the base, without
        variants); all of them for a loaded document."""
        if not self.spec.variants:
            return [] if None in self.failed else [None]
        return [v for v in self.variants if v not in self.failed]

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
    near = did_you_mean(variant, doc.variants)
    return error("E131", f"no variant {variant!r} in {doc.file}", doc.source.span_of(("variants",)),
                 expected=", ".join(doc.variants) or "no variants are defined",
                 fix=f"did you mean `{near}`?" if near else "run `archspec list FILE`")


def _without_variants(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("variants", "default_variant")}


def _validate(located: Located, source: Source, variant: str | None) -> list[Diagnostic]:
    return _validated(located, source, variant)[1]


def _validated(located: Located, source: Source, variant: str | None
               ) -> tuple[WrittenNetwork | None, list[Diagnostic]]:
    """The network validated once: the model, or None and every problem, located."""
    try:
        return validate_network(located.data), []
    except ValidationError as exc:
        return None, translate(exc, located, source, variant=variant, allowed=allowed_keys,
                               misplaced=misplaced_key)


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
            near = did_you_mean(str(key), VARIANT_KEYS)
            elsewhere = misplaced_note(str(key), "a variant")  # `archspec`, or a block's key
            problems.append(error(
                "E120", f"`variants.{variant}`: unknown key `{show_text(str(key))}`"
                + (f": {elsewhere[0]}" if elsewhere else ""),
                source.key_span_of((*override.root, key)), variant=variant,
                expected=", ".join(VARIANT_KEYS),
                fix=elsewhere[1] if elsewhere else (
                    f"did you mean `{near}`?" if near else None)))
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
        index_of: dict[Any, int] = {}
        for i, stage_name in enumerate(names):
            index_of.setdefault(stage_name, i)
        if base_stages:  # a copy of its own, that each stage's override is grafted into (0008)
            merged = Located({**merged.data, "stages": list(base_stages)}, dict(merged.prov),
                             merged.root)
        for name, change in stages.items():
            if name not in names:
                near = did_you_mean(str(name), [n for n in names if n])
                problems.append(error(
                    "E130", f"`variants.{variant}.stages`: no stage named `{name}` in the base",
                    source.key_span_of((*override.root, "stages", name)), variant=variant,
                    expected=", ".join(n for n in names if n) or "no stages",
                    fix=f"did you mean `{near}`?" if near else None))
                continue
            index = index_of[name]
            if not isinstance(change, dict):
                problems.append(error(
                    "E121", f"`variants.{variant}.stages.{name}` must be a mapping",
                    source.span_of((*override.root, "stages", name)), variant=variant))
                continue
            sub = override.sub(("stages", name))
            top = Located({"stages": {index: sub.data}},
                          {("stages", index, *p): s for p, s in sub.prov.items()}, sub.root)
            _overlay_stage(merged, top, index)
    elif stages is not None:
        problems.append(error(
            "E121", f"`variants.{variant}.stages` must map stage names to overrides",
            source.span_of((*override.root, "stages")), variant=variant,
            expected="{s3: {out: 120, depth: 9}}"))
    return merged, problems


def _overlay_stage(merged: Located, top: Located, index: int) -> None:
    """Overlay onto one stage of the stages list (lists otherwise replace wholesale), in place:
    ``merged`` owns its data and stages list (see merge_variant)."""
    stage = merged.sub(("stages", index))
    change = Located(top.data["stages"][index],
                     {p[2:]: s for p, s in top.prov.items() if p[:2] == ("stages", index)},
                     top.root)
    new_stage = overlay(stage, change)
    graft(merged, ("stages", index), Located(new_stage.data, new_stage.prov, stage.root))


def from_source(source: Source) -> Document:
    """Validate a parsed source into a Document (pass 1, every variant); raise one SpecError
    listing every problem."""
    document, problems = check(source)
    if problems:
        raise SpecError(problems)
    assert document is not None
    return document


def check(source: Source) -> tuple[Document | None, list[Diagnostic]]:
    """Pass 1 over the base and every variant merged onto it: the document and every problem.

    With problems, the document (None if the base fails validation: every variant inherits
    that) is still returned, naming the networks that failed (:attr:`Document.resolvable` are
    the others), so that ``archspec lint`` resolves those too and reports all mistakes at once.
    """
    if not isinstance(source.data, dict):  # pragma: no cover - the loader refuses these
        return None, [error("E105", "top level must be a mapping", source.span_of(()))]
    spec, problems = _validated(Located.at(source.data, ()), source, None)
    if spec is None:
        return None, problems
    too_many = check_variant_count(spec.variants, source)  # limits before the work (0008)
    if too_many:
        return None, too_many
    base = Located.at(_without_variants(source.data), ())
    problems = [*_duplicate_stage_names(spec, source), *_ignored_stage_fields(base, source, None)]
    failed: set[str | None] = {None} if problems else set()
    variants: dict[str, Located] = {}
    for name in spec.variants:
        override = Located.at(source.data["variants"][name], ("variants", name))
        merged, merge_problems = merge_variant(base, override, source, name)
        found = merge_problems or _validate_variant(merged, source, name) or \
            _ignored_stage_fields(merged, source, name)
        problems.extend(found)
        if found:
            failed.add(name)
        else:  # a merged document that failed is never resolved
            variants[name] = merged
    too_many = check_total([(n, v.data, v) for n, v in variants.items()] if spec.variants
                           else [(None, base.data, base)], source)
    if too_many:
        return None, too_many
    if spec.default_variant is not None and spec.default_variant not in spec.variants:
        problems.append(error("E131", f"default_variant `{spec.default_variant}` is not defined",
                              source.span_of(("default_variant",)),
                              expected=", ".join(spec.variants) or "a `variants:` entry"))
    return Document(source, spec, variants, failed=frozenset(failed)), dedupe(problems)


def check_merged(merged: Located, source: Source, variant: str) -> list[Diagnostic]:
    """Pass 1 of a network merged outside the file (a sweep's candidate: the variant with more
    overrides), as a variant of the file gets it."""
    return _validate_variant(merged, source, variant) or \
        _ignored_stage_fields(merged, source, variant)


def _validate_variant(merged: Located, source: Source, variant: str) -> list[Diagnostic]:
    """Pass 1 of a merged variant, a template key its override gives a stage with a ``blocks:``
    list (or the reverse) located at the override, not at the base's stage."""
    conflicts = _override_conflicts(merged, source, variant)
    stages = {d.key_path[:2] for d in conflicts}
    return [*conflicts, *(d for d in _validate(merged, source, variant)
                          if not (d.code == "E127" and d.key_path in stages))]


def _override_conflicts(net: Located, source: Source, variant: str) -> list[Diagnostic]:
    problems = []
    for i, stage in enumerate(net.data.get("stages") or []):
        if not isinstance(stage, dict) or "blocks" not in stage:
            continue
        keys = [k for k in ("depth", "block", "first") if k in stage]
        mine = {k for k in [*keys, "blocks"]
                if net.source_path(("stages", i, k))[:2] == ("variants", variant)}
        name, at = stage.get("name"), f"`variants.{variant}.stages.{stage.get('name')}"
        if "blocks" in mine and set(keys) - mine:
            problems.append(error(
                "E127", f"{at}.blocks`: stage `{name}` is a template stage; an override merges "
                f"into it and cannot remove its {', '.join(f'`{k}`' for k in keys)}",
                source.key_span_of(net.source_path(("stages", i, "blocks"))), variant=variant,
                key_path=("stages", i, "blocks"),
                fix="give the variant's `stages:` as a whole list to change a stage's kind"))
        elif "blocks" not in mine:
            problems.extend(error(
                "E127", f"{at}.{k}`: stage `{name}` lists its blocks, so a template's `{k}` "
                "would not apply", source.key_span_of(net.source_path(("stages", i, k))),
                variant=variant, key_path=("stages", i, k),
                fix="override the stage's `blocks:` list instead (a list replaces the base's)")
                for k in keys if k in mine)
    return problems


def _ignored_stage_fields(net: Located, source: Source, variant: str | None) -> list[Diagnostic]:
    """A stage's ``out`` that no block would read: never ignore a number the user wrote.

    It sets the width of a template stage's blocks; a stage with an explicit ``blocks:`` list,
    or whose blocks have no ``out`` (pool, norm, act, dropout), would silently drop it.
    """
    problems = []
    for i, stage in enumerate(net.data.get("stages") or []):
        if stage.get("out") is None:
            continue
        span = source.span_of(net.source_path(("stages", i, "out")))
        where = f"stage `{stage['name']}`: `out: {stage['out']}`"
        override = "" if variant is None else (
            f" (in the variant: `variants.{variant}.stages.{stage['name']}.blocks: [...]` "
            "replaces the list)")
        if stage.get("blocks") is not None:
            problems.append(error(
                "E129", f"{where} would be ignored: `out` sets the width of a template stage's "
                "blocks, and this stage lists its blocks", span, variant=variant,
                key_path=("stages", i, "out"),
                expected="`out` only on a stage with `depth` and `block`",
                fix="remove it and set `out:` on the blocks in `blocks:`" + override +
                ", or scale every width with `width: {mult: ...}`"))
            continue
        template = stage["block"].get("block")
        first = (stage.get("first") or {}).get("block", template)  # both known after pass 1
        tags = {first} | ({template} if stage["depth"] > 1 or first == template else set())
        if not any(has_out(tag) for tag in tags):
            problems.append(error(
                "E129", f"{where} would be ignored: `{'`, `'.join(sorted(map(str, tags)))}` "
                "blocks have no output width", span, variant=variant,
                key_path=("stages", i, "out"), expected="`out` on a stage of blocks that have it",
                fix="remove `out`"))
    return problems


def _duplicate_stage_names(spec: Any, source: Source) -> list[Diagnostic]:
    """Variants address stages by name, so names must be unique."""
    seen: dict[str, int] = {}
    problems = []
    for i, stage in enumerate(spec.stages):
        if stage.name in seen:
            first = source.span_of(("stages", seen[stage.name], "name"))
            problems.append(error(
                "E128", f"`stages[{i}].name`: stage name `{stage.name}` is already used by "
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

    class Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML ships no type stubs
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
    text: str = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=100)
    return text


def _needs_quotes(value: str) -> bool:
    from archspec.spec.source import parse_source as _parse

    if value == "" or value.strip() != value:
        return True
    try:
        parsed = _parse(f"k: {value}\n").data.get("k")
    except SpecError:
        return True
    return parsed != value
