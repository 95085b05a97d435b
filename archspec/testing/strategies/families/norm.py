"""``norm``: a normalisation layer on its own; keeps the shape, on a map or a vector."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    return {"block": "norm", "norm": g.norm()}


def shape(b: Block, ctx: Ctx) -> Shape:
    return ctx.shape


GENERATOR = FamilyGen(tag="norm", draw=draw, shape=shape, keeps_shape=True, on_vectors=True)
