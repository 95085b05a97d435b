"""``conv``: a convolution with optional norm and activation; PyTorch's output-size formula.
A list ``k`` (MixConv) keeps every piece's map size equal: odd kernels, or one even kernel."""

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
    ins = [c.c for c in ctxs]
    pieces = g.int(2, min(3, *ins, *out_ch)) if min(*ins, *out_ch) >= 2 and g.coin() else 1
    if pieces > 1:  # a mixed conv: odd kernels agree on the map size
        k: int | list[int] = [g.pick([1, 3, 5]) for _ in range(pieces)]
        d["k"] = k
    else:
        k = g.pick([1, 3] if fixed_hw else [1, 3, 2, 5])
        g.put(d, "k", [k] if g.coin() else k, 1)  # [k] is k
    if not fixed_hw:
        g.put(d, "stride", g.pick([1, 2]), 1)
    if max(kernel_list(k)) > 1:
        g.put(d, "dilation", g.pick([1, 2]), 1)
    if pieces > 1:  # groups 1, or depthwise where every piece keeps its width
        if ins == out_ch and g.coin():
            d["groups"] = "depthwise"
    else:
        g.put(d, "groups", g.pick(divisors(gcd(ins + out_ch))), 1)
    g.put(d, "bias", g.coin(), False)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    return d


def kernel_list(k: int | list[int]) -> list[int]:
    return k if isinstance(k, list) else [k]


def shape(b: Block, ctx: Ctx) -> Shape:
    """Every piece of a mixed conv has the same map size, so its first kernel gives it."""
    k, s, d = kernel_list(b.get("k", 1))[0], b.get("stride", 1), b.get("dilation", 1)
    p = k // 2 * d
    _, h, w = ctx.shape
    return (ctx.width(b["out"], b.get("scaling", "scaled")), conv_len(h, k, s, p, d),
            conv_len(w, k, s, p, d))


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (("norm", g.norm()), ("act", g.act()), ("bias", g.coin()))
            if g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    c_max = max(s[0] for s in shapes)
    return {"groups": Break({"block": "conv", "out": 4, "groups": c_max + 1}, "groups", "E141"),
            # an odd and an even kernel give different map sizes
            "mix_sizes": Break({"block": "conv", "out": 4, "k": [3, 2]}, "k", "E155")}


GENERATOR = FamilyGen(tag="conv", draw=draw, shape=shape, template=True, fallback=0,
                      defaults=defaults, breaks=breaks)
