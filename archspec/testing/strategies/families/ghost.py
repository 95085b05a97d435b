"""``ghost``: GhostNet's Ghost module (Han et al., CVPR 2020, §3.1): a primary conv carrying the
stride, a cheap depthwise conv that keeps the map, cut to ``out`` channels; the oracle is
PyTorch's output-size formula on the primary conv alone."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req, draw_out
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, conv_len


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "ghost"}
    if draw_out(g, d, ctxs, req) is None:
        return None
    fixed_hw = req.keep_hw or req.keep_shape
    # ratio 3 and 4 make more channels than `out` for most widths: the slice is exercised
    g.put(d, "ratio", g.pick([2, 3, 4, 5]), 2)
    g.put(d, "k", g.pick([1, 3] if fixed_hw else [1, 3, 2, 5]), 1)
    if not fixed_hw:
        g.put(d, "stride", g.pick([1, 2]), 1)
    g.put(d, "dw_k", g.pick([3, 1, 5]), 3)  # odd only: even kernels are E156
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    k, s = b.get("k", 1), b.get("stride", 1)
    _, h, w = ctx.shape
    return (ctx.width(b["out"], b.get("scaling", "scaled")), conv_len(h, k, s, k // 2),
            conv_len(w, k, s, k // 2))


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (("norm", g.norm()), ("act", g.act()),
                              ("ratio", g.pick([2, 3])), ("dw_k", g.pick([3, 5])))
            if g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    return {"ghost_even": Break({"block": "ghost", "out": 8, "dw_k": 2}, "dw_k", "E156")}


GENERATOR = FamilyGen(tag="ghost", draw=draw, shape=shape, template=True, defaults=defaults,
                      breaks=breaks)
