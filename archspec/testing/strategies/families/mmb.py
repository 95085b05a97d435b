"""``mmb``: EMO's Meta Mobile Block (expansion, operator F ∈ {dwconv, attn, ffn}, depthwise conv,
SE, projection, skips), with the papers' ``mid`` rounding as the width oracle; MixNet's mixed
depthwise kernels (odd, so every piece keeps the map size) and split 1×1 convs."""

from __future__ import annotations

from typing import Any

from archspec.testing.strategies.draw import Block, Gen, Req, draw_out
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import (
    Ctx,
    KeyPath,
    Shape,
    conv_len,
    divisors,
    gcd,
    make_divisible,
)


def mid(b: Block, ctx: Ctx) -> int:
    """The expanded width: absolute ``mid`` (scaled) or ``in · exp`` rounded by ``mid_round``."""
    if b.get("mid") is not None:
        return ctx.width(b["mid"], b.get("scaling", "scaled"))
    raw = ctx.c * b["exp"]
    rounding = b.get("mid_round", "round")
    if rounding == "floor":
        return int(raw)
    if rounding == "round":
        return int(round(raw))
    return make_divisible(raw, 8)


def _expansion(g: Gen, d: Block, ins: list[int], req: Req) -> None:
    mode = req.pins.get("mode") or g.pick(["exp", "mid", "noexpand"])
    if mode == "noexpand":
        d["exp"] = g.pick([1, 1.0])
        d["expand"] = False
        rounding = g.pick(["floor", "round"] + (["divisible"] if all(
            i >= 8 and i % 8 == 0 for i in ins) else []))
        g.put(d, "mid_round", rounding, "round")
    elif mode == "exp":
        exp = g.pick([e for e in (1, 2, 4, 0.5, 1.5, 2.5, 3, 3.5, 0.75, 1.25, 6)
                      if min(ins) * e >= 1])
        if isinstance(exp, float) and exp.is_integer() and g.coin():
            exp = int(exp)
        d["exp"] = exp
        g.put(d, "mid_round", g.pick(["round", "floor", "divisible"]), "round")
        g.put(d, "expand", True, True)
    else:
        d["mid"] = g.int(1, 2 * req.max_width)
        g.put(d, "expand", True, True)


def _attention(g: Gen, d: Block, ins: list[int], mids: list[int]) -> None:
    dim_head = g.pick(divisors(gcd(ins)))
    heads = [i // dim_head for i in ins]
    d["dim_head"] = dim_head
    divides = all(m % h == 0 for m, h in zip(mids, heads, strict=True))
    attn_pre = g.coin() if divides else True
    g.put(d, "attn_pre", attn_pre, False)
    if divides and d.get("expand", True):
        g.put(d, "v_group", g.coin(), False)
    g.put(d, "qkv_bias", g.coin(), False)
    partition = g.pick(["local", "grid", "global"])
    g.put(d, "partition", partition, "local")
    if partition != "global" or g.coin():
        g.put(d, "window", g.int(1, 8), 7)


def _splits(g: Gen, d: Block, ins: list[int], mids: list[int], outs: list[int]) -> None:
    """expand_split / proj_split: at most as many pieces as the narrower side has channels."""
    expand = d.get("expand", True) and d.get("f", "dwconv") != "attn"
    if expand and min(*ins, *mids) >= 2 and g.coin():
        d["expand_split"] = g.int(1, min(3, *ins, *mids))
    if min(*mids, *outs) >= 2 and g.coin():
        d["proj_split"] = g.int(1, min(3, *mids, *outs))


def _se(g: Gen, d: Block) -> None:
    d["se"] = g.fraction(0.0, 4.0, [0.25, 0.5, 1.0, 0.0])
    g.put(d, "se_base", g.pick(["mid", "in"]), "mid")
    g.put(d, "se_round", g.pick(["round", "divisible"]), "round")
    g.put(d, "se_act", g.act(), "relu")
    g.put(d, "se_gate", g.pick(["sigmoid", "hardsigmoid"]), "sigmoid")


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "mmb"}
    ins = [c.c for c in ctxs]
    fixed_hw = req.keep_hw or req.keep_shape
    f = "attn" if g.attention else req.pins.get("f") or g.pick(["dwconv", "attn", "ffn"])
    g.put(d, "f", f, "dwconv")
    _expansion(g, d, ins, req)
    out_ch = draw_out(g, d, ctxs, req)
    if out_ch is None:
        return None
    mids = [mid(d, c) for c in ctxs]
    if f == "attn":
        _attention(g, d, ins, mids)
    # --- spatial conv
    stride = 1
    odd = True
    if f != "ffn":
        stride = 1 if fixed_hw else g.pick([1, 2])
        g.put(d, "stride", stride, 1)
        pieces = g.int(2, min(4, *mids)) if min(mids) >= 2 and g.coin() else 1
        if pieces > 1:  # a mixed depthwise conv: odd kernels, no groups
            dw_ks = [g.pick([3, 1, 5, 7]) for _ in range(pieces)]
            d["dw_k"] = dw_ks
        else:
            dw_k = g.pick([3, 1, 5] if fixed_hw else [3, 1, 5, 2])
            dw_ks = [dw_k]
            g.put(d, "dw_k", [dw_k] if g.coin() else dw_k, 3)  # [k] is k
        odd = dw_ks[0] % 2 == 1
        if max(dw_ks) > 1:
            g.put(d, "dilation", g.pick([1, 2]), 1)
        if pieces == 1 and g.coin():
            d["groups"] = g.pick(divisors(gcd(mids)))
    _splits(g, d, ins, mids, out_ch)
    # --- norms, activations, biases
    for key in ("pre_norm", "expand_norm", "dw_norm", "proj_norm"):
        if g.coin():
            d[key] = g.norm()
    for key in ("expand_act", "dw_act", "proj_act", "post_act"):
        if g.coin():
            d[key] = g.act()
    for key in ("expand_bias", "proj_bias"):
        g.put(d, key, g.coin(), False)
    if g.coin():
        _se(g, d)
    # --- skips: written only where every context allows them
    can_skip = stride == 1 and odd and all(i == o for i, o in zip(ins, out_ch, strict=True))
    skip = g.pick([None, False] + ([True] if can_skip else []))
    if skip is not None:
        d["skip"] = skip
    if f != "ffn" and stride == 1 and odd:
        g.put(d, "dw_skip", g.coin(), False)
    return d


