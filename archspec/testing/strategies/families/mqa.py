"""``mqa``: MobileNetV4's Mobile MQA (Qin et al., ECCV 2024, §4): query heads against one
shared key/value head, keys and values optionally on a map downsampled by a strided depthwise
conv, queries optionally from an average-pooled map whose output is upsampled back. The attention
keeps the map: the oracle is (out, H, W) whatever the key/value stride (whose padding
((s − 1) + (k − 1)) // 2 never takes the key/value map below 1×1) and the query stride (drawn
among the divisors of every context's map)."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req, draw_out
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "mqa"}
    if draw_out(g, d, ctxs, req) is None:
        return None
    d["heads"] = g.pick([1, 2, 4, 3, 8])
    d["dim_head"] = g.pick([8, 4, 1, 16, 5])
    kv_stride = g.pick([1, 2, 3, 4])
    g.put(d, "kv_stride", kv_stride, 1)
    if kv_stride > 1 or g.coin():  # the kernel is read only with a stride, but may be written
        g.put(d, "kv_dw_k", g.pick([3, 1, 5, 2, 4]), 3)
    # the queries' pooling must divide every context's map (else E154)
    strides = [s for s in (1, 2, 3, 4)
               if all(c.shape[1] % s == 0 and c.shape[2] % s == 0 for c in ctxs)]
    g.put(d, "query_stride", g.pick(strides), 1)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "bias", g.coin(), False)
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    _, h, w = ctx.shape
    return (ctx.width(b["out"], b.get("scaling", "scaled")), h, w)


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (("norm", g.norm()), ("bias", g.coin())) if g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    # a query stride larger than every map divides none of them
    side = max(max(s[1:]) for s in shapes) + 1
    return {"query_stride": Break({"block": "mqa", "out": 4, "heads": 1, "dim_head": 4,
                                   "query_stride": side}, "query_stride", "E154")}


GENERATOR = FamilyGen(tag="mqa", draw=draw, shape=shape, template=True, defaults=defaults,
                      breaks=breaks)
