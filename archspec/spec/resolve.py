"""resolve(document, variant) → ResolvedNet: the one place defaults, templates, variants, width
multipliers and rounding happen.

Each block is composed from layers — ``defaults[<type>]`` ⊕ stage template ⊕ the stage's ``out``
⊕ ``first`` — keeping, for every field, the YAML node that set it; then validated with its
family's full model (pass 2) and resolved by the family into a frozen dataclass with its input
and output shapes. All problems are collected and raised together as one SpecError: after a
block that fails, resolution carries on with the output shape its own fields fix
(``Family.shape``), or stops that network with an E149 note where they do not.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from archspec.blocks import FAMILIES
from archspec.blocks.base import Origin, ResolveContext, ResolvedBlock, nested_fields
from archspec.diagnostics import (
    Diagnostic,
    Severity,
    SpecError,
    dedupe,
    did_you_mean,
    error,
    merge_repeats,
    show_number,
    show_text,
)
from archspec.graph.op import numel
from archspec.spec.errors import translate
from archspec.spec.limits import count_blocks
from archspec.spec.located import Located, Path, overlay
from archspec.spec.models import MAX_INPUT_SIZE, has_out, network_model
from archspec.spec.placement import field_names, misplaced_note
from archspec.spec.resolved import ResolvedNet

if TYPE_CHECKING:
    from archspec.spec.document import Document

MAX_TENSOR_ELEMS = 2**31


@dataclass
class Position:
    """One block to resolve: its place in the network and its composed layers."""

    section: str
    stage: str | None
    index: int
    path: str
    block: Located  # composed raw block (defaults ⊕ template ⊕ out ⊕ first)
    anchor: Path  # merged-document path of the YAML mapping that best stands for this block
    noqa: Located | None


def _defaults_layer(net: Located, tag: Any) -> Located | None:
    defaults = net.get("defaults") or {}
    if isinstance(tag, str) and isinstance(defaults.get(tag), dict):
        return net.sub(("defaults", tag))
    return None


def _compose(net: Located, layers: list[Located | None]) -> Located:
    present = [layer for layer in layers if layer is not None]
    tag = None
    for layer in present:
        tag = layer.data.get("block", tag)
    result = _defaults_layer(net, tag) or Located({}, {}, present[0].root)
    for layer in present:
        result = overlay(result, layer)
    return Located(result.data, {p: s for p, s in result.prov.items() if p}, present[0].root)


def _positions(net: Located, spec: Any) -> Iterator[Position]:
    for section in ("stem", "head"):
        if section == "head":
            yield from _stage_positions(net, spec)
        for i, _ in enumerate(net.get(section) or []):
            raw = net.sub((section, i))
            yield Position(section, None, i, f"{section}[{i}]", _compose(net, [raw]),
                           (section, i), None)


def _stage_positions(net: Located, spec: Any) -> Iterator[Position]:
    for s, stage in enumerate(spec.stages):
        here: Path = ("stages", s)
        noqa = net.sub((*here, "noqa")) if stage.noqa else None
        if stage.blocks is not None:
            for j in range(len(stage.blocks)):
                raw = net.sub((*here, "blocks", j))
                yield Position("stages", stage.name, j, f"stages.{stage.name}[{j}]",
                               _compose(net, [raw]), (*here, "blocks", j), noqa)
            continue
        template = net.sub((*here, "block"))
        out = None
        if stage.out is not None:
            out = Located({"out": stage.out},
                          {(): net.source_path(here), ("out",): net.source_path((*here, "out"))},
                          net.source_path(here))
        first = net.sub((*here, "first")) if stage.first is not None else None
        tpl_out = out if has_out(template.data.get("block")) else None
        for j in range(stage.depth):
            path = f"stages.{stage.name}[{j}]"
            if j == 0 and first is not None:
                replaces = first.data.get("block") not in (None, template.data.get("block"))
                tag = first.data.get("block") if replaces else template.data.get("block")
                stage_out = out if has_out(tag) else None
                layers = [stage_out, first] if replaces else [template, stage_out, first]
                yield Position("stages", stage.name, j, path, _compose(net, layers),
                               (*here, "first"), noqa)
            else:
                yield Position("stages", stage.name, j, path, _compose(net, [template, tpl_out]),
                               (*here, "block"), noqa)



class _Resolver:
    def __init__(self, doc: Document, variant: str | None, net: Located,
                 num_classes: int | None, known_codes: Collection[str] | None = None):
        self.doc = doc
        self.known_codes = known_codes
        self.source = doc.source
        self.variant = variant
        self.net = net
        self.num_classes = num_classes
        self.diagnostics: list[Diagnostic] = []
        spec: Any = network_model().model_validate(net.data)  # the variant's NetworkSpec
        self.spec = spec
        self.width_mult = spec.width.mult if spec.width else None
        self.width_divisor = spec.width.divisor if spec.width else 8
        #: whether the variant's override set the width multiplier or divisor (S104's fix)
        self.width_by_variant = any(net.source_path(("width", k))[:1] == ("variants",)
                                    for k in ("mult", "divisor"))

    def span(self, located: Located, path: Path = ()) -> Any:
        return self.source.span_of(located.source_path(path))

    def validate(self, raw: Located, path: str) -> Any | None:
        tag = raw.data.get("block")
        if not isinstance(tag, str) or tag not in FAMILIES:  # a nested block (residual, parallel)
            from archspec.diagnostics import did_you_mean, error

            near = did_you_mean(tag, FAMILIES) if isinstance(tag, str) else None
            code, what = ("E123", "a block without `block:`") if tag is None else \
                ("E124", f"unknown block type {tag!r}")
            self.diagnostics.append(error(
                code, f"`{path}`: {what}", self.span(raw), variant=self.variant,
                expected=f"`block:` one of {', '.join(FAMILIES)}",
                fix=f"write `block: {near}`" if near else "name the block's family in `block:`"))
            return None
        family = FAMILIES[tag]
        try:
            return family.model.model_validate(raw.data)
        except ValidationError as exc:
            allowed = field_names(family.model)
            self.diagnostics.extend(
                translate(exc, raw, self.source, prefix=(path,), variant=self.variant,
                          allowed=lambda p, d: allowed if not p else [], tagged=False,
                          misplaced=lambda p, d, key: None if p else
                          misplaced_note(key, f"a `{tag}` block")))
            return None

    def origin(self, pos_section: str, stage: str | None, index: int, path: str,
               raw: Located, anchor_span: Any, noqa_spans: dict[str, Any]) -> Origin:
        fields = {k: self.span(raw, (k,)) for k in raw.data if isinstance(k, str)}
        by_variant = {k for k in fields if raw.source_path((k,))[:1] == ("variants",)}
        if self.width_by_variant:
            by_variant.add("width")
        return Origin(section=pos_section, path=path, index=index, stage=stage,  # type: ignore[arg-type]
                      span=anchor_span, field_spans=fields, by_variant=frozenset(by_variant),
                      noqa_spans=noqa_spans)

    def noqa(self, raws: list[Located | None]) -> tuple[dict[str, str], dict[str, Any]]:
        codes: dict[str, str] = {}
        spans: dict[str, Any] = {}
        present = [raw for raw in raws if raw is not None and isinstance(raw.data, dict)]
        if not present:
            return codes, spans
        known = self.known_codes
        for raw in present:
            for code, reason in raw.data.items():
                span = self.source.key_span_of(raw.source_path((code,)))
                if known is not None and code not in known:
                    near = did_you_mean(str(code), sorted(known))
                    self.diagnostics.append(error(
                        "E160", f"noqa names unknown rule `{show_text(str(code))}`", span,
                        variant=self.variant,
                        expected="a rule code such as G1, S101, H101",
                        fix=f"did you mean `{near}`?" if near else "see `archspec rule --list`"))
                elif not isinstance(reason, str) or not reason.strip():
                    self.diagnostics.append(error(
                        "E160", f"noqa `{code}` needs a reason", span, variant=self.variant,
                        fix=f'write `{code}: "why this is acceptable here"`'))
                else:
                    codes[code] = reason
                    spans[code] = span
        return codes, spans

    def block(self, raw: Located, *, section: str, stage: str | None, index: int, path: str,
              anchor_span: Any, in_shape: tuple[int, ...], drop_path: float = 0.0,
              is_classifier: bool = False, stage_noqa: Located | None = None,
              spec: Any = None) -> ResolvedBlock | None:
        """``raw`` resolved (``spec``: its family model, when the caller validated it)."""
        spec = spec if spec is not None else self.validate(raw, path)
        if spec is None:
            return None
        block_noqa = raw.sub(("noqa",)) if isinstance(raw.data.get("noqa"), dict) else None
        noqa, noqa_spans = self.noqa([stage_noqa, block_noqa])
        origin = self.origin(section, stage, index, path, raw, anchor_span, noqa_spans)

        def child(rel: Path, shape: tuple[int, ...]) -> ResolvedBlock | None:
            child_raw = _compose(self.net, [raw.sub(rel)])  # its `block:` was checked in pass 1
            sub_path = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rel)
            # a classifier's nested lists end in classifiers (a parallel of distilled heads)
            last = rel[-1] == len(raw.sub(rel[:-1]).data) - 1
            return self.block(child_raw, section=section, stage=stage, index=rel[-1],  # type: ignore[arg-type]
                              path=sub_path, anchor_span=self.span(raw, rel), in_shape=shape,
                              is_classifier=is_classifier and last)

        ctx = ResolveContext(
            in_shape=in_shape, origin=origin, width_mult=self.width_mult,
            width_divisor=self.width_divisor, is_classifier=is_classifier,
            num_classes=self.num_classes, drop_path=drop_path, variant=self.variant,
            resolve_child=child,
        )
        resolved = FAMILIES[spec.block].resolve(spec, ctx)
        self.diagnostics.extend(ctx.diagnostics)
        if resolved is None:
            return None
        if not noqa and not ctx.roundings and not resolved.noqa and not resolved.roundings:
            return resolved  # already what the copy below would make (dataclasses.replace is slow)
        return replace(resolved, noqa=noqa, roundings=tuple(ctx.roundings))

    def shape_of(self, raw: Located, spec: Any, *, in_shape: tuple[int, ...],
                 is_classifier: bool) -> tuple[int, ...] | None:
        """The output shape a block that failed would have had, from the fields that fix it
        (its family's ``shape``; ``spec``: the block's model, None if it failed validation);
        None when they do not."""
        tag = raw.data.get("block")
        family = FAMILIES.get(tag) if isinstance(tag, str) else None
        if family is None or family.shape is None:
            return None
        fields = dict(spec) if spec is not None else _own_fields(tag, raw.data)
        ctx = ResolveContext(
            in_shape=in_shape, origin=Origin(section="stem", path="", index=0),
            width_mult=self.width_mult, width_divisor=self.width_divisor,
            is_classifier=is_classifier, num_classes=self.num_classes, variant=self.variant)
        return family.shape(fields, ctx)

    def unchecked(self, path: str, span: Any) -> Diagnostic:
        """The note that ends a network's resolution at a block whose output is unknown."""
        return Diagnostic(
            "E149", Severity.INFO, f"{path}: the blocks after this one were not checked: the "
            "output shape of this one is unknown until its error is fixed", span,
            variant=self.variant, block=path, fix="fix the error in this block, then run again")