def shape(b: Block, ctx: Ctx) -> Shape:
    out = ctx.width(b["out"], b.get("scaling", "scaled"))
    _, h, w = ctx.shape
    if b.get("f", "dwconv") == "ffn":
        return (out, h, w)
    dw_k = b.get("dw_k", 3)
    k = dw_k[0] if isinstance(dw_k, list) else dw_k  # every piece keeps the first's map size
    s, d = b.get("stride", 1), b.get("dilation", 1)
    p = k // 2 * d
    return (out, conv_len(h, k, s, p, d), conv_len(w, k, s, p, d))


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (
        ("pre_norm", g.norm()), ("expand_norm", g.norm()), ("dw_norm", g.norm()),
        ("proj_norm", g.norm()), ("expand_act", g.act()), ("dw_act", g.act()),
        ("proj_act", g.act()), ("post_act", g.act()), ("se_act", g.act()),
        ("qkv_bias", g.coin()), ("expand_bias", g.coin())) if g.coin()}


def stage_pins(g: Gen, replacing: bool) -> dict[str, Any]:
    """One expansion mode for the whole stage (``expand: false`` never replaces a template)."""
    return {"mode": g.pick(["exp", "mid"] if replacing else ["exp", "mid", "noexpand"])}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    c_max = max(s[0] for s in shapes)
    base = {"block": "mmb", "out": 4}
    return {
        "mmb_groups": Break({**base, "mid": 6, "scaling": "fixed", "groups": 4}, "groups",
                            "E141"),
        "dim_head": Break({**base, "exp": 2, "f": "attn", "dim_head": c_max + 1}, "dim_head",
                          "E140"),
        "ffn_stride": Break({**base, "exp": 2, "f": "ffn", "stride": 2}, "stride", "E144"),
        "skip": Break({**base, "exp": 2, "stride": 2, "skip": True}, "skip", "E144"),
        # floor(in · exp) = 0 in every variant
        "mid_zero": Break({**base, "exp": 1 / (2 * c_max), "mid_round": "floor"}, "exp", "E122"),
        # an even kernel at stride 1 grows the map: no inner skip
        "dw_skip_even": Break({**base, "exp": 2, "dw_k": 2, "dw_skip": True}, "dw_skip", "E144"),
        "expand": Break({**base, "exp": 2, "expand": False}, "expand", "E146"),
        "exp_and_mid": Break({**base, "exp": 2, "mid": 8}, None, "E127"),
        # more projection pieces than output channels (fixed: a variant's width divisor would
        # round a scaled 4 up to 8, which 5 pieces fit)
        "proj_split": Break({**base, "exp": 2, "proj_split": 5, "scaling": "fixed"},
                            "proj_split", "E155"),
        "attn_split": Break({**base, "exp": 2, "f": "attn", "dim_head": 1, "expand_split": 2},
                            "expand_split", "E155"),
    }


GENERATOR = FamilyGen(tag="mmb", draw=draw, shape=shape, template=True, defaults=defaults,
                      stage_pins=stage_pins, breaks=breaks)
