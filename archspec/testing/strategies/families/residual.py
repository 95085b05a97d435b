"""``residual``: ``shortcut(x) + γ·blocks(x)`` (one level of nesting, the map's size kept).

The branch's blocks are drawn with :func:`~archspec.testing.strategies.compose.draw_block`, so
any family can appear in them. With the identity shortcut the branch keeps the input's shape:
shape-keeping blocks only, or (where every context has the same width) blocks ending in a
template block pinned to that width; a projection shortcut ends both chains at one pinned width.
"""

from __future__ import annotations

from hypothesis import strategies as st

from archspec.testing.strategies.compose import draw_block, draw_tail, record
from archspec.testing.strategies.draw import Block, Gen, Req, scaling_of
from archspec.testing.strategies.families.parallel import branch_end
from archspec.testing.strategies.registry import Break, FamilyGen, out_shape
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def _ending(g: Gen, ctxs: list[Ctx], req: Req, child: Req, path: KeyPath, target: int,
            scaling: str) -> list[Block]:
    """Blocks at ``path`` ending in a template block of written width ``target``, H×W kept."""
    chain: list[Block] = []
    here = ctxs
    if g.coin():
        b, here = draw_block(g, here, child, (*path, 0))
        chain.append(b)
    end_req = Req(outs=[target] * len(ctxs), pins={"scaling": scaling}, keep_hw=True,
                  level=child.level, max_width=child.max_width, fixed=req.fixed)
    b = {**branch_end(g, here, end_req, (*path, len(chain))), "out": target, "scaling": scaling}
    chain.append(record(g, b, here, (*path, len(chain))))
    return chain


def _tails(g: Gen, ctxs: list[Ctx], child: Req, path: KeyPath) -> list[Block]:
    """One or two shape-keeping blocks (act, norm, se, …)."""
    chain: list[Block] = []
    for j in range(g.int(1, 2)):
        b = draw_tail(g, ctxs, child, (*path, j))
        chain.append(record(g, b, ctxs, (*path, j)))
    return chain


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    if req.level >= 2:
        return None
    child = Req(keep_hw=True, level=req.level + 1, max_width=min(req.max_width, 16),
                fixed=req.fixed)
    same = len({c.c for c in ctxs}) == 1
    d: Block = {"block": "residual"}
    if not req.keep_shape and g.coin():  # a projection shortcut
        target, scaling = g.int(1, child.max_width), scaling_of(g, child)
        d["blocks"] = _ending(g, ctxs, req, child, (*path, "blocks"), target, scaling)
        d["shortcut"] = _ending(g, ctxs, req, child, (*path, "shortcut"), target, scaling)
    elif same and g.coin():  # blocks that end at the input width
        d["blocks"] = _ending(g, ctxs, req, child, (*path, "blocks"), ctxs[0].c, "fixed")
    else:
        d["blocks"] = _tails(g, ctxs, child, (*path, "blocks"))
    layer_scale = g.draw(st.one_of(st.sampled_from([None, None, 1e-5, 1.0]),
                                   st.floats(0.0, 1e3, exclude_min=True)))
    g.put(d, "layer_scale", layer_scale, None)
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    here = ctx
    for child in b["blocks"]:
        here = here.at(out_shape(child, here))
    return here.shape


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    wider = max(s[0] for s in shapes) + 1  # an identity shortcut cannot add a wider branch
    return {"identity": Break({"block": "residual", "blocks": [
        {"block": "conv", "out": wider, "scaling": "fixed"}]}, "blocks", "E147")}


GENERATOR = FamilyGen(tag="residual", draw=draw, shape=shape, breaks=breaks)
