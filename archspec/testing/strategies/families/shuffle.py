"""``shuffle``: a ShuffleNet V2 unit (channel split at stride 1, two branches at stride 2)."""

from __future__ import annotations

from collections.abc import Callable

from archspec.testing.strategies.draw import Block, Gen, Req, out_channels, scaling_of, write_out
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, conv_len, divisors, gcd


def fits(ins: list[int], stride: int, split: float) -> Callable[[list[int]], bool] | None:
    """Whether a unit with (stride, split) fits inputs ``ins``; returns a width filter."""
    if stride == 1 and any(i * split != int(i * split) for i in ins):
        return None

    def ok(outs: list[int]) -> bool:
        for i, o in zip(ins, outs, strict=True):
            keep = i * split if stride == 1 else o * split
            if keep != int(keep) or keep < 1 or o - int(keep) < 1:
                return False
        return True

    return ok


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "shuffle"}
    ins = [c.c for c in ctxs]
    scaling = scaling_of(g, req)
    if req.outs is not None:
        widths = [out_channels(ctxs, req.outs, scaling)]
    elif req.keep_shape:
        widths = [ins]
    else:
        widths = [[c.width(w, scaling) for c in ctxs] for w in range(1, req.max_width + 1)]
    strides = [1] if req.keep_hw or req.keep_shape else [1, 2]
    combos = []
    for s, sp in ((s, sp) for s in strides for sp in (0.5, 0.25, 0.75)):
        ok = fits(ins, s, sp)
        if ok is not None and any(ok(w) for w in widths):
            combos.append((s, sp))
    if not combos:
        return None
    stride, split = g.pick(combos)
    out_ch = write_out(g, d, ctxs, req, scaling, fits(ins, stride, split))
    assert out_ch is not None
    g.put(d, "stride", stride, 1)
    g.put(d, "split", split, 0.5)
    g.put(d, "groups", g.pick([x for x in divisors(gcd(out_ch)) if x <= 8]), 2)
    g.put(d, "dw_k", g.pick([3, 1, 5]), 3)  # even kernels are refused (E145)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    k, s = b.get("dw_k", 3), b.get("stride", 1)
    _, h, w = ctx.shape
    return (ctx.width(b["out"], b.get("scaling", "scaled")), conv_len(h, k, s, k // 2),
            conv_len(w, k, s, k // 2))


def defaults(g: Gen) -> Block:
    return {"norm": g.norm(), "act": g.act()}


def stage_width_ok(channels: int) -> bool:
    """A stage of units splits its width in two halves."""
    return channels >= 2 and channels % 2 == 0


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    out = {"shuffle_even": Break({"block": "shuffle", "out": 8, "stride": 2, "dw_k": 2}, "dw_k",
                                 "E145")}
    splits = [s for s in (0.5, 0.3, 0.7, 0.1, 0.9, 0.45, 0.35, 0.15, 0.05, 0.95)
              if all(sh[0] * s != int(sh[0] * s) for sh in shapes)]
    if splits:
        out["shuffle_split"] = Break({"block": "shuffle", "out": 8, "split": splits[0]}, "split",
                                     "E142")
    return out


GENERATOR = FamilyGen(tag="shuffle", draw=draw, shape=shape, template=True, defaults=defaults,
                      stage_width_ok=stage_width_ok, breaks=breaks)
