"""Stages: template stages (``out``/``depth``/``block``, with or without ``first:``, overridden
per variant) and explicit ``blocks:`` stages, each valid in every variant that uses it."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from archspec.testing.strategies.compose import draw_block
from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import (
    field_default,
    generator,
    out_shape,
    template_families,
)
from archspec.testing.strategies.world import (
    MAX_STAGE_DEPTH,
    MAX_WIDTH,
    Ctx,
    KeyPath,
    World,
    overlay,
)


class Variant:
    """A variant being drawn: its width policy and input, and what it does to the stages
    (``none``, ``override`` a stage's out/depth, or ``replace`` the whole list)."""

    def __init__(self, name: str, world: World, shape: tuple[int, ...]):
        self.name = name
        self.world = world
        self.shape = shape
        self.width = False
        self.input: dict[str, Any] | None = None
        self.stage_mode = "none"
        self.overrides: dict[str, dict[str, int]] = {}
        self.stages: list[dict[str, Any]] | None = None
        self.extra: dict[str, Any] = {}


def names() -> st.SearchStrategy[str]:
    """Valid archspec names, including ones YAML would read as something else unquoted."""
    return st.one_of(st.sampled_from(_SIMPLE_NAMES), st.sampled_from(_TRICKY_NAMES),
                     st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,11}\Z"))


_SIMPLE_NAMES = ("net", "tiny", "s1", "s2", "s3", "stage", "x1_0", "a")
_TRICKY_NAMES = ("yes", "no", "on", "off", "y", "N", "true", "false", "null", "Null", "inf",
                 "nan", "e3", "_", "a.b-c", "x0_5", "NaN", "True")


def diff(tag: str, first: Block, template: Block) -> Block:
    """Overrides O with template ⊕ O == first (as archspec layers them)."""
    o: Block = {}
    for key in sorted(set(first) | set(template), key=str):
        if key == "block":
            continue
        want = first[key] if key in first else field_default(tag, key)
        have = template.get(key, field_default(tag, key))
        if isinstance(want, dict) and isinstance(have, dict):
            want = {**{k: None for k in have}, **want}
        if want != have:
            o[key] = want
    return o


def _overrides(g: Gen, ctxs: list[Ctx], name: str, variants: list[Variant], scaling: str,
               tag: str) -> tuple[dict[int, int], dict[int, int]]:
    """Per-variant overrides of a stage's out and depth, drawn before the base width they
    constrain: (out by world, depth by world)."""
    width_ok = generator(tag).stage_width_ok
    outs_by_world: dict[int, int] = {}
    depth_by_world: dict[int, int] = {}
    for c in ctxs:
        v = variants[c.wi - 1] if c.wi else None
        if v is not None and v.stage_mode == "override" and g.coin():
            over: dict[str, int] = {}
            own = [w for w in range(1, MAX_WIDTH + 1) if width_ok(c.width(w, scaling))]
            if own and g.coin():
                over["out"] = g.pick(own)
                outs_by_world[c.wi] = over["out"]
            if g.coin() or not over:
                over["depth"] = g.int(1, MAX_STAGE_DEPTH)
                depth_by_world[c.wi] = over["depth"]
            v.overrides[name] = over
    return outs_by_world, depth_by_world


def _after(first: Block, ctxs: list[Ctx], outs: list[int]) -> list[Ctx]:
    """The contexts the template's blocks see after a stage's ``first`` block: its output maps
    (a strided ``first`` shrinks them; a query stride or window drawn on the stage's input would
    not have to divide them)."""
    return [c.at(out_shape({**first, "out": o}, c)) for c, o in zip(ctxs, outs, strict=True)]


def template_stage(g: Gen, ctxs: list[Ctx], name: str, variants: list[Variant]
                   ) -> tuple[dict[str, Any], list[Ctx]]:
    tag = g.pick([t for t in template_families() if t in g.families])
    scaling = g.scaling()
    pins: dict[str, Any] = {"scaling": scaling, **generator(tag).stage_pins(g, False)}
    width_ok = generator(tag).stage_width_ok
    outs_by_world, depth_by_world = _overrides(g, ctxs, name, variants, scaling, tag)
    fits = [w for w in range(1, MAX_WIDTH + 1)
            if all(width_ok(c.width(w, scaling)) for c in ctxs if c.wi not in outs_by_world)]
    out = g.pick(fits)
    depth = g.int(1, MAX_STAGE_DEPTH)
    outs = [outs_by_world.get(c.wi, out) for c in ctxs]
    virtual = [c.at((c.width(o, scaling), *c.shape[1:])) for c, o in zip(ctxs, outs, strict=True)]
    gen = generator(tag).draw
    others = [t for t in template_families() if t != tag and t in g.families]
    kind = g.pick(["none", "same", "replace"] if others else ["none", "same"])
    stage: dict[str, Any] = {"name": name, "out": out, "depth": depth}
    first_raw: Block | None = None
    template: Block | None = None
    if kind == "none":
        template = gen(g, ctxs + virtual, Req(outs=outs + outs, pins=pins), ())
        if template is None:  # e.g. no shuffle split fits both widths: downsample first
            kind = "same"
    if kind == "same":
        first = gen(g, ctxs, Req(outs=outs, pins=pins), ())
        assert first is not None, (tag, ctxs, outs)
        template = gen(g, _after(first, ctxs, outs), Req(outs=outs, pins=pins), ())
        assert template is not None, (tag, ctxs, outs)
        o = diff(tag, first, template)
        if g.coin():
            o = {"block": tag, **o}
        if o:
            stage["first"] = o
        first_raw = overlay(template, o)
    elif kind == "replace":
        other = g.pick(others)
        first = generator(other).draw(g, ctxs, Req(outs=outs, pins={
            **pins, **generator(other).stage_pins(g, True)}), ())
        same_family = first is None  # the other family does not fit here: same family instead
        if first is None:
            first = gen(g, ctxs, Req(outs=outs, pins=pins), ())
            assert first is not None
        template = gen(g, _after(first, ctxs, outs), Req(outs=outs, pins=pins), ())
        assert template is not None
        if same_family:
            stage["first"] = diff(tag, first, template)
            first_raw = overlay(template, stage["first"])
        else:
            stage["first"] = first
            first_raw = first
    assert template is not None
    stage["block"] = template
    if first_raw is None:
        first_raw = template
    stage = {k: stage[k] for k in ("name", "out", "depth", "block", "first") if k in stage}
    result = []
    for c, o in zip(ctxs, outs, strict=True):
        here = c.at(out_shape({**first_raw, "out": o}, c))
        for _ in range(depth_by_world.get(c.wi, depth) - 1):
            here = here.at(out_shape({**template, "out": o}, here))
        result.append(here)
    return stage, result


def blocks_stage(g: Gen, ctxs: list[Ctx], name: str, path: KeyPath
                 ) -> tuple[dict[str, Any], list[Ctx]]:
    blocks_ = []
    for j in range(g.int(1, MAX_STAGE_DEPTH)):
        b, ctxs = draw_block(g, ctxs, Req(), (*path, "blocks", j))
        blocks_.append(b)
    return {"name": name, "blocks": blocks_}, ctxs


def stages(g: Gen, ctxs: list[Ctx], max_stages: int, variants: list[Variant],
           path: KeyPath) -> tuple[list[dict[str, Any]], list[Ctx]]:
    n = g.int(0, max_stages)
    stage_names = g.draw(st.lists(names(), min_size=n, max_size=n, unique=True))
    out = []
    templates = any(t in g.families for t in template_families())
    for i, name in enumerate(stage_names):
        if templates and g.coin():
            stage, ctxs = template_stage(g, ctxs, name, variants)
        else:
            stage, ctxs = blocks_stage(g, ctxs, name, (*path, i))
        out.append(stage)
    return out, ctxs
