"""``mmb``: the Meta Mobile Block of EMO (Zhang et al., ICCV 2023).

One block, parameterised by the expansion ratio λ (``exp``) and the efficient operator F (``f``):
F = depthwise conv gives MobileNetV2/V3's inverted residual, F = windowed MHSA followed by a
depthwise conv gives EMO's iRMB, F = identity gives an FFN. Every conv, norm and activation
position is a field, because the reference implementations differ exactly there.

Data flow (per image, C = in, M = mid, O = out)::

    shortcut = x
    x = pre_norm(x)                                          # iRMB's input norm
    f=attn: x = attention(x) with v = expand conv (C→M)       # windowed MHSA
    else:   x = expand_act(expand_norm(expand(x)))           # 1×1, C→M (absent if expand=false)
    y = se(dw_act(dw_norm(dw(x))))                           # k×k, stride, groups (none for ffn)
    x = x + y if dw_skip else y
    x = proj_act(proj_norm(proj(x)))                         # 1×1, M→O
    x = shortcut + drop_path(x) if skip;  x = post_act(x)

MixNet's blocks are mixed convs (:mod:`archspec.blocks.conv`): a ``dw_k`` list is a mixed
depthwise conv (one kernel per channel piece), ``expand_split`` / ``proj_split`` cut the 1×1
expansion / projection into that many convs over channel pieces (not a grouped conv: the pieces
are unequal when the widths do not divide).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from archspec.blocks.attention import trace_attention
from archspec.blocks.base import (
    ActName,
    BlockModel,
    Family,
    Groups,
    NormField,
    PosInt,
    ResolveContext,
    ResolvedBlock,
    Width,
    register,
    resolve_norm,
)
from archspec.blocks.conv import Kernels, Mix, kernels, map_size, mix_pieces, trace_conv
from archspec.blocks.squeeze_excite import trace_squeeze_excite
from archspec.core.norm import Norm
from archspec.core.shapes import make_divisible
from archspec.diagnostics import show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor

Ratio = Annotated[float, Field(gt=0, le=64)]


class MMBSpec(BlockModel):
    """The Meta Mobile Block. Give ``exp`` (λ, relative to the input width) or ``mid`` (absolute)."""

    block: Literal["mmb"]
    out: Width = Field(description="Output channels.")
    # width
    exp: Ratio | None = Field(None, description="Expansion ratio λ: mid = λ · in, rounded by mid_round.")
    mid: Width | None = Field(None, description="Expanded width, absolute (scaled by the width multiplier).")
    mid_round: Literal["floor", "round", "divisible"] = Field(
        "round", description="floor: int(in·λ) (EMO); round: round(in·λ) (MobileNetV2); "
        "divisible: make_divisible(in·λ, 8).")
    expand: bool = Field(True, description="Whether the 1×1 expansion conv exists; false needs mid == in.")
    # operator F
    f: Literal["dwconv", "attn", "ffn"] = Field(
        "dwconv", description="dwconv: inverted residual; attn: windowed MHSA then the spatial "
        "conv (iRMB); ffn: no spatial conv.")
    partition: Literal["local", "grid", "global"] = Field(
        "local", description="local: contiguous windows; grid: dilated windows (official EMO); "
        "global: the whole map is one window.")
    window: PosInt = Field(7, description="Window side for local/grid partitions.")
    dim_head: Width = Field(32, description="Channels per attention head; heads = in / dim_head.")
    attn_pre: bool = Field(False, description="Attention before the v projection (EMO) instead of after.")
    v_group: bool = Field(False, description="v projection grouped by heads.")
    qkv_bias: bool = Field(False, description="Bias on the q/k projection.")
    # spatial conv
    dw_k: Kernels = Field(
        3, description="Spatial conv kernel k×k; a list [3, 5, 7] is a mixed depthwise conv "
        "(MixConv: one kernel per channel piece, equal pieces with the remainder to the first). "
        "[k] is k.")
    stride: PosInt = Field(1, description="Stride, on the spatial conv.")
    dilation: PosInt = 1
    groups: Groups | None = Field(None, description="Spatial conv groups; default `depthwise` "
                                  "(= mid). A number is absolute (not scaled by `width:`).")
    # norms and activations per position
    pre_norm: NormField = Field("none", description="Norm of the block input (iRMB).")
    expand_norm: NormField = "bn"
    expand_act: ActName = "relu"
    expand_bias: bool = False
    expand_split: PosInt = Field(1, description="The 1×1 expansion as this many convs over "
                                 "channel pieces (MixNet's grouped pointwise conv; pieces "
                                 "split as a mixed conv's).")
    dw_norm: NormField = "bn"
    dw_act: ActName = "relu"
    proj_norm: NormField = "bn"
    proj_act: ActName = "none"
    proj_bias: bool = False
    proj_split: PosInt = Field(1, description="The 1×1 projection as this many convs over "
                               "channel pieces (as `expand_split`).")
    # squeeze-and-excitation
    se: Annotated[float, Field(ge=0, le=4)] = Field(0.0, description="SE ratio; 0 = no SE.")
    se_base: Literal["in", "mid"] = Field("mid", description="Channels the SE ratio applies to.")
    se_round: Literal["round", "divisible"] = Field(
        "round", description="round: round(base·se) (EMO, timm); divisible: "
        "make_divisible(floor(base·se), 8) (MobileNetV3).")
    se_act: ActName = "relu"
    se_gate: Literal["sigmoid", "hardsigmoid"] = "sigmoid"
    # skips
    skip: bool | None = Field(None, description="Outer residual; default: present when stride 1 and in == out.")
    dw_skip: bool = Field(False, description="Residual around the spatial conv + SE (EMO, non-first blocks).")
    post_act: ActName = Field("none", description="Activation after the outer add.")

    @model_validator(mode="after")
    def _one_width(self) -> MMBSpec:
        if (self.exp is None) == (self.mid is None):
            raise ValueError("give exactly one of `exp` (ratio) or `mid` (absolute width)")
        return self


@dataclass(frozen=True, kw_only=True)
class MMB(ResolvedBlock):
    family = "mmb"
    mid: int
    expand: bool
    f: str
    partition: str
    window: int | None  # None: a global partition (the whole map is one window)
    dim_head: int
    heads: int
    attn_pre: bool
    v_group: bool
    qkv_bias: bool
    dw_k: int | tuple[int, ...]  # a tuple: a mixed depthwise conv, pieces in dw_mix
    stride: int
    dilation: int
    groups: int
    padding: int | tuple[int, ...]
    pre_norm: Norm
    expand_norm: Norm
    expand_act: str
    expand_bias: bool
    dw_norm: Norm
    dw_act: str
    proj_norm: Norm
    proj_act: str
    proj_bias: bool
    se_ch: int  # squeeze width; 0 = no SE
    se_act: str
    se_gate: str
    skip: bool
    dw_skip: bool
    post_act: str
    expand_mix: Mix = ()  # the pieces of a split expansion / mixed dw / split projection
    dw_mix: Mix = ()
    proj_mix: Mix = ()
    drop_path: float = 0.0

    @property
    def has_dw(self) -> bool:
        return self.f != "ffn"

    def window_hw(self, hw: tuple[int, int]) -> tuple[int, int]:
        """Window size actually used on an H×W map (the whole map for a global partition)."""
        return hw if self.window is None else (self.window, self.window)


def _mid(spec: MMBSpec, ctx: ResolveContext) -> int:
    if spec.mid is not None:
        return ctx.width("mid", spec.mid, spec.scaling)
    exp = spec.exp or 0.0
    raw = ctx.in_ch * exp
    rounders: dict[str, tuple[Callable[[float], int], str]] = {
        "floor": (int, "floor(in·exp)"), "round": (round, "round(in·exp)"),
        "divisible": (make_divisible, "make_divisible(in·exp, 8)")}
    fn, rule = rounders[spec.mid_round]
    mid = int(fn(raw))
    ctx.record("exp", raw, mid, f"{rule}: {ctx.in_ch}×{show_figure(exp)} = {show_figure(raw)}",
               instead="mid")
    return mid


def _se_width(spec: MMBSpec, in_ch: int, mid: int, ctx: ResolveContext) -> int:
    if spec.se == 0:
        return 0
    base = in_ch if spec.se_base == "in" else mid
    raw = base * spec.se
    width = round(raw) if spec.se_round == "round" else make_divisible(math.floor(raw), 8)
    ctx.record("se", raw, width, f"{spec.se_round}({base}×{show_figure(spec.se)})")
    return max(int(width), 1)


def resolve(spec: MMBSpec, ctx: ResolveContext) -> MMB | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    in_ch = ctx.in_ch
    out = ctx.width("out", spec.out, spec.scaling)
    mid = _mid(spec, ctx)
    if mid < 1:  # only an expansion ratio rounds below 1: a written mid is at least 1
        assert spec.exp is not None
        ctx.fail("E122", f"the expanded width rounds to {mid} ({in_ch}×{show_figure(spec.exp)})", "exp",
                 expected="exp · in ≥ 1", fix="raise `exp`, or give `mid`")
        return None
    ok = True
    if not spec.expand and mid != in_ch:
        ctx.fail("E146", f"expand: false needs mid == in, but mid = {mid} and in = {in_ch}",
                 "expand", fix="set `expand: true`, or `exp: 1`")
        ok = False
    groups = spec.groups if isinstance(spec.groups, int) else mid  # None, depthwise: = mid
    if spec.f != "ffn" and mid % groups:
        note, depthwise = ctx.groups_note(groups, mid, "the expanded width", written=spec.mid)
        ctx.fail("E141", f"groups={groups} must divide the expanded width {mid}{note}", "groups",
                 fix=depthwise)
        ok = False
    heads = 0
    if spec.f == "attn":
        heads, rem = divmod(in_ch, spec.dim_head)
        if rem or heads == 0:
            ctx.fail("E140", f"input channels {in_ch} are not divisible by dim_head={spec.dim_head}",
                     "dim_head", expected=f"a divisor of {in_ch}",
                     fix=f"try dim_head: {_nearest_divisor(in_ch, spec.dim_head)}")
            ok = False
        elif not spec.attn_pre and mid % heads:
            ctx.fail("E140", f"expanded width {mid} is not divisible by {heads} heads", "dim_head")
            ok = False
        if spec.v_group and heads and (mid % heads or in_ch % heads):
            ctx.fail("E141", f"v_group needs in ({in_ch}) and mid ({mid}) divisible by {heads} "
                     "heads", "v_group")
            ok = False
    if spec.f == "ffn" and spec.stride != 1:
        ctx.fail("E144", "an ffn block has no spatial conv to carry stride "
                 f"{spec.stride}", "stride", fix="use f: dwconv for a downsampling block")
        ok = False
    dw_k = kernels(spec.dw_k)
    out_hw: tuple[int, ...] = hw
    if spec.f != "ffn":
        out_hw = tuple(map_size(hw, spec.dw_k, spec.stride, spec.dilation))
    if min(out_hw) < 1:
        ctx.fail("E143", f"feature map {hw[0]}×{hw[1]} collapses below 1×1 at stride "
                 f"{spec.stride}", "stride", fix="lower the stride or the input size")
        return None
    same_size = tuple(out_hw) == hw  # an even dw_k at stride 1 grows the map by one
    can_skip = spec.stride == 1 and in_ch == out and same_size
    if spec.skip and not can_skip:
        ctx.fail("E144", f"skip needs stride 1 and in == out, got stride {spec.stride}, "
                 f"{in_ch}→{out}", "skip", fix="set `skip: false` on this block")
        ok = False
    if spec.dw_skip and (spec.f == "ffn" or spec.stride != 1 or not same_size):
        ctx.fail("E144", "dw_skip needs a spatial conv that keeps the map size (stride 1, odd "
                 f"dw_k); got stride {spec.stride}, dw_k {spec.dw_k}", "dw_skip",
                 fix="set `dw_skip: false` on this (downsampling) block")
        ok = False
    mixes = _mixes(spec, ctx, in_ch=in_ch, mid=mid, out=out, dw_k=dw_k, hw=hw)
    if not ok or mixes is None:
        return None
    expand_mix, dw_mix, proj_mix = mixes
    padding = (tuple(p.padding for p in dw_mix) if isinstance(dw_k, tuple)
               else dw_k // 2 * spec.dilation)
    skip = can_skip if spec.skip is None else spec.skip
    return MMB(
        in_shape=ctx.in_shape, out_shape=(out, *out_hw), origin=ctx.origin,
        mid=mid, expand=spec.expand, f=spec.f, partition=spec.partition,
        window=None if spec.partition == "global" else spec.window, dim_head=spec.dim_head,
        heads=heads, attn_pre=spec.attn_pre, v_group=spec.v_group, qkv_bias=spec.qkv_bias,
        dw_k=dw_k, stride=spec.stride, dilation=spec.dilation, groups=groups,
        padding=padding, pre_norm=resolve_norm(spec.pre_norm),
        expand_norm=resolve_norm(spec.expand_norm), expand_act=spec.expand_act,
        expand_bias=spec.expand_bias, dw_norm=resolve_norm(spec.dw_norm), dw_act=spec.dw_act,
        proj_norm=resolve_norm(spec.proj_norm), proj_act=spec.proj_act,
        proj_bias=spec.proj_bias, se_ch=_se_width(spec, in_ch, mid, ctx), se_act=spec.se_act,
        se_gate=spec.se_gate, skip=skip, dw_skip=spec.dw_skip, post_act=spec.post_act,
        expand_mix=expand_mix, dw_mix=dw_mix, proj_mix=proj_mix,
        drop_path=ctx.drop_path if skip else 0.0,
    )


def _mixes(spec: MMBSpec, ctx: ResolveContext, *, in_ch: int, mid: int, out: int,
           dw_k: int | tuple[int, ...], hw: tuple[int, int]) -> tuple[Mix, Mix, Mix] | None:
    """The pieces of the split expansion, the mixed depthwise conv and the split projection
    (each empty when that conv is whole), or None after a located E155."""
    ok = True
    expand_mix: Mix | None = ()
    if spec.expand_split > 1:
        if not spec.expand:
            ctx.fail("E155", "expand_split needs the expansion conv (expand: false)",
                     "expand_split", fix="drop `expand_split`")
            ok = False
        elif spec.f == "attn":  # the expansion is attention's v projection, over windows
            ctx.fail("E155", "expand_split splits a 1×1 expansion; with f: attn the expansion "
                     "is the attention's v projection", "expand_split",
                     fix="drop `expand_split`, or use `v_group` to group the v projection")
            ok = False
        else:
            expand_mix = mix_pieces(ctx, "expand_split", in_ch=in_ch, out=mid,
                                    k=(1,) * spec.expand_split, dilation=1, depthwise=False,
                                    hw=None, stride=1)
    dw_mix: Mix | None = ()
    if isinstance(dw_k, tuple) and spec.f != "ffn":
        if spec.groups not in (None, "depthwise"):
            ctx.fail("E155", f"a mixed depthwise conv (dw_k: {list(dw_k)}) takes no `groups` "
                     f"(got {spec.groups})", "groups", fix="drop `groups`")
            ok = False
        else:
            dw_mix = mix_pieces(ctx, "dw_k", in_ch=mid, out=mid, k=dw_k, dilation=spec.dilation,
                                depthwise=True, hw=hw, stride=spec.stride)
    proj_mix: Mix | None = ()
    if spec.proj_split > 1:
        proj_mix = mix_pieces(ctx, "proj_split", in_ch=mid, out=out, k=(1,) * spec.proj_split,
                              dilation=1, depthwise=False, hw=None, stride=1)
    if not ok or expand_mix is None or dw_mix is None or proj_mix is None:
        return None
    return expand_mix, dw_mix, proj_mix


def _nearest_divisor(n: int, near: int) -> int:
    """The divisor of ``n`` closest to ``near`` (the larger on a tie), in O(√n)."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return min((*small, *(n // d for d in small)), key=lambda d: (abs(d - near), -d))


