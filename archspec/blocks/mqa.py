"""``mqa``: MobileNetV4's Mobile MQA (Qin et al., ECCV 2024, §4), as timm's
``MultiQueryAttention2d`` computes it.

Multi-query attention (Shazeer 2019): ``heads`` query heads share one key head and one value
head, so the keys and values are one ``dim_head``-channel 1×1 projection each. MobileNetV4 also
shrinks the key/value map by a strided depthwise conv + norm (``kv_stride``), on the keys and the
values separately. The block is the attention alone: the hybrids wrap it as
``{block: residual, blocks: [{block: norm}, {block: mqa}], layer_scale: 1e-5}`` (timm's
``MobileAttention``). Data flow (per image, C = in, N = H·W, M = H'·W' the key/value map,
d = dim_head)::

    q = query(x)                      # 1×1, C → heads·d; rows: heads·N × d
    k = key(norm(key_down(x)))        # depthwise k×k at kv_stride + norm; 1×1, C → d: M × d
    v = value(norm(value_down(x)))    # the same, with its own weights: M × d
    o = softmax(q·kᵀ·d^-0.5)·v        # every head's rows against the one key: heads·N × d
    y = output(o)                     # 1×1, heads·d → out (channels head-major)

Without ``kv_stride`` (1) the keys and values are projected from x directly. With
``query_stride`` s > 1 the queries come from an s×s average pool + norm of x (N = H·W / s²), and
the attention's output is upsampled back (bilinear) before ``output``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from archspec.blocks.attention import trace_attention
from archspec.blocks.base import (
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
from archspec.core.shapes import conv_out

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class MQASpec(BlockModel):
    """Multi-query attention over the whole map, keys and values optionally downsampled."""

    block: Literal["mqa"]
    out: Width = Field(description="Output channels (scaled by the width multiplier).")
    heads: PosInt = Field(description="Query heads; the key and the value have one head each, "
                          "shared by every query head.")
    dim_head: PosInt = Field(
        description="Channels per head, of the queries, the key and the value (timm's `key_dim` "
        "= `value_dim`); absolute: the width multiplier does not scale it.")
    kv_stride: PosInt = Field(
        1, description="Stride of the depthwise conv + norm that downsamples the map of the keys "
        "and of the values (one conv each); 1: no such conv.")
    kv_dw_k: PosInt = Field(
        3, description="Kernel of the key/value downsampling convs (used when `kv_stride` > 1); "
        "padding ((kv_stride − 1) + (kv_dw_k − 1)) // 2, timm's.")
    query_stride: PosInt = Field(
        1, description="Average-pool the map by this factor (kernel = stride) and normalise it "
        "before the query projection, and upsample the output back (bilinear) before the "
        "output projection; 1: neither. Must divide the map (E154).")
    norm: NormField = Field("bn", description="Norm after each key/value downsampling conv "
                            "and after the query's pooling.")
    bias: bool = Field(False, description="Bias on the four 1×1 projections.")


@dataclass(frozen=True, kw_only=True)
class MQA(ResolvedBlock):
    family = "mqa"
    heads: int
    dim_head: int
    kv_stride: int
    kv_dw_k: int | None  # None: no downsampling conv (kv_stride 1)
    kv_padding: int
    kv_hw: tuple[int, int]  # the key/value map H'×W'
    query_stride: int
    norm: Norm
    bias: bool


def kv_padding(k: int, stride: int) -> int:
    """timm's symmetric padding of a strided conv (``get_padding``)."""
    return ((stride - 1) + (k - 1)) // 2


def kv_map(hw: tuple[int, int], *, kv_stride: int, kv_dw_k: int) -> tuple[int, int]:
    """The key/value map after the downsampling conv (the input map when kv_stride is 1)."""
    if kv_stride == 1:
        return hw
    pad = kv_padding(kv_dw_k, kv_stride)
    return conv_out(hw[0], kv_dw_k, kv_stride, pad), conv_out(hw[1], kv_dw_k, kv_stride, pad)


