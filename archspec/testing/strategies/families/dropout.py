"""``dropout``: keeps the shape; ``p`` in [0, 1)."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    return {"block": "dropout", "p": g.fraction(0.0, 0.99, [0.0, 0.1, 0.5])}


def shape(b: Block, ctx: Ctx) -> Shape:
    return ctx.shape


GENERATOR = FamilyGen(tag="dropout", draw=draw, shape=shape, keeps_shape=True, on_vectors=True)
