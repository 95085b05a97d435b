"""``transformer``: pre-norm transformer layers on a feature map, without a spatial conv (ViT's
encoder layer, Dosovitskiy et al., ICLR 2021, applied to groups of a map's positions).

The map's positions are grouped into token sequences by a ``partition``, ``depth`` layers run on
every sequence, and the tokens go back to their positions::

    unfold   patch p: the map cut into p×p patches; one sequence per position inside a patch,
             made of that position in every patch (MobileViT's unfold, Mehta & Rastegari 2022)
    grid     window M: M×M windows of positions spaced H/M apart (dilated; MaxViT's grid)
    window   window M: contiguous M×M windows (Swin, MaxViT's block attention)
    global   one sequence: the whole map

A map that the patch or window does not tile is resized (bilinear, align_corners false) up to
the next multiple before the partition and back to its size after the fold, as timm's
``MobileVitBlock`` does; nothing is padded. Data flow (per image, C = in = out, T tokens)::

    x = resize(x) if needed; x = partition(x)                  # sequences of T tokens of C
    repeat depth:
        x = x + ls1 · proj(attention(qkv(norm1(x))))         # heads × dim_head, fused qkv
        x = x + ls2 · fc2(act(fc1(norm2(x))))                 # hidden = int(C · mlp_ratio)
    x = final_norm(x); x = fold(x); x = resize back if resized

Why ``depth`` and ``final_norm`` live in the block rather than in a stage of one-layer blocks:
timm's MobileViT resizes once around the whole stack and normalises once after it, so the
sequence of layers is one unit; a stage of single layers would resize, unfold and fold around
every layer (wrong numbers at 224², where 7×7 maps do not tile 2×2 patches) and would need a
norm block on token features between the last layer and the fold. With ``depth`` the layers
share one partition and the final norm sits where timm's ``MobileVitBlock.norm`` is.

Attention is traced as explicit ops (q·kᵀ, scale, softmax, ·v) by the tracer the `mmb`
family uses (archspec/blocks/attention.py); the matmuls carry the attention's geometry, so
window rules read it. The token linears are traced as 1×1 convs on the partitioned map (same
multiply-adds and parameters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from archspec.blocks.attention import trace_attention
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
from archspec.core.norm import Norm
from archspec.diagnostics import show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor

Partition = Literal["unfold", "grid", "window", "global"]

#: The layout of the partition copy (the graph's reshape ``pattern``, what calibration rebuilds):
#: an unfold is a grid partition whose windows number p×p.
LAYOUT: Mapping[str, str] = {"unfold": "grid", "grid": "grid", "window": "local",
                             "global": "global"}


class TransformerSpec(BlockModel):
    """Pre-norm transformer layers over a partition of the map; keeps the shape. Give ``heads``,
    ``dim_head`` or both."""

    block: Literal["transformer"]
    depth: PosInt = Field(1, description="Transformer layers in the block (one partition and one "
                          "resize around all of them).")
    partition: Partition = Field(
        "global", description="How positions form sequences: `unfold` (MobileViT: one sequence "
        "per position inside a `patch`×`patch` patch), `grid` (dilated `window`×`window` "
        "windows), `window` (contiguous windows), `global` (the whole map).")
    patch: PosInt = Field(2, description="Patch side of an `unfold` partition.")
    window: PosInt = Field(7, description="Window side of a `grid` or `window` partition.")
    heads: Width | None = Field(None, description="Attention heads; with `dim_head` unset, "
                                "dim_head = in / heads.")
    dim_head: Width | None = Field(None, description="Channels per head; with `heads` unset, "
                                   "heads = in / dim_head.")
    qkv_bias: bool = Field(True, description="Bias on the fused q/k/v linear.")
    proj_bias: bool = Field(True, description="Bias on the attention's output projection and "
                            "on the MLP's two linears.")
    mlp_ratio: Annotated[float, Field(gt=0, le=64)] = Field(
        4.0, description="MLP hidden width = int(in · mlp_ratio) (timm's rounding).")
    act: ActName = Field("gelu", description="Activation inside the MLP.")
    norm: NormField = Field("ln", description="The pre-norms (LayerNorm over token features: "
                            "`ln`, or `none`); eps defaults to PyTorch's 1e-5 (timm's ViT "
                            "uses 1e-6).")
    final_norm: bool = Field(False, description="A norm after the last layer, before the fold "
                             "(MobileViT).")
    layer_scale: Annotated[float, Field(gt=0, le=1e3)] | None = Field(
        None, description="Initial value of per-channel scales γ on both residual branches of "
        "every layer (CaiT's LayerScale); unset: none.")

    @model_validator(mode="after")
    def _heads_and_norm(self) -> TransformerSpec:
        if self.heads is None and self.dim_head is None:
            raise ValueError("give `heads`, `dim_head`, or both")
        kind = self.norm if isinstance(self.norm, str) else self.norm.type
        if kind == "bn":
            raise ValueError("a transformer's norm is over token features: `ln` or `none`")
        return self


@dataclass(frozen=True, kw_only=True)
class Transformer(ResolvedBlock):
    family = "transformer"
    depth: int
    partition: str
    patch: int | None  # unfold only
    window: int | None  # grid and window only
    heads: int
    dim_head: int
    qkv_bias: bool
    proj_bias: bool
    hidden: int  # the MLP's hidden width
    act: str
    norm: Norm
    final_norm: bool
    layer_scale: float | None

    @property
    def attn_ch(self) -> int:
        return self.heads * self.dim_head


@dataclass(frozen=True)
class Geometry:
    """How a block partitions an H×W map: the map it resizes to (its own size when it tiles),
    the window (tokens per sequence, h×w) and the number of windows (n1×n2)."""

    map: tuple[int, int]
    window: tuple[int, int]
    windows: tuple[int, int]


def geometry(partition: str, tile: int | None, hw: tuple[int, int]) -> Geometry:
    """The partition of an H×W map (``tile``: the patch of an unfold, the window otherwise)."""
    if partition == "global" or tile is None:
        return Geometry(hw, hw, (1, 1))
    size = (math.ceil(hw[0] / tile) * tile, math.ceil(hw[1] / tile) * tile)
    if partition == "unfold":  # p×p sequences of H'/p × W'/p tokens
        return Geometry(size, (size[0] // tile, size[1] // tile), (tile, tile))
    return Geometry(size, (tile, tile), (size[0] // tile, size[1] // tile))


def _heads(spec: TransformerSpec, ctx: ResolveContext) -> tuple[int, int] | None:
    c = ctx.in_ch
    if spec.heads is not None and spec.dim_head is not None:
        return spec.heads, spec.dim_head
    if spec.heads is not None:
        dim_head, rem = divmod(c, spec.heads)
        if rem or not dim_head:
            ctx.fail("E157", f"{c} channels do not split into {spec.heads} heads", "heads",
                     expected=f"a divisor of {c}", fix="change `heads`, or give `dim_head` too")
            return None
        return spec.heads, dim_head
    assert spec.dim_head is not None
    heads, rem = divmod(c, spec.dim_head)
    if rem or not heads:
        ctx.fail("E157", f"{c} channels are not a multiple of dim_head={spec.dim_head}",
                 "dim_head", expected=f"a divisor of {c}",
                 fix="change `dim_head`, or give `heads` too")
        return None
    return heads, spec.dim_head


def resolve(spec: TransformerSpec, ctx: ResolveContext) -> Transformer | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    heads = _heads(spec, ctx)
    tile_field = "patch" if spec.partition == "unfold" else "window"
    tile = None if spec.partition == "global" else getattr(spec, tile_field)
    ok = heads is not None
    if tile is not None and tile > min(hw):
        ctx.fail("E158", f"{tile_field} {tile} is larger than the {hw[0]}×{hw[1]} map (it "
                 f"would be upsampled to fit one {tile_field})", tile_field,
                 expected=f"at most {min(hw)}", fix="use `partition: global` on a map this small")
        ok = False
    if not ok or heads is None:
        return None
    raw = ctx.in_ch * spec.mlp_ratio
    hidden = int(raw)
    ctx.record("mlp_ratio", raw, hidden, f"int(in·mlp_ratio): {ctx.in_ch}×"
               f"{show_figure(spec.mlp_ratio)} = {show_figure(raw)}")
    if hidden < 1:
        ctx.fail("E122", f"the MLP's hidden width rounds to {hidden}", "mlp_ratio",
                 expected="in · mlp_ratio ≥ 1", fix="raise `mlp_ratio`")
        return None
    return Transformer(
        in_shape=ctx.in_shape, out_shape=ctx.in_shape, origin=ctx.origin, depth=spec.depth,
        partition=spec.partition, patch=tile if spec.partition == "unfold" else None,
        window=tile if spec.partition in ("grid", "window") else None, heads=heads[0],
        dim_head=heads[1], qkv_bias=spec.qkv_bias, proj_bias=spec.proj_bias, hidden=hidden,
        act=spec.act, norm=resolve_norm(spec.norm), final_norm=spec.final_norm,
        layer_scale=spec.layer_scale,
    )


# ---------------------------------------------------------------------------------- tracing


def _residual(b: Transformer, g: GraphBuilder, x: Tensor, y: Tensor, name: str) -> Tensor:
    if b.layer_scale is not None:
        with g.part("layer_scale"):
            y = g.scale(y, f"{name}.ls", b.layer_scale, learnable=x.shape[-3])
    with g.part("depth"):
        return g.add(x, y, f"{name}.add")


def _attention(b: Transformer, g: GraphBuilder, x: Tensor, name: str,
               geo: dict[str, Any]) -> Tensor:
    nw, c, wh, ww = x.shape
    t, n = wh * ww, nw * b.heads
    with g.part("heads", "dim_head", window=("window", "patch", "partition"),
                partition=("partition",)):
        qkv = g.conv(x, f"{name}.qkv", out=3 * b.attn_ch, bias=b.qkv_bias)
        qkv = g.reshape(qkv, f"{name}.qkv_heads", (3 * n, t, b.dim_head), copy=True)
        q, k, v = g.split(qkv, f"{name}.qkv_split", [n, n, n])
        y = trace_attention(g, q, k, v, name, dim_head=b.dim_head, geometry=geo)
        y = g.reshape(y, f"{name}.merge_heads", (nw, b.attn_ch, wh, ww), copy=True)
        return g.conv(y, f"{name}.proj", out=c, bias=b.proj_bias)


def _mlp(b: Transformer, g: GraphBuilder, x: Tensor, name: str) -> Tensor:
    with g.part("mlp_ratio"):
        y = g.conv(x, f"{name}.fc1", out=b.hidden, bias=b.proj_bias)
    with g.part("act", operator="act"):
        y = g.act(y, f"{name}.act", b.act)
    with g.part("mlp_ratio"):
        return g.conv(y, f"{name}.fc2", out=x.shape[-3], bias=b.proj_bias)


def trace(b: Transformer, g: GraphBuilder, x: Tensor) -> Tensor:
    c, h, w = x.shape
    tile = b.patch if b.partition == "unfold" else b.window
    geo = geometry(b.partition, tile, (h, w))
    (mh, mw), (wh, ww), (n1, n2) = geo.map, geo.window, geo.windows
    nw = n1 * n2
    attrs = {"window": None if b.partition == "global" else (wh, ww), "map": (mh, mw),
             "padding": (0, 0), "windows": (n1, n2), "heads": b.heads, "dim_head": b.dim_head}
    with g.part("partition", "patch", "window"):
        if (mh, mw) != (h, w):
            x = g.resize(x, "resize", (mh, mw))
        # tokens last (b c H W -> (b n1 n2) (wh ww) c) is a layout copy even for one window
        x = g.reshape(x, "partition", (nw, c, wh, ww), copy=True, pattern=LAYOUT[b.partition])
    for i in range(b.depth):
        with g.part("norm", operator="norm"):
            y = g.norm(x, f"layers.{i}.norm1", b.norm)
        x = _residual(b, g, x, _attention(b, g, y, f"layers.{i}.attn", attrs),
                      f"layers.{i}.attn")
        with g.part("norm", operator="norm"):
            y = g.norm(x, f"layers.{i}.norm2", b.norm)
        x = _residual(b, g, x, _mlp(b, g, y, f"layers.{i}.mlp"), f"layers.{i}.mlp")
    if b.final_norm:
        with g.part("final_norm", operator="norm"):
            x = g.norm(x, "norm", b.norm)
    with g.part("partition", "patch", "window"):
        x = g.reshape(x, "fold", (c, mh, mw), copy=True, pattern=LAYOUT[b.partition])
        if (mh, mw) != (h, w):
            x = g.resize(x, "resize_back", (h, w))
    return x


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """The input's shape: the block keeps it (see Family.shape)."""
    return ctx.in_shape


EXAMPLE = """\
- {block: transformer, depth: 2, partition: unfold, patch: 2, heads: 4, mlp_ratio: 2, act: silu, final_norm: true}   # MobileViT
- {block: transformer, partition: window, window: 4, dim_head: 8, norm: {type: ln, eps: 1.0e-6}, layer_scale: 1.0e-5}
"""

FAMILY = register(Family("transformer", TransformerSpec, resolve, trace, Transformer,
                         "Transformer layers", shape=shape, example=EXAMPLE))