def _classifies(data: Any) -> bool:
    """Whether a head block can be the classifier: a ``linear``, or a block whose every nested
    list ends in one (a ``parallel`` of RepViT's two distilled heads, averaged)."""
    tag = data.get("block") if isinstance(data, dict) else None
    if tag == "linear":
        return True
    family = FAMILIES.get(tag) if isinstance(tag, str) else None
    if family is None:
        return False
    ends: list[Any] = []
    for key, depth in nested_fields(family.model):
        lists = [data.get(key)]
        for _ in range(depth - 1):
            lists = [x for v in lists if isinstance(v, list) for x in v]
        ends += [v[-1] if isinstance(v, list) and v else None for v in lists if v is not None]
    return bool(ends) and all(_classifies(end) for end in ends)


def _own_fields(tag: str, data: dict[str, Any]) -> dict[str, Any]:
    """A block's fields that are valid on their own (one that fails its field's validation is
    left out), with the family's default for every field not written."""
    fields: dict[str, Any] = {}
    for name, key, required, default in _field_table(tag):
        if key not in data:
            if not required:
                fields[name] = default
            continue
        try:
            fields[name] = _field_adapter(tag, name).validate_python(data[key])
        except ValidationError:
            continue
    return fields


@cache
def _field_table(tag: str) -> tuple[tuple[str, str, bool, Any], ...]:
    """(name, YAML key, required, default) of each field of a family's model."""
    return tuple((name, info.alias or name, info.is_required(),
                  None if info.is_required() else info.get_default(call_default_factory=True))
                 for name, info in FAMILIES[tag].model.model_fields.items())


