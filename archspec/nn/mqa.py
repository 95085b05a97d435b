"""``mqa``: MobileNetV4's Mobile MQA as a torch module.

Computes what :func:`archspec.blocks.mqa.trace` describes::

    q = query(x)                       # (s×s average pool + norm), 1×1: b (heads d) h/s w/s
    k = key(x)                         # (k×k depthwise, kv_stride + norm) → 1×1: b d h' w'
    v = value(x)                       # the same, its own weights
    o = softmax(q·kᵀ·d^-0.5)·v         # every query head against the one key/value head
    y = output(upsample(o))            # bilinear ×s (with query_stride); 1×1 → b out h w

Submodules are registered in that order (each key/value unit down conv → norm → 1×1), so the
state_dict of timm's ``MultiQueryAttention2d`` (query, key, value, output) lines up with ours by
position. Attention runs through ``scaled_dot_product_attention`` by default, all heads as one
batch of rows against the shared key (multi-query needs no head axis on k and v); ``attention_impl
= "explicit"`` (:func:`archspec.nn.set_attention_impl`) computes it with plain matmuls, which
FlopCounterMode counts.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from archspec.blocks.mqa import MQA
from archspec.nn.conv import ConvNormAct
from archspec.nn.layers import make_norm, parts
from archspec.nn.mmb import AttentionImpl
from archspec.nn.registry import register


class KeyValue(nn.Sequential):
    """One key or value head: ``down`` (depthwise conv + norm, absent without kv_stride), then
    the 1×1 ``proj`` to ``dim_head`` channels."""

    def __init__(self, b: MQA):
        down: nn.Module = nn.Identity()  # absent: parts() leaves it out
        if b.kv_dw_k is not None:
            down = ConvNormAct(in_ch=b.in_ch, out=b.in_ch, k=b.kv_dw_k, stride=b.kv_stride,
                               padding=b.kv_padding, groups=b.in_ch, dilation=1, bias=False,
                               norm=b.norm, act="none")
        super().__init__(parts(down=down, proj=nn.Conv2d(b.in_ch, b.dim_head, 1, bias=b.bias)))


@register("mqa")
class MultiQueryAttention(nn.Module):
    attention_impl: AttentionImpl

    def __init__(self, block: MQA):
        super().__init__()
        b = block
        self.heads, self.dim_head = b.heads, b.dim_head
        self.scale = b.dim_head**-0.5
        self.attention_impl = "sdpa"
        self.query_stride = b.query_stride
        pooled = b.query_stride > 1  # pool → norm → proj, as timm's query Sequential
        self.query = nn.Sequential(parts(
            pool=nn.AvgPool2d(b.query_stride) if pooled else nn.Identity(),
            norm=make_norm(b.norm, b.in_ch) if pooled else nn.Identity(),
            proj=nn.Conv2d(b.in_ch, b.heads * b.dim_head, 1, bias=b.bias)))
        self.key = KeyValue(b)
        self.value = KeyValue(b)
        self.output = nn.Conv2d(b.heads * b.dim_head, b.out_ch, 1, bias=b.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bs, _, h, w = x.shape
        d, qs = self.dim_head, self.query_stride
        h, w = h // qs, w // qs  # the queries' map
        q = self.query(x).view(bs, self.heads, d, h * w).transpose(-2, -1)  # b heads n d
        q = q.reshape(bs, 1, self.heads * h * w, d)  # b 1 (heads n) d
        k = self.key(x).flatten(2).transpose(-2, -1).unsqueeze(1)  # b 1 m d
        v = self.value(x).flatten(2).transpose(-2, -1).unsqueeze(1)  # b 1 m d
        if self.attention_impl == "sdpa":
            o = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        else:
            o = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1) @ v
        o = o.view(bs, self.heads, h * w, d).transpose(-2, -1).reshape(bs, self.heads * d, h, w)
        if qs > 1:  # b (heads d) h w → b (heads d) (h qs) (w qs)
            o = F.interpolate(o, scale_factor=(qs, qs), mode="bilinear", align_corners=False)
        out: torch.Tensor = self.output(o)  # b out h w
        return out

    def extra_repr(self) -> str:
        return f"heads={self.heads}, dim_head={self.dim_head}, impl={self.attention_impl}"
