"""``transformer``: pre-norm transformer layers on a partitioned map, as a torch module.

Computes what :func:`archspec.blocks.transformer.trace` describes::

    x = resize(x) if the partition does not tile the map   # bilinear, align_corners=False
    x = partition(x)                                       # b c H W -> (b n1 n2) (wh ww) c
    for layer in layers:
        x = x + ls1(attn(norm1(x)))                        # fused qkv, heads, proj
        x = x + ls2(mlp(norm2(x)))                         # fc1, act, fc2
    x = norm(x)                                            # final_norm
    x = fold(x); resize back                               # -> b c H W

Submodules are registered as timm's ``vision_transformer.Block`` registers them (norm1, attn.qkv,
attn.proj, ls1, norm2, mlp.fc1, mlp.fc2, ls2), the layers in order, then the final norm: the
state_dict of timm's MobileViT transformer stack (``transformer.N.…``, ``norm``) lines up by
position. The partition sizes are computed from the input at run time, as timm does.

Attention runs through ``scaled_dot_product_attention`` unless ``attention_impl`` is
``explicit`` (:func:`archspec.nn.mmb.set_attention_impl`), which FlopCounterMode can count.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from archspec.blocks.transformer import Transformer
from archspec.nn.layers import make_act
from archspec.nn.mmb import AttentionImpl
from archspec.nn.registry import register


def partition(x: torch.Tensor, layout: str, n1: int, n2: int) -> torch.Tensor:
    """``b c H W -> (b n1 n2) (wh ww) c``: contiguous windows for ``local``
    (``H = (n1 wh)``), dilated ones for ``grid`` (``H = (wh n1)``: window i takes rows i,
    i + n1, …; MobileViT's unfold with n1 = the patch side)."""
    b, c, h, w = x.shape
    wh, ww = h // n1, w // n2
    if layout == "local":
        x = x.reshape(b, c, n1, wh, n2, ww).permute(0, 2, 4, 3, 5, 1)
    else:
        x = x.reshape(b, c, wh, n1, ww, n2).permute(0, 3, 5, 2, 4, 1)
    return x.reshape(b * n1 * n2, wh * ww, c)


def fold(x: torch.Tensor, layout: str, n1: int, n2: int, hw: tuple[int, int]) -> torch.Tensor:
    """The inverse of :func:`partition`: ``(b n1 n2) (wh ww) c -> b c H W``."""
    bn, _, c = x.shape
    b, (h, w) = bn // (n1 * n2), hw
    wh, ww = h // n1, w // n2
    x = x.reshape(b, n1, n2, wh, ww, c)
    if layout == "local":
        x = x.permute(0, 5, 1, 3, 2, 4)  # b c n1 wh n2 ww
    else:
        x = x.permute(0, 5, 3, 1, 4, 2)  # b c wh n1 ww n2
    return x.reshape(b, c, h, w)


class Attention(nn.Module):
    """Multi-head self-attention over (b, t, c) tokens: fused qkv linear, output projection."""

    def __init__(self, b: Transformer):
        super().__init__()
        self.heads, self.dim_head = b.heads, b.dim_head
        self.scale = b.dim_head**-0.5
        self.qkv = nn.Linear(b.in_ch, 3 * b.attn_ch, bias=b.qkv_bias)
        self.proj = nn.Linear(b.attn_ch, b.in_ch, bias=b.proj_bias)

    def forward(self, x: torch.Tensor, impl: AttentionImpl) -> torch.Tensor:
        b, t, _ = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.dim_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # b heads t dim_head
        if impl == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        else:
            attn = (q @ k.transpose(-2, -1)) * self.scale  # b heads t t
            y = attn.softmax(dim=-1) @ v
        out: torch.Tensor = self.proj(y.transpose(1, 2).reshape(b, t, -1))  # b t c
        return out


class Mlp(nn.Module):
    def __init__(self, b: Transformer):
        super().__init__()
        self.fc1 = nn.Linear(b.in_ch, b.hidden, bias=b.proj_bias)
        self.act = make_act(b.act, inplace=True)
        self.fc2 = nn.Linear(b.hidden, b.in_ch, bias=b.proj_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc2(self.act(self.fc1(x)))
        return out


class LayerScale(nn.Module):
    """``x · γ`` over token features, one learnable γ per channel (timm's ``LayerScale``)."""

    def __init__(self, ch: int, init: float):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((ch,), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


def _norm(b: Transformer) -> nn.Module:
    return nn.LayerNorm(b.in_ch, eps=b.norm.eps) if b.norm.present else nn.Identity()


def _scale(b: Transformer) -> nn.Module:
    return LayerScale(b.in_ch, b.layer_scale) if b.layer_scale is not None else nn.Identity()


class Layer(nn.Module):
    """One pre-norm layer: attention and MLP, each on a residual branch."""

    def __init__(self, b: Transformer):
        super().__init__()
        self.norm1 = _norm(b)
        self.attn = Attention(b)
        self.ls1 = _scale(b)
        self.norm2 = _norm(b)
        self.mlp = Mlp(b)
        self.ls2 = _scale(b)

    def forward(self, x: torch.Tensor, impl: AttentionImpl) -> torch.Tensor:
        x = x + self.ls1(self.attn(self.norm1(x), impl))
        out: torch.Tensor = x + self.ls2(self.mlp(self.norm2(x)))
        return out


@register("transformer")
class TransformerBlock(nn.Module):
    attention_impl: AttentionImpl

    def __init__(self, block: Transformer):
        super().__init__()
        b = block
        self.partition = b.partition
        self.layout = {"unfold": "grid", "grid": "grid", "window": "local"}.get(b.partition, "")
        self.tile = b.patch if b.partition == "unfold" else b.window
        self.attention_impl = "sdpa"
        self.layers = nn.ModuleList(Layer(b) for _ in range(b.depth))
        self.norm = _norm(b) if b.final_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, h, w = x.shape
        if self.tile is None:  # global: one sequence of every position
            n1 = n2 = 1
            size = (h, w)
        else:
            size = (math.ceil(h / self.tile) * self.tile, math.ceil(w / self.tile) * self.tile)
            if self.partition == "unfold":  # p×p sequences
                n1 = n2 = self.tile
            else:
                n1, n2 = size[0] // self.tile, size[1] // self.tile
        if size != (h, w):
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        x = partition(x, self.layout or "grid", n1, n2)  # b' t c
        for layer in self.layers:
            x = layer(x, self.attention_impl)
        if self.norm is not None:
            x = self.norm(x)
        x = fold(x, self.layout or "grid", n1, n2, size)  # b c H' W'
        if size != (h, w):
            x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        return x

    def extra_repr(self) -> str:
        return f"partition={self.partition}, tile={self.tile}, impl={self.attention_impl}"
