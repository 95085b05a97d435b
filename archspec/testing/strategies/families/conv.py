"""``conv``: a convolution with optional norm and activation; PyTorch's output-size formula."""

from __future__ import annotations

from archspec.testing.strategies.draw import Block, Gen, Req, draw_out
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, conv_len, divisors, gcd


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "conv"}
    out_ch = draw_out(g, d, ctxs, req)
    if out_ch is None:
        return None
    fixed_hw = req.keep_hw or req.keep_shape
    k = g.pick([1, 3] if fixed_hw else [1, 3, 2, 5])
    g.put(d, "k", k, 1)
    if not fixed_hw:
        g.put(d, "stride", g.pick([1, 2]), 1)
    if k > 1:
        g.put(d, "dilation", g.pick([1, 2]), 1)
    groups = g.pick(divisors(gcd([c.c for c in ctxs] + out_ch)))
    g.put(d, "groups", groups, 1)
    g.put(d, "bias", g.coin(), False)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    k, s, d = b.get("k", 1), b.get("stride", 1), b.get("dilation", 1)
    p = k // 2 * d
    _, h, w = ctx.shape
    return (ctx.width(b["out"], b.get("scaling", "scaled")), conv_len(h, k, s, p, d),
            conv_len(w, k, s, p, d))


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (("norm", g.norm()), ("act", g.act()), ("bias", g.coin()))
            if g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    c_max = max(s[0] for s in shapes)
    return {"groups": Break({"block": "conv", "out": 4, "groups": c_max + 1}, "groups", "E141")}


GENERATOR = FamilyGen(tag="conv", draw=draw, shape=shape, template=True, fallback=0,
                      defaults=defaults, breaks=breaks)
