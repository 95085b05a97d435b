"""``act``: an activation on its own; keeps the shape, so it fits anywhere (the last resort)."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    return {"block": "act", "act": g.act()}


def shape(b: Block, ctx: Ctx) -> Shape:
    return ctx.shape


GENERATOR = FamilyGen(tag="act", draw=draw, shape=shape, fallback=1, last_resort=True,
                      keeps_shape=True, on_vectors=True)