@cache
def _field_adapter(tag: str, name: str) -> TypeAdapter[Any]:
    """Validation of one field of a family's model, constraints included."""
    info = FAMILIES[tag].model.model_fields[name]
    annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata \
        else info.annotation
    return TypeAdapter(annotation, config=ConfigDict(strict=True))  # type: ignore[arg-type]


def resolve(document: Document, variant: str | None = None, *, num_classes: int | None = None,
            in_channels: int | None = None, input_size: int | tuple[int, int] | None = None,
            known_codes: Collection[str] | None = None) -> ResolvedNet:
    """One network of ``document`` with every block explicit.

    ``variant`` defaults to the file's ``default_variant`` (or its first variant). ``num_classes``
    replaces the classifier's width (the head's last ``linear``), ``in_channels`` the input
    channels and ``input_size`` the input's height and width (an int for a square), here, so the
    analysis always describes the module that gets built. ``known_codes``: the rule codes a
    ``noqa`` may name (E160 for another); None checks only that each entry has a reason (the
    caller, :mod:`archspec.pipeline`, passes the rule registry's codes: resolution does not
    import the rules). Sizes (E150, E151 past the input) are the pipeline's check, on the graph.
    """
    if variant is None:
        variant = document.default_variant
    return _resolve(document, variant, num_classes, in_channels, input_size, known_codes)


