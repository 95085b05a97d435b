"""``linear``: a fully connected layer on a vector; only heads use it (after a global pool).

Its generator never fits a feature map: the head writes hidden linears and the classifier itself
(:mod:`archspec.testing.strategies.network`). A linear on a feature map is a near miss (E143).
"""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    return None


def shape(b: Block, ctx: Ctx) -> Shape:
    return (ctx.width(b["out"], b.get("scaling", "scaled")),)


def defaults(g: Gen) -> Block:
    return {"bias": g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    if any(s[1:] == (1, 1) for s in shapes):
        return {}
    return {"linear": Break({"block": "linear", "out": 4}, None, "E143")}


GENERATOR = FamilyGen(tag="linear", draw=draw, shape=shape, spatial=False, defaults=defaults,
                      breaks=breaks)
