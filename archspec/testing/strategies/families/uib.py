"""``uib``: MobileNetV4's Universal Inverted Bottleneck (Qin et al., ECCV 2024, §3.2): up to
three depthwise convs (before the expansion, after it, after the projection) around an inverted
bottleneck, with the oracle chaining PyTorch's output-size formula through the present ones."""

from __future__ import annotations

from hypothesis import strategies as st

from archspec.testing.strategies.draw import Block, Gen, Req, draw_out
from archspec.testing.strategies.registry import Break, FamilyGen
from archspec.testing.strategies.world import Ctx, KeyPath, Shape, conv_len

#: The depthwise kernels in data-flow order; the stride goes on ``dw_k``'s conv when it is set,
#: else on ``start_dw_k``'s, else on ``end_dw_k``'s (timm's ``UniversalInvertedResidual``).
KERNELS = ("start_dw_k", "dw_k", "end_dw_k")
_STRIDE_ORDER = ("dw_k", "start_dw_k", "end_dw_k")


#: The paper's forms (Fig. 4) by the kernels they set; "mixed" draws each conv's presence.
FORMS: dict[str, tuple[str, ...]] = {"ib": ("dw_k",), "convnext": ("start_dw_k",),
                                     "extradw": ("start_dw_k", "dw_k"), "ffn": ()}


def _kernels(g: Gen, fixed_hw: bool) -> dict[str, int | None]:
    """One kernel (or none) per depthwise conv; even ones only where the map may change size
    (padding k // 2 makes an even kernel at stride 1 grow the map by one)."""
    form = g.pick([*FORMS, "mixed"])
    present = FORMS[form] if form in FORMS else tuple(k for k in KERNELS if g.coin())
    sizes = [3, 5, 1, 7] if fixed_hw else [3, 5, 1, 7, 2, 4]
    return {key: g.pick(sizes) if key in present else None for key in KERNELS}


def _carrier(b: Block) -> str | None:
    """The depthwise conv that carries the block's stride (None: there is none)."""
    return next((key for key in _STRIDE_ORDER if b.get(key) is not None), None)


def _map(b: Block, h: int, w: int) -> tuple[int, int]:
    """H×W after the present depthwise convs (padding k // 2, the stride on the carrier)."""
    stride, carrier = b.get("stride", 1), _carrier(b)
    for key in KERNELS:
        k = b.get(key)
        if k is not None:
            s = stride if key == carrier else 1
            h, w = conv_len(h, k, s, k // 2), conv_len(w, k, s, k // 2)
    return h, w


def draw(g: Gen, ctxs: list[Ctx], req: Req, path: KeyPath) -> Block | None:
    d: Block = {"block": "uib"}
    out_ch = draw_out(g, d, ctxs, req)
    if out_ch is None:
        return None
    d["exp"] = g.draw(st.one_of(st.sampled_from([1, 2, 3, 4, 6, 0.5, 1.5, 2.5, 4.0]),
                                st.floats(0.0, 8.0, exclude_min=True)))
    fixed_hw = req.keep_hw or req.keep_shape
    for key, k in _kernels(g, fixed_hw).items():
        g.put(d, key, k, None)
    stride = 1 if fixed_hw or _carrier(d) is None else g.pick([1, 2])
    g.put(d, "stride", stride, 1)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    if g.coin():
        d["se"] = g.fraction(0.0, 4.0, [0.25, 0.5, 1.0, 0.0])
        g.put(d, "se_gate", g.pick(["sigmoid", "hardsigmoid"]), "sigmoid")
    g.put(d, "layer_scale", _layer_scale(g), None)
    # a skip is written only where every context allows it: stride 1, in == out, same map
    can_skip = stride == 1 and all(
        c.c == o and _map(d, *c.shape[1:]) == c.shape[1:]
        for c, o in zip(ctxs, out_ch, strict=True))
    skip = g.pick([None, False] + ([True] if can_skip else []))
    if skip is not None:
        d["skip"] = skip
    return d


def _layer_scale(g: Gen) -> float | None:
    """γ's initial value in (0, 1000] (MobileNetV4's hybrids use 1e-5), or unset."""
    value: float | None = g.draw(st.one_of(st.sampled_from([None, None, 1e-5, 1.0]),
                                           st.floats(0.0, 1e3, exclude_min=True)))
    return value


def shape(b: Block, ctx: Ctx) -> Shape:
    _, h, w = ctx.shape
    return (ctx.width(b["out"], b.get("scaling", "scaled")), *_map(b, h, w))


def defaults(g: Gen) -> Block:
    return {k: v for k, v in (
        ("norm", g.norm()), ("act", g.act()), ("se", g.fraction(0.0, 4.0, [0.25, 0.0])),
        ("se_gate", g.pick(["sigmoid", "hardsigmoid"])), ("layer_scale", _layer_scale(g)))
        if v is not None and g.coin()}


def breaks(shapes: list[Shape]) -> dict[str, Break]:
    base = {"block": "uib", "out": 4, "exp": 2}
    return {
        # (E143 cannot happen: with padding k // 2 no conv takes a map below 1×1)
        # an FFN (no depthwise conv) has no conv to carry a stride
        "ffn_stride": Break({**base, "stride": 2}, "stride", "E144"),
        "skip": Break({**base, "dw_k": 3, "stride": 2, "skip": True}, "skip", "E144"),
        # an even kernel at stride 1 grows the map: no skip
        "skip_even": Break({**base, "start_dw_k": 2, "skip": True}, "skip", "E144"),
    }


GENERATOR = FamilyGen(tag="uib", draw=draw, shape=shape, template=True, defaults=defaults,
                      breaks=breaks)
