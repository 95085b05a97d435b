"""``uib``: the Universal Inverted Bottleneck of MobileNetV4 (Qin et al., ECCV 2024, §3.2).

An inverted bottleneck with two optional depthwise convs around the expansion: one before it
(on the input width) and one after it (on the expanded width), plus an optional one after the
projection, as timm's ``UniversalInvertedResidual`` builds it. Which ones exist picks the form
(the paper's Fig. 4)::

    IB        dw_k               MobileNetV2's inverted bottleneck
    ConvNeXt  start_dw_k         spatial mixing before the expansion, on the narrow input
    ExtraDW   start_dw_k + dw_k  both: a larger receptive field for little cost
    FFN       neither            two 1×1 convs

The stride sits on the middle depthwise conv, else on the start one, else on the end one.
Data flow (per image, C = in, M = mid, O = out)::

    shortcut = x
    x = norm(start_dw(x))                              # k×k depthwise on C, no activation
    x = act(norm(expand(x)))                           # 1×1, C→M, M = make_divisible(C·exp, 8)
    x = se(act(norm(dw(x))))                           # k×k depthwise on M, the stride
    x = norm(proj(x))                                  # 1×1, M→O, no activation
    x = norm(end_dw(x))                                # k×k depthwise on O, no activation
    x = γ·x                                            # layer scale (per-channel γ)
    x = shortcut + drop_path(x) if skip
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    ActName,
    BlockModel,
    Family,
    NormField,
    PosInt,
    ResolveContext,
    ResolvedBlock,
    Width,
    register,
    resolve_norm,
)
from archspec.blocks.squeeze_excite import trace_squeeze_excite
from archspec.core.norm import Norm
from archspec.core.shapes import conv_out, make_divisible
from archspec.diagnostics import show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class UIBSpec(BlockModel):
    """The Universal Inverted Bottleneck. Each depthwise kernel left unset means that conv is
    absent; with none of them the block is an FFN."""

    block: Literal["uib"]
    out: Width = Field(description="Output channels (scaled by the width multiplier).")
    exp: Annotated[float, Field(gt=0, le=64)] = Field(
        description="Expansion ratio λ: mid = make_divisible(in·λ, 8).")
    start_dw_k: PosInt | None = Field(
        None, description="Kernel of the depthwise conv before the expansion (on the input "
        "width; norm, no activation); unset: absent. Carries the stride when `dw_k` is unset.")
    dw_k: PosInt | None = Field(
        None, description="Kernel of the depthwise conv after the expansion (on the expanded "
        "width; norm and act); unset: absent. Carries the stride when set.")
    end_dw_k: PosInt | None = Field(
        None, description="Kernel of the depthwise conv after the projection (on the output "
        "width; norm, no activation); unset: absent. Carries the stride when it is the only one.")
    stride: PosInt = Field(1, description="Stride of the block, on one depthwise conv (see "
                           "`dw_k`, `start_dw_k`, `end_dw_k`).")
    norm: NormField = Field("bn", description="Norm after every conv of the block.")
    act: ActName = Field("relu", description="Activation after the expansion and the middle "
                         "depthwise conv, and inside the SE.")
    se: Annotated[float, Field(ge=0, le=4)] = Field(
        0.0, description="SE ratio of the expanded width (round(mid·se) squeeze channels), "
        "after the middle depthwise conv; 0 = no SE.")
    se_gate: Literal["sigmoid", "hardsigmoid"] = Field("sigmoid", description="Gate of the SE.")
    layer_scale: Annotated[float, Field(gt=0, le=1e3)] | None = Field(
        None, description="Initial value of a learnable per-channel scale γ on the block's "
        "output (CaiT's LayerScale; MobileNetV4 hybrids use 1e-5); unset: none.")
    skip: bool | None = Field(
        None, description="Residual; default: present when stride 1, in == out and the map "
        "keeps its size.")


@dataclass(frozen=True, kw_only=True)
class UIB(ResolvedBlock):
    family = "uib"
    mid: int
    start_dw_k: int | None
    dw_k: int | None
    end_dw_k: int | None
    stride: int
    start_stride: int  # the stride each depthwise conv carries (1 where it carries none)
    dw_stride: int
    end_stride: int
    norm: Norm
    act: str
    se_ch: int  # squeeze width; 0 = no SE
    se_gate: str
    layer_scale: float | None
    skip: bool
    drop_path: float = 0.0


def _strides(start_dw_k: int | None, dw_k: int | None, stride: int) -> tuple[int, int, int]:
    """(start, middle, end) strides: the block's stride on the middle conv, else on the start
    one, else on the end one (timm's order)."""
    if dw_k is not None:
        return 1, stride, 1
    if start_dw_k is not None:
        return stride, 1, 1
    return 1, 1, stride


def _out_hw(hw: tuple[int, int], *, start_dw_k: int | None, dw_k: int | None,
            end_dw_k: int | None, stride: int) -> list[int]:
    """The map after the three depthwise convs (padding k // 2); an absent one keeps it."""
    size = list(hw)
    strides = _strides(start_dw_k, dw_k, stride)
    for k, s in zip((start_dw_k, dw_k, end_dw_k), strides, strict=True):
        if k is not None:
            size = [conv_out(n, k, s, k // 2) for n in size]
    return size


def resolve(spec: UIBSpec, ctx: ResolveContext) -> UIB | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    in_ch = ctx.in_ch
    out = ctx.width("out", spec.out, spec.scaling)
    raw = in_ch * spec.exp
    mid = make_divisible(raw, 8)
    ctx.record("exp", raw, mid, f"make_divisible(in·exp, 8): {in_ch}×{show_figure(spec.exp)} "
               f"= {show_figure(raw)}")
    if spec.stride != 1 and spec.start_dw_k is None and spec.dw_k is None and spec.end_dw_k is None:
        ctx.fail("E144", f"a uib block without depthwise convs (an FFN) has none to carry "
                 f"stride {spec.stride}", "stride",
                 fix="set `dw_k` (or `start_dw_k`) on this downsampling block")
        return None
    out_hw = _out_hw(hw, start_dw_k=spec.start_dw_k, dw_k=spec.dw_k, end_dw_k=spec.end_dw_k,
                     stride=spec.stride)
    if min(out_hw) < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} collapses below 1×1 at stride "
                 f"{spec.stride}", "stride", fix="lower the stride or the input size")
        return None
    can_skip = spec.stride == 1 and in_ch == out and tuple(out_hw) == hw
    if spec.skip and not can_skip:
        ctx.fail("E144", f"skip needs stride 1, in == out and odd kernels, got stride "
                 f"{spec.stride}, {in_ch}→{out}, map {hw[0]}×{hw[1]}→{out_hw[0]}×{out_hw[1]}",
                 "skip", fix="set `skip: false` on this block")
        return None
    skip = can_skip if spec.skip is None else spec.skip
    se_ch = 0
    if spec.se:
        se_ch = max(round(mid * spec.se), 1)
        ctx.record("se", mid * spec.se, se_ch, f"round({mid}×{show_figure(spec.se)})")
    start, middle, end = _strides(spec.start_dw_k, spec.dw_k, spec.stride)
    return UIB(
        in_shape=ctx.in_shape, out_shape=(out, *out_hw), origin=ctx.origin, mid=mid,
        start_dw_k=spec.start_dw_k, dw_k=spec.dw_k, end_dw_k=spec.end_dw_k, stride=spec.stride,
        start_stride=start, dw_stride=middle, end_stride=end, norm=resolve_norm(spec.norm),
        act=spec.act, se_ch=se_ch, se_gate=spec.se_gate, layer_scale=spec.layer_scale,
        skip=skip, drop_path=ctx.drop_path if skip else 0.0,
    )


# ---------------------------------------------------------------------------------- tracing


def _dw(g: GraphBuilder, x: Tensor, name: str, field: str, k: int, stride: int,
        norm: Norm) -> Tensor:
    with g.part(field, width="out"):
        x = g.conv(x, name, out=x.ch, k=k, stride=stride, padding=k // 2, groups=x.ch)
    with g.part("norm", operator="norm"):
        return g.norm(x, f"{name}_norm", norm)


def _act(g: GraphBuilder, x: Tensor, name: str, act: str) -> Tensor:
    with g.part("act", operator="act"):
        return g.act(x, name, act)


def trace(b: UIB, g: GraphBuilder, x: Tensor) -> Tensor:
    shortcut = x
    if b.start_dw_k is not None:
        x = _dw(g, x, "start_dw", "start_dw_k", b.start_dw_k, b.start_stride, b.norm)
    with g.part("exp"):
        x = g.conv(x, "expand", out=b.mid)
    with g.part("norm", operator="norm"):
        x = g.norm(x, "expand_norm", b.norm)
    x = _act(g, x, "expand_act", b.act)
    if b.dw_k is not None:
        x = _act(g, _dw(g, x, "dw", "dw_k", b.dw_k, b.dw_stride, b.norm), "dw_act", b.act)
    if b.se_ch:
        x = trace_squeeze_excite(g, x, se_ch=b.se_ch, act=b.act, act_field="act",
                                 gate=b.se_gate)
    with g.part("out"):
        x = g.conv(x, "proj", out=b.out_ch)
    with g.part("norm", operator="norm"):
        x = g.norm(x, "proj_norm", b.norm)
    if b.end_dw_k is not None:
        x = _dw(g, x, "end_dw", "end_dw_k", b.end_dw_k, b.end_stride, b.norm)
    if b.layer_scale is not None:
        with g.part("layer_scale"):
            x = g.scale(x, "layer_scale", b.layer_scale, learnable=b.out_ch)  # γ: out_ch params
    if b.skip:
        with g.part("skip", operator="skip"):
            x = g.add(shortcut, x, "skip")
    return x


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H', W') from ``out``, ``stride`` and the three depthwise kernels (see
    Family.shape)."""
    keys = {"out", "stride", "start_dw_k", "dw_k", "end_dw_k", "scaling"}
    if ctx.in_hw is None or not keys <= f.keys():
        return None
    hw = _out_hw(ctx.in_hw, start_dw_k=f["start_dw_k"], dw_k=f["dw_k"], end_dw_k=f["end_dw_k"],
                 stride=f["stride"])
    return (ctx.width("out", f["out"], f["scaling"]), *hw) if min(hw) >= 1 else None


EXAMPLE = """\
- {block: uib, out: 32, exp: 4, start_dw_k: 3, dw_k: 5, stride: 2}   # ExtraDW
- {block: uib, out: 32, exp: 2}                                     # FFN
"""

FAMILY = register(Family("uib", UIBSpec, resolve, trace, UIB, "Universal Inverted Bottleneck",
                         shape=shape, example=EXAMPLE))
