"""``transformer``: pre-norm transformer layers over a partition of the map (unfold, grid,
window, global); the shape is kept whatever the partition, so the oracle is the identity on
shapes, and the draw keeps the heads dividing the channels and the tile within the map in every
context."""

from __future__ import annotations

from hypothesis import strategies as st

from archspec.testing.strategies.draw import Block, Gen, Req
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, divisors, gcd


def _heads(g: Gen, d: Block, ins: list[int]) -> None:
    """``heads`` or ``dim_head`` dividing every context's channels, or both (any numbers)."""
    mode = g.pick(["heads", "dim_head", "both"])
    if mode == "both":
        d["heads"], d["dim_head"] = g.int(1, 4), g.int(1, 16)
    else:
        d[mode] = g.pick(divisors(gcd(ins)))


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    if not all(c.spatial for c in ctxs):
        return None
    d: Block = {"block": "transformer"}
    ins = [c.c for c in ctxs]
    side = min(min(c.shape[1:]) for c in ctxs)  # the tile must fit every context's map
    g.put(d, "depth", g.pick([1, 2, 3]), 1)
    partition = g.pick(["unfold", "grid", "window", "global"])
    g.put(d, "partition", partition, "global")
    if partition == "unfold" or g.coin():
        g.put(d, "patch", g.int(1, min(side, 4)), 2)
    if partition in ("grid", "window") or g.coin():
        g.put(d, "window", g.int(1, min(side, 8)) if partition != "global" else g.int(1, 8), 7)
    _heads(g, d, ins)
    g.put(d, "qkv_bias", g.coin(), True)
    g.put(d, "proj_bias", g.coin(), True)
    ratio = g.draw(st.one_of(st.sampled_from([4, 2, 1, 0.5, 2.5, 4.0]), st.floats(0.25, 6.0)))
    if min(ins) * ratio >= 1:
        g.put(d, "mlp_ratio", ratio, 4.0)
    g.put(d, "act", g.act(), "gelu")
    if g.coin():
        d["norm"] = g.pick(["ln", "none", {"type": "ln", "eps": 1e-6}])
    g.put(d, "final_norm", g.coin(), False)
    if g.coin():
        d["layer_scale"] = g.pick([1e-5, 0.5, 1.0])
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    return ctx.shape


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (
        ("act", g.act()), ("qkv_bias", g.coin()), ("final_norm", g.coin()),
        ("norm", g.pick(["ln", "none"]))) if g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    c_max = max(s[0] for s in shapes)
    spatial = [s for s in shapes if len(s) == 3]
    out: dict[str, Break] = {
        "heads": Break({"block": "transformer", "heads": c_max + 1}, "heads", "E157"),
        "mlp_zero": Break({"block": "transformer", "heads": 1, "dim_head": 4,
                           "mlp_ratio": 1 / (2 * c_max)}, "mlp_ratio", "E122"),
    }
    if spatial:
        big = max(max(s[1:]) for s in spatial) + 1
        out["window"] = Break({"block": "transformer", "heads": 1, "dim_head": 4,
                               "partition": "window", "window": big}, "window", "E158")
    return out


GENERATOR = FamilyGen(tag="transformer", draw=draw, shape=shape, defaults=defaults,
                      breaks=breaks, keeps_shape=True)
