"""``resize``: interpolation by a scale (⌊H·s⌋ × ⌊W·s⌋, PyTorch's rule) or to a size; the
oracle applies that rule itself. Upscaling stays under 64 per side so chains stay small."""

from __future__ import annotations

import math

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape

LIMIT = 64  # the largest side a drawn resize makes


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "resize"}
    sides = [s for c in ctxs for s in c.shape[1:]]
    fixed_hw = req.keep_hw or req.keep_shape
    if fixed_hw:
        same = len({c.shape[1:] for c in ctxs}) == 1
        if same and g.coin():
            h, w = ctxs[0].shape[1:]
            d["size"] = h if h == w and g.coin() else [h, w]
        else:
            d["scale"] = g.pick([1, 1.0])
    elif g.coin():
        scales = [s for s in (2, 0.5, 1.5, 3, 0.75, 1.0, 4)
                  if max(sides) * s <= LIMIT and min(math.floor(x * s) for x in sides) >= 1]
        if not scales:
            return None
        d["scale"] = g.pick(scales)
    else:
        h, w = g.int(1, 16), g.int(1, 16)
        d["size"] = h if h == w and g.coin() else [h, w]
    mode = g.pick(["nearest", "bilinear"])
    g.put(d, "mode", mode, "nearest")
    if mode == "bilinear":
        g.put(d, "align_corners", g.coin(), False)
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    _, h, w = ctx.shape
    if "scale" in b:
        return (ctx.c, math.floor(h * b["scale"]), math.floor(w * b["scale"]))
    size = b["size"]
    return (ctx.c, size, size) if isinstance(size, int) else (ctx.c, size[0], size[1])


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    return {"both": Break({"block": "resize", "scale": 2, "size": 4}, "size", "E153"),
            "align_nearest": Break({"block": "resize", "scale": 2, "align_corners": True},
                                   "align_corners", "E153")}


GENERATOR = FamilyGen(tag="resize", draw=draw, shape=shape, breaks=breaks)