def _resolve(document: Document, variant: str | None, num_classes: int | None,
             in_channels: int | None, input_size: int | tuple[int, int] | None,
             known_codes: Collection[str] | None) -> ResolvedNet:
    net = document.located(variant)
    r = _Resolver(document, variant, net, num_classes, known_codes)
    spec = r.spec
    for name, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise SpecError([error("E122", f"{name} must be a positive integer, got {value!r}",
                                   document.source.span_of(()))])
    channels = in_channels or spec.input.channels
    hw = spec.input.hw if input_size is None else _input_hw(input_size, document)
    shape: tuple[int, ...] = (channels, *hw)
    # limits before the work: blocks counted from the raw document, the input's size (0008)
    too_many = count_blocks(net.data, document.source, net, variant=variant)[1]
    if too_many is not None:
        raise SpecError([too_many])
    if numel(shape) > MAX_TENSOR_ELEMS:
        raise SpecError([too_large("the input", shape, r.span(net, ("input", "size")), variant)])
    positions = list(_positions(net, spec))
    stage_total = sum(1 for p in positions if p.section == "stages")
    head_linears = [i for i, p in enumerate(positions)
                    if p.section == "head" and _classifies(p.block.data)]
    classifier = head_linears[-1] if head_linears else None
    blocks: list[ResolvedBlock] = []
    stage_i = 0
    for i, pos in enumerate(positions):
        rate = 0.0
        if pos.section == "stages":
            rate = spec.drop_path * stage_i / (stage_total - 1) if stage_total > 1 else 0.0
            stage_i += 1
        valid = r.validate(pos.block, pos.path)
        anchor = r.source.span_of(net.source_path(pos.anchor))
        block = None if valid is None else r.block(
            pos.block, section=pos.section, stage=pos.stage, index=pos.index, path=pos.path,
            anchor_span=anchor, in_shape=shape,
            drop_path=rate, is_classifier=i == classifier, stage_noqa=pos.noqa, spec=valid)
        if block is None:  # carry on with the shape its own fields fix, if they do
            after = r.shape_of(pos.block, valid, in_shape=shape, is_classifier=i == classifier)
            if after is None:
                if i + 1 < len(positions):
                    r.diagnostics.append(r.unchecked(pos.path, anchor))
                break
            shape = after
            continue
        blocks.append(block)
        shape = block.out_shape
    if r.diagnostics:
        raise SpecError(merge_repeats(dedupe(r.diagnostics)))
    overrides = {k: v for k, v in (("num_classes", num_classes), ("in_channels", in_channels))
                 if v is not None}
    resolved = ResolvedNet(
        name=str(spec.name), variant=variant, file=document.file,
        input_shape=(channels, *hw), blocks=tuple(blocks), init=spec.init,
        drop_path=spec.drop_path, span=document.source.span_of(()), overrides=overrides,
        text=document.source.text,
    )
    return resolved


def _input_hw(size: int | tuple[int, int], document: Document) -> tuple[int, int]:
    """A caller's input size as (H, W), within the bounds of a spec's ``input.size`` (E122 at
    the file's `input.size`, as if the spec had written it)."""
    pair = (size, size) if isinstance(size, int) else (size[0], size[1])
    written: tuple[tuple[tuple[str | int, ...], int], ...] = \
        ((("input", "size"), size),) if isinstance(size, int) else \
        tuple((("input", "size", i), v) for i, v in enumerate(pair))
    span = document.source.span_of(("input", "size"))
    problems = []
    for key_path, value in written:
        if not 1 <= value <= MAX_INPUT_SIZE:
            where = "input.size" + "".join(f"[{p}]" for p in key_path[2:])
            problems.append(error(
                "E122", f"`{where}`: {show_number(value)} is out of range", span,
                key_path=key_path,
                expected="a value ≥ 1" if value < 1 else f"a value ≤ {MAX_INPUT_SIZE}"))
    if problems:
        raise SpecError(problems)
    return pair


def too_large(what: str, shape: tuple[int, ...], span: Any, variant: str | None,
               block: str | None = None) -> Diagnostic:
    dims = "×".join(show_number(d) for d in shape)
    return error("E151", f"{what}: a tensor of {dims} = {show_number(numel(shape), grouped=True)} "
                 "elements (per image) exceeds 2^31", span, variant=variant, block=block,
                 expected=f"at most {MAX_TENSOR_ELEMS:,} elements per tensor",
                 fix="lower the input size or the widths")
