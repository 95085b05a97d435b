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

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from archspec.blocks import FAMILIES
from archspec.blocks.base import Origin, ResolveContext, ResolvedBlock
from archspec.diagnostics import (
    Diagnostic,
    Severity,
    SpecError,
    dedupe,
    error,
    merge_repeats,
    merge_variants,
    show_number,
    show_text,
)
from archspec.graph.op import numel
from archspec.spec.document import field_names, misplaced_note
from archspec.spec.errors import translate
from archspec.spec.limits import count_blocks
from archspec.spec.located import Located, Path, overlay
from archspec.spec.models import has_out, network_model
from archspec.spec.resolved import ResolvedNet

if TYPE_CHECKING:
    from archspec.spec.document import Document

MAX_PARAMS = 1_000_000_000
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
                 num_classes: int | None):
        self.doc = doc
        self.source = doc.source
        self.variant = variant
        self.net = net
        self.num_classes = num_classes
        self.diagnostics: list[Diagnostic] = []
        spec = network_model().model_validate(net.data)
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
        raws = [raw for raw in raws if raw is not None and isinstance(raw.data, dict)]
        if not raws:
            return codes, spans
        from archspec.rules.codes import known_codes

        known = known_codes()
        for raw in raws:
            for code, reason in raw.data.items():
                span = self.source.key_span_of(raw.source_path((code,)))
                if code not in known:
                    import difflib

                    near = difflib.get_close_matches(str(code), sorted(known), n=1)
                    self.diagnostics.append(error(
                        "E160", f"noqa names unknown rule `{show_text(str(code))}`", span,
                        variant=self.variant,
                        expected="a rule code such as G1, S101, H101",
                        fix=f"did you mean `{near[0]}`?" if near else "see `archspec rule --list`"))
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
            return self.block(child_raw, section=section, stage=stage, index=rel[-1],  # type: ignore[arg-type]
                              path=sub_path, anchor_span=self.span(raw, rel), in_shape=shape)

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
    return TypeAdapter(annotation, config=ConfigDict(strict=True))


def resolve(document: Document, variant: str | None = None, *, num_classes: int | None = None,
            in_channels: int | None = None) -> ResolvedNet:
    """One network of ``document`` with every block explicit.

    ``variant`` defaults to the file's ``default_variant`` (or its first variant). ``num_classes``
    replaces the classifier's width (the head's last ``linear``) and ``in_channels`` the input
    channels, here, so the analysis always describes the module that gets built.
    """
    if variant is None:
        variant = document.default_variant
    key = (variant, num_classes, in_channels)
    if key not in document.resolved:
        document.resolved[key] = _resolve(document, variant, num_classes, in_channels)
    return document.resolved[key]  # type: ignore[no-any-return]


def resolve_variants(document: Document, variants: list[str | None]
                     ) -> tuple[list[ResolvedNet], list[Diagnostic]]:
    """Every one of ``variants`` that resolves, and the spec errors of those that do not; an
    error several variants share (one in the base network) is reported once, naming them in
    ``data["variants"]`` (see :func:`~archspec.diagnostics.merge_variants`)."""
    nets: list[ResolvedNet] = []
    problems: list[Diagnostic] = []
    for variant in variants:
        try:
            nets.append(resolve(document, variant))
        except SpecError as exc:
            problems.extend(d if d.variant else replace(d, variant=variant)
                            for d in exc.diagnostics)
    return nets, merge_variants(problems)


def _resolve(document: Document, variant: str | None, num_classes: int | None,
             in_channels: int | None) -> ResolvedNet:
    net = document.located(variant)
    r = _Resolver(document, variant, net, num_classes)
    spec = r.spec
    for name, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise SpecError([error("E122", f"{name} must be a positive integer, got {value!r}",
                                   document.source.span_of(()))])
    channels = in_channels or spec.input.channels
    shape: tuple[int, ...] = (channels, *spec.input.hw)
    # limits before the work: blocks counted from the raw document, the input's size (0008)
    too_many = count_blocks(net.data, document.source, net, variant=variant)[1]
    if too_many is not None:
        raise SpecError([too_many])
    if numel(shape) > MAX_TENSOR_ELEMS:
        raise SpecError([_too_large("the input", shape, r.span(net, ("input", "size")), variant)])
    positions = list(_positions(net, spec))
    stage_total = sum(1 for p in positions if p.section == "stages")
    head_linears = [i for i, p in enumerate(positions)
                    if p.section == "head" and p.block.data.get("block") == "linear"]
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
        input_shape=(channels, *spec.input.hw), blocks=tuple(blocks), init=spec.init,
        drop_path=spec.drop_path, span=document.source.span_of(()), overrides=overrides,
        text=document.source.text,
    )
    _check_sizes(resolved)
    return resolved


def _too_large(what: str, shape: tuple[int, ...], span: Any, variant: str | None,
               block: str | None = None) -> Diagnostic:
    dims = "×".join(show_number(d) for d in shape)
    return error("E151", f"{what}: a tensor of {dims} = {show_number(numel(shape), grouped=True)} "
                 "elements (per image) exceeds 2^31", span, variant=variant, block=block,
                 expected=f"at most {MAX_TENSOR_ELEMS:,} elements per tensor",
                 fix="lower the input size or the widths")


def _check_sizes(net: ResolvedNet) -> None:
    """Refuse absurd networks before anything is allocated, pointing at the block that is too
    large (its ``out`` where it has one)."""
    from archspec.graph.trace import trace

    graph = trace(net)
    blocks = {b.path: b for b in net.walk()}

    def where(path: str) -> Any:
        block = blocks.get(path)
        return block.origin.span_of("out") if block is not None else net.span

    problems = []
    params = graph.totals().params
    if params > MAX_PARAMS:
        per_block = graph.ops_by_block(b.path for b in net.blocks)
        largest = max(per_block, key=lambda p: sum(o.params for o in per_block[p]))
        held = sum(o.params for o in per_block[largest])
        problems.append(error("E150", f"{show_number(params, grouped=True)} parameters exceeds "
                              f"the limit of {MAX_PARAMS:,}; the largest block, `{largest}`, "
                              f"holds {show_number(held, grouped=True)}",
                              where(largest), variant=net.variant, block=largest,
                              fix="check the widths and depths for a typo"))
    for op in graph.ops():
        if numel(op.out_shape) > MAX_TENSOR_ELEMS:
            problems.append(_too_large(op.name, op.out_shape,
                                       where(op.block) if op.block else op.span, net.variant,
                                       op.block or None))
            break
    if problems:
        raise SpecError(problems)

