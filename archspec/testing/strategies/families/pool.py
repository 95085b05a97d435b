"""``pool``: average or max pooling, windowed (padding, ``ceil_mode``) or global."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, conv_len


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "pool"}
    g.put(d, "kind", g.pick(["avg", "max"]), "avg")
    if req.keep_hw or req.keep_shape:
        k, stride, padding = g.pick([(1, 1, 0), (3, 1, 1)])
        if all(c.shape[1:] == (1, 1) for c in ctxs) and g.coin():
            d["global"] = True
            return d
    else:
        if g.coin():
            d["global"] = True
            return d
        side = min(min(c.shape[1:]) for c in ctxs)
        k = g.pick([x for x in (2, 3, 1) if x <= side + 2 * (x // 2)])
        padding = g.int(0, k // 2)
        if k > side + 2 * padding:
            padding = k // 2
        stride = g.pick([k, 1, 2])
        if g.coin():
            d["ceil_mode"] = True
    g.put(d, "global", False, False)
    d["k"] = k
    if stride != k or g.coin():
        d["stride"] = stride
    g.put(d, "padding", padding, 0)
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    if b.get("global", False):
        return (ctx.c, 1, 1)
    k, p, cm = b.get("k", 2), b.get("padding", 0), b.get("ceil_mode", False)
    s = b.get("stride") or k
    _, h, w = ctx.shape
    return (ctx.c, conv_len(h, k, s, p, 1, cm), conv_len(w, k, s, p, 1, cm))


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    side_max = max(max(s[1:]) for s in shapes)
    return {"pool_k": Break({"block": "pool", "k": side_max + 1, "padding": 0}, "k", "E143"),
            "pool_padding": Break({"block": "pool", "k": 3, "padding": 2}, "padding", "E122")}


GENERATOR = FamilyGen(tag="pool", draw=draw, shape=shape, breaks=breaks)