def resolve(spec: MQASpec, ctx: ResolveContext) -> MQA | None:
    hw = ctx.spatial()
    if hw is None:
        return None
    out = ctx.width("out", spec.out, spec.scaling)
    qs = spec.query_stride
    if hw[0] % qs or hw[1] % qs:
        ctx.fail("E154", f"query_stride {qs} does not divide the {hw[0]}×{hw[1]} map: the "
                 "upsampled output would not have the input's size", "query_stride",
                 fix="use a query_stride that divides the map, or 1")
        return None
    kv_hw = kv_map(hw, kv_stride=spec.kv_stride, kv_dw_k=spec.kv_dw_k)
    assert min(kv_hw) >= 1, "padding ((s - 1) + (k - 1)) // 2 keeps every map at least 1×1"
    down = spec.kv_stride > 1
    return MQA(
        in_shape=ctx.in_shape, out_shape=(out, *hw), origin=ctx.origin, heads=spec.heads,
        dim_head=spec.dim_head, kv_stride=spec.kv_stride, kv_dw_k=spec.kv_dw_k if down else None,
        kv_padding=kv_padding(spec.kv_dw_k, spec.kv_stride) if down else 0, kv_hw=kv_hw,
        query_stride=qs, norm=resolve_norm(spec.norm), bias=spec.bias,
    )


# ---------------------------------------------------------------------------------- tracing


def _kv(b: MQA, g: GraphBuilder, x: Tensor, name: str) -> Tensor:
    """A key or value: (downsampling depthwise conv + norm), then the 1×1 to one head."""
    if b.kv_dw_k is not None:
        with g.part("kv_stride", k="kv_dw_k"):
            x = g.conv(x, f"{name}_down", out=x.ch, k=b.kv_dw_k, stride=b.kv_stride,
                       padding=b.kv_padding, groups=x.ch)
        with g.part("norm", operator="norm"):
            x = g.norm(x, f"{name}_norm", b.norm)
    with g.part("dim_head"):
        return g.conv(x, name, out=b.dim_head, bias=b.bias)


def trace(b: MQA, g: GraphBuilder, x: Tensor) -> Tensor:
    """Multi-query attention as explicit ops: the attention matmuls carry its geometry
    (``window`` None: global; ``map``, ``kv_map``, ``heads``, ``dim_head``)."""
    h, w = b.in_hw
    qs = b.query_stride
    qh, qw = h // qs, w // qs
    n, m = qh * qw, b.kv_hw[0] * b.kv_hw[1]
    d, heads = b.dim_head, b.heads
    geometry = {"window": None, "map": (qh, qw), "kv_map": b.kv_hw, "heads": heads,
                "dim_head": d}
    xq = x
    if qs > 1:
        with g.part("query_stride"):
            xq = g.pool(x, "query_pool", mode="avg", k=qs, stride=qs)
        with g.part("norm", operator="norm"):
            xq = g.norm(xq, "query_norm", b.norm)
    with g.part("heads", width="dim_head"):
        q = g.conv(xq, "query", out=heads * d, bias=b.bias)
    k = _kv(b, g, x, "key")
    v = _kv(b, g, x, "value")
    with g.part("heads"):
        q = g.reshape(q, "attn.q_heads", (1, heads * n, d), copy=True)  # every head's rows
        k = g.reshape(k, "attn.k_rows", (1, m, d), copy=False)  # d × M channels-first: a view
        v = g.reshape(v, "attn.v_rows", (1, m, d), copy=False)
        o = trace_attention(g, q, k, v, "attn", dim_head=d, geometry=geometry)
        o = g.reshape(o, "attn.merge_heads", (heads * d, qh, qw), copy=True)
    if qs > 1:
        with g.part("query_stride"):
            o = g.resize(o, "upsample", (h, w), mode="bilinear")
    with g.part("out"):
        return g.conv(o, "output", out=b.out_ch, bias=b.bias)


def shape(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out, H, W): the attention keeps the map (see Family.shape)."""
    if ctx.in_hw is None or not {"out", "scaling", "query_stride"} <= f.keys():
        return None
    if ctx.in_hw[0] % f["query_stride"] or ctx.in_hw[1] % f["query_stride"]:
        return None
    return (ctx.width("out", f["out"], f["scaling"]), *ctx.in_hw)


EXAMPLE = """\
- {block: mqa, out: 16, heads: 4, dim_head: 8, kv_stride: 2}    # keys/values on a 16×16 map
- {block: residual, layer_scale: 1.0e-5, blocks: [{block: norm, norm: bn},
    {block: mqa, out: 16, heads: 2, dim_head: 8}]}              # MobileNetV4's Mobile MQA
"""

FAMILY = register(Family("mqa", MQASpec, resolve, trace, MQA, "Mobile multi-query attention",
                         shape=shape, example=EXAMPLE))
