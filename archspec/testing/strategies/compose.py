"""One explicit block at given contexts, whatever its family: the dispatcher every place that
writes a block uses (stems, heads, ``blocks:`` stages, parallel branches, :func:`blocks`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.records import Site
from archspec.testing.strategies.registry import (
    fallbacks,
    families,
    generator,
    generators,
    out_shape,
    spatial_families,
)
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, World


def record(g: Gen, b: Block, ctxs: list[Ctx], path: KeyPath) -> Block:
    """Note ``b`` as an explicit block at ``path`` (nothing for a block without a path)."""
    if path:
        g.sites.append(Site(path, {c.wi: c.shape for c in ctxs}, b["block"]))
    return b


def draw_block(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> tuple[Block, list[Ctx]]:
    """One explicit block valid at every context; returns it with its output contexts.

    The block is recorded as a :class:`Site` at ``path`` (its parallel children after it).
    """
    allowed = [t for t in spatial_families() if t in g.families]
    start = len(g.sites)
    for tag in [g.pick(allowed), *fallbacks(g.families)]:
        del g.sites[start:]
        b = generator(tag).draw(g, ctxs, req, path)
        if b is None:
            continue
        g.sites.insert(start, Site(path, {c.wi: c.shape for c in ctxs}, tag))
        out = [c.at(out_shape(b, c)) for c in ctxs]
        if req.keep_hw or req.keep_shape:
            assert all(o.shape[1:] == c.shape[1:]
                       for o, c in zip(out, ctxs, strict=True)), (b, ctxs)
        if req.keep_shape:
            assert all(o.shape == c.shape for o, c in zip(out, ctxs, strict=True)), (b, ctxs)
        return b, out
    raise AssertionError("no block family fits (a bug in archspec.testing)")


def draw_tail(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath, vectors: bool = False) -> Block:
    """One shape-keeping block (act, norm, se, …; on a vector when ``vectors``), not recorded.

    A family may decline a site (``se`` finds no ratio that keeps a 1-channel map at least 1
    wide); ``act`` fits everywhere, so it stands in.
    """
    tails = [t for t, gen in generators().items()
             if gen.keeps_shape and (gen.on_vectors or not vectors)]
    b = generator(g.pick(tails)).draw(g, ctxs, req, path)
    if b is None:
        b = generator("act").draw(g, ctxs, req, path)
    assert b is not None, "act fits everywhere"
    return b


def check_families(chosen: Iterable[str] | None) -> frozenset[str]:
    """The families a strategy may use; ValueError for unknown ones or none on feature maps."""
    known = families()
    picked = frozenset(known if chosen is None else chosen)
    unknown = picked - set(known)
    if unknown:
        raise ValueError(f"unknown block families {sorted(unknown)}; choose from {known}")
    if not picked & set(spatial_families()):
        raise ValueError("families must include at least one family that works on feature maps")
    return picked


@st.composite
def _blocks(draw: Any, in_shape: Shape, keep_shape: bool, chosen: frozenset[str]) -> Block:
    g = Gen(draw, chosen, width=False)
    ctx = Ctx(0, World(), tuple(in_shape))
    # The host document's `width:` policy is unknown here: a scaled width in a parallel branch
    # (or a scaled `out`/`mid`) could change under it and break a `groups`, `dim_head` or
    # shuffle `split` drawn for the written width (E141/E140/E142), so every width is fixed.
    b, _ = draw_block(g, [ctx], Req(keep_shape=keep_shape, fixed=True), ())
    return b


def blocks(in_shape: Shape, *, keep_shape: bool = False,
           families: Iterable[str] | None = None) -> st.SearchStrategy[Block]:
    """One block dict valid at ``in_shape`` = (C, H, W); ``keep_shape``: output shape == input.

    Every width in the block (its own and its parallel children's) is written with
    ``scaling: fixed``, so the block stays valid, with the same output shape, in a host document
    under any ``width: {mult, divisor}``.
    """
    fams = check_families(families)
    if len(in_shape) != 3:
        raise ValueError("blocks() needs a (C, H, W) input shape")
    return _blocks(tuple(in_shape), keep_shape, fams)
