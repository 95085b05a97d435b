"""Family generators, found by the block registry's tags.

Every tag archspec registers (``archspec.blocks.FAMILIES``) has a generator module
``archspec/testing/strategies/families/<tag>.py`` defining ``GENERATOR``, a :class:`FamilyGen`:
how to draw a valid block of the family and the family's own output-shape oracle. Adding a family
means adding that file; nothing else in ``archspec/testing/`` names it. A registered family
without a generator is an error (:class:`MissingGenerator`), never silently left out, so the
property suite cannot stop covering a family unnoticed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


@dataclass(frozen=True)
class Break:
    """A block that validates as written but fails when resolved (or a value found only then):
    it replaces an explicit block, and archspec must report ``code`` at its ``field`` (at the
    block itself when None)."""

    new: Block
    field: str | None
    code: str


def _no_pins(g: Gen, replacing: bool) -> dict[str, Any]:
    return {}


def _any_width(channels: int) -> bool:
    return True


def _no_breaks(shapes: list[Shape]) -> dict[str, Break]:
    return {}


@dataclass(frozen=True)
class FamilyGen:
    """One family's generator and oracle.

    ``draw(g, ctxs, req, path)`` returns a block valid at every context (honouring ``req``) or
    None when the family cannot fit; ``shape(block, ctx)`` is its output shape, computed from the
    papers' and PyTorch's formulas, never by archspec's resolver. ``spatial``: works on feature
    maps; ``template``: has a written ``out``, so it can be a stage template, a ``first:`` and
    the width-setting end of a parallel branch. ``fallback``: rank among the families tried when
    the drawn one does not fit (lower first); ``last_resort``: tried even when not among the chosen
    families (it must fit anywhere). ``defaults(g)``: shape-neutral fields for ``defaults:``;
    ``stage_pins(g, replacing)``: fields pinned for every block of a template stage (``replacing``:
    as a ``first:`` of another family); ``stage_width_ok``: widths a template stage can have;
    ``breaks(shapes)``: the family's buildability errors at a site with those input shapes, by
    kind. ``keeps_shape``: any shape in, the same shape out (a parallel branch's tail);
    ``on_vectors``: valid on a vector too (after a head's hidden linear).
    """

    tag: str
    draw: Callable[[Gen, list[Ctx], Req, KeyPath], Block | None]
    shape: Callable[[Block, Ctx], Shape]
    spatial: bool = True
    template: bool = False
    fallback: int | None = None
    last_resort: bool = False
    defaults: Callable[[Gen], Block] | None = None
    stage_pins: Callable[[Gen, bool], dict[str, Any]] = _no_pins
    stage_width_ok: Callable[[int], bool] = _any_width
    breaks: Callable[[list[Shape]], dict[str, Break]] = _no_breaks
    keeps_shape: bool = False
    on_vectors: bool = False


class MissingGenerator(LookupError):
    """A registered block family has no generator module (or a malformed one)."""


def registry_tags() -> tuple[str, ...]:
    """The block families archspec registers, in registration order (the registry's keys)."""
    from archspec.blocks import FAMILIES

    return tuple(FAMILIES)


def load_generator(tag: str) -> FamilyGen:
    """The ``GENERATOR`` of ``families/<tag>.py``; :class:`MissingGenerator` when there is none."""
    name = f"{__package__}.families.{tag}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise MissingGenerator(
            f"block family {tag!r} has no generator: add archspec/testing/strategies/families/"
            f"{tag}.py defining GENERATOR = FamilyGen(tag={tag!r}, ...) (docs/testing.md)"
        ) from None
    gen = getattr(module, "GENERATOR", None)
    if not isinstance(gen, FamilyGen) or gen.tag != tag:
        raise MissingGenerator(f"{name}.GENERATOR must be a FamilyGen with tag {tag!r}")
    return gen


@cache
def generators() -> Mapping[str, FamilyGen]:
    """Every registered family's generator, by tag."""
    return MappingProxyType({tag: load_generator(tag) for tag in registry_tags()})


def generator(tag: str) -> FamilyGen:
    return generators()[tag]


def families() -> tuple[str, ...]:
    return tuple(generators())


def spatial_families() -> tuple[str, ...]:
    return tuple(t for t, gen in generators().items() if gen.spatial)


def template_families() -> tuple[str, ...]:
    return tuple(t for t, gen in generators().items() if gen.template)


def fallbacks(chosen: frozenset[str]) -> list[str]:
    """Families to try, in order, when the drawn one does not fit."""
    ranked = [gen for gen in generators().values() if gen.fallback is not None
              and (gen.tag in chosen or gen.last_resort)]
    return [gen.tag for gen in sorted(ranked, key=lambda gen: gen.fallback or 0)]


def out_shape(b: Block, ctx: Ctx) -> Shape:
    """The output shape of a composed block at ``ctx`` (the generator's own shape model)."""
    return generator(b["block"]).shape(b, ctx)


def field_default(tag: str, key: str) -> Any:
    """The default of a block field as its family's model declares it (None if required)."""
    from archspec.blocks import FAMILIES

    for name, info in FAMILIES[tag].model.model_fields.items():
        if key in (name, info.alias):
            return None if info.is_required() else info.default
    raise KeyError(f"{tag} has no field {key!r}")