# ---------------------------------------------------------------------------------- tracing


def attention_geometry(b: MMB, hw: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int],
                                                              tuple[int, int]]:
    """(window h×w, padding bottom/right, windows n1×n2) for an H×W map."""
    wh, ww = b.window_hw(hw)
    pad = (-hw[0] % wh, -hw[1] % ww)
    n = ((hw[0] + pad[0]) // wh, (hw[1] + pad[1]) // ww)
    return (wh, ww), pad, n


def _expand(b: MMB, g: GraphBuilder, x: Tensor) -> Tensor:
    if not b.expand:
        return x
    with g.part("exp", "mid", operator="expand"):
        x = trace_conv(g, x, "expand", out=b.mid, k=1, stride=1, padding=0, dilation=1,
                       bias=b.expand_bias, mix=b.expand_mix,
                       groups=b.heads if (b.v_group and b.f == "attn") else 1)
    with g.part("expand_norm", operator="expand_norm"):
        x = g.norm(x, "expand_norm", b.expand_norm)
    with g.part("expand_act", operator="expand_act"):
        return g.act(x, "expand_act", b.expand_act)


def _attention(b: MMB, g: GraphBuilder, x: Tensor) -> Tensor:
    """Windowed MHSA as the official EMO code computes it (explicit matmuls, layout copies).

    Its matmuls carry the attention's geometry as attributes, so rules read it from the graph:
    ``window`` (h, w), or None for a global partition (one window, the whole map); ``map`` the
    H×W it attends over, ``padding`` (bottom, right), ``windows`` (n1, n2), ``heads``,
    ``dim_head``."""
    c, h, w = x.shape
    (wh, ww), (pb, pr), (n1, n2) = attention_geometry(b, (h, w))
    nw, tokens = n1 * n2, wh * ww
    geometry = {"window": None if b.partition == "global" else (wh, ww), "map": (h, w),
                "padding": (pb, pr), "windows": (n1, n2), "heads": b.heads,
                "dim_head": b.dim_head}
    with g.part("attn", window="window", partition=("window", "partition")):
        if pb or pr:
            x = g.pad(x, "attn.pad", bottom=pb, right=pr)
        x = g.reshape(x, "attn.partition", (nw, c, wh, ww), copy=nw > 1, pattern=b.partition)
        with g.part("dim_head"):
            qk = g.conv(x, "qk", out=2 * c, bias=b.qkv_bias)
        qk = g.reshape(qk, "attn.qk_heads", (2 * nw * b.heads, tokens, b.dim_head), copy=True)
        q, k = g.split(qk, "attn.qk_split", [nw * b.heads, nw * b.heads])
        if b.attn_pre:
            v = g.reshape(x, "attn.x_heads", (nw * b.heads, tokens, c // b.heads), copy=True)
            y = trace_attention(g, q, k, v, "attn", dim_head=b.dim_head, geometry=geometry)
            y = g.reshape(y, "attn.merge_heads", (nw, c, wh, ww), copy=True)
            y = _expand(b, g, y)
        else:
            v = _expand(b, g, x)
            mid = v.shape[1]
            v = g.reshape(v, "attn.v_heads", (nw * b.heads, tokens, mid // b.heads), copy=True)
            y = trace_attention(g, q, k, v, "attn", dim_head=b.dim_head, geometry=geometry)
            y = g.reshape(y, "attn.merge_heads", (nw, mid, wh, ww), copy=True)
        y = g.reshape(y, "attn.reverse", (y.shape[1], h + pb, w + pr), copy=nw > 1,
                      pattern=b.partition)
        if pb or pr:
            y = g.crop(y, "attn.crop", (h, w))
    return y


def trace(b: MMB, g: GraphBuilder, x: Tensor) -> Tensor:
    shortcut = x
    with g.part("pre_norm", operator="pre_norm"):
        x = g.norm(x, "pre_norm", b.pre_norm)
    x = _attention(b, g, x) if b.f == "attn" else _expand(b, g, x)
    if b.has_dw:
        with g.part("dw_k", width="out"):
            y = trace_conv(g, x, "dw", out=b.mid, k=b.dw_k, stride=b.stride, padding=b.padding,
                           dilation=b.dilation, groups=b.groups, bias=False, mix=b.dw_mix)
        with g.part("dw_norm", operator="dw_norm"):
            y = g.norm(y, "dw_norm", b.dw_norm)
        with g.part("dw_act", operator="dw_act"):
            y = g.act(y, "dw_act", b.dw_act)
    else:
        y = x
    if b.se_ch:
        y = trace_squeeze_excite(g, y, se_ch=b.se_ch, act=b.se_act, act_field="se_act",
                                 gate=b.se_gate)
    if b.dw_skip:
        with g.part("dw_skip", operator="dw_skip"):
            x = g.add(x, y, "dw_skip")
    else:
        x = y
    with g.part("out"):
        x = trace_conv(g, x, "proj", out=b.out_ch, k=1, stride=1, padding=0, dilation=1,
                       groups=1, bias=b.proj_bias, mix=b.proj_mix)
    with g.part("proj_norm", operator="proj_norm"):
        x = g.norm(x, "proj_norm", b.proj_norm)
    with g.part("proj_act", operator="proj_act"):
        x = g.act(x, "proj_act", b.proj_act)
    if b.skip:
        with g.part("skip", operator="skip"):
            x = g.add(shortcut, x, "skip")
    with g.part("post_act", operator="post_act"):
        return g.act(x, "post_act", b.post_act)


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H', W') from ``out`` and the spatial conv's ``dw_k``, ``stride``, ``dilation``; an
    ``f: ffn`` block keeps the map size (see Family.shape)."""
    if ctx.in_hw is None or not {"out", "f", "dw_k", "stride", "dilation", "scaling"} <= f.keys():
        return None
    hw = list(ctx.in_hw)
    if f["f"] != "ffn":
        hw = map_size(ctx.in_hw, f["dw_k"], f["stride"], f["dilation"])
    return (ctx.width("out", f["out"], f["scaling"]), *hw) if min(hw) >= 1 else None


EXAMPLE = """\
- {block: mmb, out: 24, exp: 6, dw_k: 3, stride: 2, expand_act: relu6, dw_act: relu6}   # MobileNetV2
- {block: mmb, out: 24, exp: 3, f: attn, window: 4, dim_head: 8, pre_norm: bn}         # iRMB
- {block: mmb, out: 40, exp: 6, dw_k: [3, 5], expand_split: 2, proj_split: 2, se: 0.5,
   se_base: in, expand_act: silu, dw_act: silu, se_act: silu}                          # MixNet
- {block: mmb, out: 40, exp: 6, dw_k: 5, mid_round: divisible, se: 0.25, se_base: in,
   expand_act: silu, dw_act: silu, se_act: silu}                                       # EfficientNet
"""

FAMILY = register(Family("mmb", MMBSpec, resolve, trace, MMB, "Meta Mobile Block", shape=shape,
                         example=EXAMPLE))
