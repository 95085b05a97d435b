"""Whole documents: input, width policy, variants, ``defaults:``, stem, stages and head, with the
output shape of every variant predicted by the families' own shape oracles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from archspec.testing.strategies.compose import check_families, draw_block, draw_tail, record
from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.records import GeneratedSpec
from archspec.testing.strategies.registry import generator, generators, out_shape
from archspec.testing.strategies.stages import Variant, names, stages
from archspec.testing.strategies.world import (
    MAX_SIZE,
    MAX_STAGES,
    MAX_WIDTH,
    Ctx,
    Shape,
    World,
)


def _input(g: Gen) -> tuple[dict[str, Any], Shape]:
    channels = g.int(1, 4)
    size = g.draw(st.one_of(st.integers(1, MAX_SIZE),
                            st.lists(st.integers(1, MAX_SIZE), min_size=2, max_size=2)))
    hw = (size, size) if isinstance(size, int) else tuple(size)
    d: dict[str, Any] = {"size": size}
    if channels != 3 or g.coin():
        d = {"channels": channels, "size": size}
    return d, (channels, *hw)


def _width_world(g: Gen) -> World:
    return World(g.pick([1.0, 0.5, 0.75, 1.25, 1.5]), g.pick([8, 1, 2, 4]))


def _defaults(g: Gen) -> dict[str, Block]:
    """Shape-neutral defaults (norms, activations and biases only), from each family's hook."""
    table: dict[str, Block] = {}
    for tag, gen in generators().items():
        if gen.defaults is not None and tag in g.families and g.coin():
            table[tag] = gen.defaults(g)
    return table


def _head(g: Gen, ctxs: list[Ctx]) -> tuple[list[Block], list[Ctx]]:
    """Maybe a block, then maybe a classifier: global pool, hidden linear (with an activation or
    dropout after it), the classifier linear (its ``out`` is the class count: never scaled)."""
    head: list[Block] = []

    def add(b: Block, classifier: bool = False) -> None:
        nonlocal ctxs
        record(g, b, ctxs, ("head", len(head)))
        head.append(b)
        ctxs = [c.at((b["out"],) if classifier else out_shape(b, c)) for c in ctxs]

    for _ in range(g.int(0, 1)):
        b, ctxs = draw_block(g, ctxs, Req(), ("head", len(head)))
        head.append(b)
    if not {"pool", "linear"} <= g.families or not g.coin():
        return head, ctxs
    if not all(c.shape[1:] == (1, 1) for c in ctxs) or g.coin():
        add({"block": "pool", "kind": g.pick(["avg", "max"]), "global": True})
    if g.coin():
        hidden = {"block": "linear", "out": g.int(1, MAX_WIDTH)}
        g.put(hidden, "act", g.act(), "none")
        g.put(hidden, "bias", g.coin(), True)
        if g.width and g.coin():
            hidden["scaling"] = g.scaling()
        add(hidden)
        if g.coin():
            tail = draw_tail(g, ctxs, Req(), (), vectors=True)
            add(tail)
    classifier = {"block": "linear", "out": g.int(1, 10)}
    g.put(classifier, "bias", g.coin(), True)
    add(classifier, classifier=True)
    if g.coin():
        dropout = generator("dropout").draw(g, ctxs, Req(), ())
        assert dropout is not None
        add(dropout)
    return head, ctxs


def _variants(g: Gen, base: World, shape: Shape, width: bool) -> list[Variant]:
    vs: list[Variant] = []
    n = g.int(0, 3)
    for vname in g.draw(st.lists(names(), min_size=n, max_size=n, unique=True)):
        v = Variant(vname, base, shape)
        if width and g.coin():
            v.world, v.width = _width_world(g), True
        if g.coin():
            v.input, v.shape = _input(g)
            if "channels" not in v.input:  # merged onto the base's channels
                v.shape = (shape[0], *v.shape[1:])
        v.stage_mode = g.pick(["none", "override", "replace"])
        if g.coin():
            v.extra["drop_path"] = g.fraction(0.0, 0.99, [0.0, 0.1])
        if g.coin():
            v.extra["init"] = g.pick(["torchvision", "emo", "pytorch"])
        vs.append(v)
    return vs


