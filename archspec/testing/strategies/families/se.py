"""``se``: squeeze-and-excitation of its input; keeps the shape (a feature map only).

Every rounding rule is drawn; ``ratio`` stays where round/int of C·ratio/exp is at least 1
at every context (make_divisible never goes below its divisor).
"""

from __future__ import annotations

from hypothesis import strategies as st

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "se"}
    if g.coin():
        d["mid"] = g.int(1, 16)
        if req.fixed or g.coin():
            d["scaling"] = "fixed"
    else:
        rule = g.pick(["round", "divisible", "floor"])
        g.put(d, "round", rule, "round")
        exp = g.pick([1.0, 1.0, 6.0, 4.0, 2.5])
        g.put(d, "exp", exp, 1.0)
        if rule == "divisible":
            g.put(d, "divisor", g.pick([8, 4, 1, 3]), 8)
            g.put(d, "round_limit", g.pick([0.9, 0.0, 0.5]), 0.9)
        smallest = min(c.c for c in ctxs) / exp
        lo = (1.0001 if rule == "floor" else 0.5001) / smallest
        if lo > 4:
            return None
        ratio = g.draw(st.one_of(st.sampled_from([r for r in (0.25, 0.0625, 1.0) if r >= lo]
                                                 or [4.0]),
                                 st.floats(lo, 4.0)))
        if ratio != 0.25 or g.coin():
            d["ratio"] = ratio
    g.put(d, "act", g.act(), "relu")
    g.put(d, "gate", g.pick(["sigmoid", "hardsigmoid"]), "sigmoid")
    g.put(d, "bias", g.coin(), True)
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    return ctx.shape


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    return {"both": Break({"block": "se", "ratio": 0.25, "mid": 4}, "mid", "E148")}


GENERATOR = FamilyGen(tag="se", draw=draw, shape=shape, keeps_shape=True, breaks=breaks)
