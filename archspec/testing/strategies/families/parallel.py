"""``parallel``: branches of blocks merged by concatenation, sum, product or mean (one level of
nesting).

Branches are drawn with :func:`~archspec.testing.strategies.compose.draw_block`, so any family
can appear in them; an element-wise merge (``add``, ``mul``, ``mean``) ends every branch with a
width-setting (template) block pinned to one width, or, where that is the identity, leaves a
branch empty or gives it shape-keeping blocks only (a norm: MobileOne's BatchNorm identity).
"""

from __future__ import annotations

from archspec.testing.strategies.compose import draw_block, draw_tail, record
from archspec.testing.strategies.draw import Block, Gen, Req, scaling_of
from archspec.testing.strategies.registry import (
    Break,
    FamilyGen,
    fallbacks,
    families,
    generator,
    out_shape,
    template_families,
)
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def branch_end(g: Gen, here: list[Ctx], req: Req, path: KeyPath) -> Block:
    """A block of a template family at the end of an ``add`` branch, its ``out`` pinned."""
    chosen = [t for t in template_families() if t in g.families]
    backup = [t for t in fallbacks(frozenset(families())) if generator(t).template]
    for tag in ([g.pick(chosen)] if chosen else []) + backup:
        end = generator(tag).draw(g, here, req, path)
        if end is not None:
            return end
    raise AssertionError("no branch end fits (a bug in archspec.testing)")


def _add_branches(g: Gen, ctxs: list[Ctx], req: Req, child: Req, n: int, path: KeyPath
                  ) -> list[list[Block]]:
    same = len({c.c for c in ctxs}) == 1
    if req.keep_shape or (same and g.coin()):
        target, scaling = ctxs[0].c, "fixed"
    else:
        target, scaling = g.int(1, child.max_width), scaling_of(g, child)
    ends = [c.width(target, scaling) for c in ctxs]
    identity = all(e == c.c for e, c in zip(ends, ctxs, strict=True))
    end_req = Req(outs=[target] * len(ctxs), pins={"scaling": scaling}, keep_hw=True,
                  level=child.level, max_width=child.max_width, fixed=req.fixed)
    branches: list[list[Block]] = []
    for i in range(n):
        branch: list[Block] = []
        here = ctxs
        if identity and g.coin():  # the identity: empty, or shape-keeping blocks only (a
            if g.coin():           # norm alone is MobileOne's BatchNorm identity branch)
                tail = draw_tail(g, here, child, ())
                branch.append(record(g, tail, here, (*path, "branches", i, 0)))
            branches.append(branch)
            continue
        if g.coin():
            b, here = draw_block(g, here, child, (*path, "branches", i, len(branch)))
            branch.append(b)
        b = {**branch_end(g, here, end_req, (*path, "branches", i, len(branch))), "out": target}
        b["scaling"] = scaling
        branch.append(record(g, b, here, (*path, "branches", i, len(branch))))
        here = [c.at(out_shape(b, c)) for c in here]
        if g.coin():
            tail = draw_tail(g, here, child, ())
            branch.append(record(g, tail, here, (*path, "branches", i, len(branch))))
        branches.append(branch)
    return branches


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    if req.level >= 2:
        return None
    merge = g.pick((["concat"] if not req.keep_shape else []) + ["add", "mul", "mean"])
    n = g.int(1, 3)
    child = Req(keep_hw=True, level=req.level + 1, max_width=min(req.max_width, 16),
                fixed=req.fixed)
    branches: list[list[Block]] = []
    if merge == "concat":
        for i in range(n):
            branch: list[Block] = []
            here = ctxs
            for j in range(g.int(0, 2)):
                b, here = draw_block(g, here, child, (*path, "branches", i, j))
                branch.append(b)
            branches.append(branch)
    else:
        branches = _add_branches(g, ctxs, req, child, n, path)
    d: Block = {"block": "parallel", "branches": branches}
    g.put(d, "merge", merge, "concat")
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    ends = []
    for branch in b["branches"]:
        here = ctx
        for child in branch:
            here = here.at(out_shape(child, here))
        ends.append(here.shape)
    if b.get("merge", "concat") != "concat":  # element-wise: every branch ends in one shape
        return ends[0]
    return (sum(e[0] for e in ends), *ends[0][1:])


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    return {merge: Break({"block": "parallel", "merge": merge, "branches": [
        [{"block": "conv", "out": 4, "scaling": "fixed"}],
        [{"block": "conv", "out": 6, "scaling": "fixed"}]]}, "merge", "E145")
        for merge in ("add", "mul")}


GENERATOR = FamilyGen(tag="parallel", draw=draw, shape=shape, breaks=breaks)