def _variant_table(vs: list[Variant]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for v in vs:
        over: dict[str, Any] = dict(v.extra)
        if v.width:
            over["width"] = {"mult": v.world.mult, "divisor": v.world.divisor}
        if v.input is not None:
            over["input"] = v.input
        if v.stage_mode == "replace":
            over["stages"] = v.stages
        elif v.overrides:
            over["stages"] = v.overrides
        table[v.name] = over
    return table


@st.composite
def draw_specs(draw: Any, families: frozenset[str], variants: bool, width: bool,
           max_stages: int, attention: bool = False) -> GeneratedSpec:
    g = Gen(draw, families, width, attention)
    doc: dict[str, Any] = {"archspec": 1, "name": g.draw(names())}
    input_d, shape = _input(g)
    doc["input"] = input_d
    base = World()
    if width and g.coin():
        base = _width_world(g)
        doc["width"] = {"mult": base.mult, "divisor": base.divisor}
    vs = _variants(g, base, shape, width) if variants else []
    worlds = [Ctx(0, base, shape)] + [Ctx(i + 1, v.world, v.shape) for i, v in enumerate(vs)]
    if g.coin():
        defaults = _defaults(g)
        if defaults:
            doc["defaults"] = defaults
    stem: list[Block] = []
    ctxs = worlds
    for i in range(g.int(0, 2)):
        b, ctxs = draw_block(g, ctxs, Req(), ("stem", i))
        stem.append(b)
    if stem or g.coin():
        doc["stem"] = stem
    keep = [c for c in ctxs if c.wi == 0 or vs[c.wi - 1].stage_mode != "replace"]
    base_stages, after = stages(g, keep, max_stages, vs, ("stages",))
    for c in ctxs:
        if c.wi and vs[c.wi - 1].stage_mode == "replace":
            v = vs[c.wi - 1]
            v.stages, [end] = stages(g, [c], max_stages, vs, ("variants", v.name, "stages"))
            after.append(end)
    after.sort(key=lambda c: c.wi)
    if base_stages or g.coin():
        doc["stages"] = base_stages
    head, ends = _head(g, after)
    if head or g.coin():
        doc["head"] = head
    if g.coin():
        doc["drop_path"] = g.fraction(0.0, 0.99, [0.0, 0.1, 0.04036])
    if g.coin():
        doc["init"] = g.pick(["torchvision", "emo", "pytorch"])
    if vs:
        table = _variant_table(vs)
        if g.coin():
            doc["default_variant"] = g.pick([v.name for v in vs])
        doc["variants"] = table
    outputs = {None if c.wi == 0 else vs[c.wi - 1].name: c.shape for c in ends}
    return GeneratedSpec(doc, outputs, tuple(g.sites), tuple(v.name for v in vs))


def specs(*, families: Iterable[str] | None = None, variants: bool = True, width: bool = True,
          max_stages: int = MAX_STAGES, attention: bool = False
          ) -> st.SearchStrategy[GeneratedSpec]:
    """Valid documents with their expected output shapes and explicit block sites.

    ``families`` restricts the block families used (default: all); ``variants=False`` writes no
    ``variants:``; ``width=False`` writes no width multiplier and no ``scaling`` field;
    ``attention=True`` makes every ``mmb`` block a windowed-attention one (``f: attn``).
    """
    return draw_specs(check_families(families), variants, width, max_stages, attention)


def documents(*, families: Iterable[str] | None = None, variants: bool = True,
              width: bool = True, max_stages: int = MAX_STAGES,
              attention: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Valid spec documents as plain dicts (see :func:`specs` for the options)."""
    return specs(families=families, variants=variants, width=width, max_stages=max_stages,
                 attention=attention).map(lambda s: s.document)
