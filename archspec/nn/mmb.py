"""``mmb``: the Meta Mobile Block of EMO (Zhang et al., ICCV 2023) as a torch module.

Computes what :func:`archspec.blocks.mmb.trace` describes::

    shortcut = x
    x = pre_norm(x)
    f=attn: x = window attention(x) with v = expand (C→M)
    else:   x = expand_act(expand_norm(expand(x)))
    y = se(dw_act(dw_norm(dw(x))))              # no dw for f=ffn
    x = x + y if dw_skip else y
    x = proj_act(proj_norm(proj(x)))
    x = shortcut + drop_path(x) if skip;  x = post_act(x)

Submodules are registered in the order pre_norm, qk, expand, dw, se, proj (each a conv → norm
→ act unit, conv first), so the state_dicts of EMO's iRMB (norm, qk, v, conv_local, se, proj), torchvision's
MobileNetV2 (expand, dw, proj) and MobileNetV3 (expand, dw, SE fc1/fc2, proj) line up by position.

Attention runs through ``scaled_dot_product_attention`` by default; ``attention_impl =
"explicit"`` (see :func:`set_attention_impl`) computes ``softmax(q·kᵀ·scale)·v`` with plain
matmuls, bit for bit as the official EMO code, and is what FlopCounterMode can count.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import nn

from archspec.blocks.mmb import MMB
from archspec.core.norm import Norm
from archspec.nn.conv import ConvNormAct
from archspec.nn.layers import DropPath, make_act, make_norm
from archspec.nn.registry import register

AttentionImpl = Literal["sdpa", "explicit"]


# --------------------------------------------------------------------------- window partitions


def grid_partition(x: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """``b c (h1 n1) (w1 n2) -> (b n1 n2) c h1 w1``: window (i, j) takes rows i, i + n1, …"""
    b, c, hp, wp = x.shape
    x = x.reshape(b, c, hp // n1, n1, wp // n2, n2).permute(0, 3, 5, 1, 2, 4)
    return x.reshape(b * n1 * n2, c, hp // n1, wp // n2).contiguous()


def grid_reverse(x: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """``(b n1 n2) c h1 w1 -> b c (h1 n1) (w1 n2)``."""
    bw, c, h1, w1 = x.shape
    x = x.reshape(bw // (n1 * n2), n1, n2, c, h1, w1).permute(0, 3, 4, 1, 5, 2)
    return x.reshape(bw // (n1 * n2), c, h1 * n1, w1 * n2)


def local_partition(x: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """``b c (n1 h1) (n2 w1) -> (b n1 n2) c h1 w1``: contiguous (Swin-style) windows."""
    b, c, hp, wp = x.shape
    x = x.reshape(b, c, n1, hp // n1, n2, wp // n2).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b * n1 * n2, c, hp // n1, wp // n2).contiguous()


def local_reverse(x: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """``(b n1 n2) c h1 w1 -> b c (n1 h1) (n2 w1)``."""
    bw, c, h1, w1 = x.shape
    x = x.reshape(bw // (n1 * n2), n1, n2, c, h1, w1).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(bw // (n1 * n2), c, n1 * h1, n2 * w1)


PARTITIONS = {"grid": (grid_partition, grid_reverse), "local": (local_partition, local_reverse),
              "global": (grid_partition, grid_reverse)}  # global: one window, any layout


# --------------------------------------------------------------------------- squeeze-excitation


class SqueezeExcite(nn.Module):
    """mean over H, W → reduce (1×1, bias) → act → expand (1×1, bias) → gate → rescale."""

    def __init__(self, *, ch: int, se_ch: int, act: str, gate: str):
        super().__init__()
        self.reduce = nn.Conv2d(ch, se_ch, 1, bias=True)
        self.act = make_act(act, inplace=True)
        self.expand = nn.Conv2d(se_ch, ch, 1, bias=True)
        self.gate = make_act(gate, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # b c 1 1
        s = self.gate(self.expand(self.act(self.reduce(s))))
        return x * s


# --------------------------------------------------------------------------- the block


@register("mmb")
class MetaMobileBlock(nn.Module):
    """Absent parts (no pre_norm, no expand, no dw for ffn, no SE, no skip, no post_act) are
    ``None``, not Identity modules: the forward pass costs nothing for them."""

    attention_impl: AttentionImpl

    def __init__(self, *, in_ch: int, out: int, mid: int, expand: bool, f: str, partition: str,
                 window: int, dim_head: int, heads: int, attn_pre: bool, v_group: bool,
                 qkv_bias: bool, dw_k: int, stride: int, dilation: int, groups: int,
                 padding: int, pre_norm: Norm, expand_norm: Norm, expand_act: str,
                 expand_bias: bool, dw_norm: Norm, dw_act: str, proj_norm: Norm, proj_act: str,
                 proj_bias: bool, se_ch: int, se_act: str, se_gate: str, skip: bool,
                 dw_skip: bool, post_act: str, drop_path: float):
        super().__init__()
        if f not in ("dwconv", "attn", "ffn"):
            raise ValueError(f"unknown operator f={f!r}")
        self.f, self.skip, self.dw_skip = f, skip, dw_skip
        self.pre_norm = make_norm(pre_norm, in_ch) if pre_norm.present else None
        if f == "attn":
            if partition not in PARTITIONS:
                raise ValueError(f"unknown partition {partition!r}")
            self.partition, self.window = partition, window  # window 0: the whole map
            self.heads, self.dim_head, self.attn_pre = heads, dim_head, attn_pre
            self.scale = dim_head**-0.5
            self.attention_impl = "sdpa"
            self.qk = nn.Conv2d(in_ch, 2 * in_ch, 1, bias=qkv_bias)  # channels (qk heads dim_head)
        self.expand = ConvNormAct(
            in_ch=in_ch, out=mid, k=1, stride=1, padding=0, dilation=1, bias=expand_bias,
            groups=heads if (v_group and f == "attn") else 1, norm=expand_norm, act=expand_act,
        ) if expand else None
        self.dw = ConvNormAct(
            in_ch=mid, out=mid, k=dw_k, stride=stride, padding=padding, dilation=dilation,
            groups=groups, bias=False, norm=dw_norm, act=dw_act,
        ) if f != "ffn" else None
        self.se = SqueezeExcite(ch=mid, se_ch=se_ch, act=se_act, gate=se_gate) if se_ch else None
        self.proj = ConvNormAct(in_ch=mid, out=out, k=1, stride=1, padding=0, dilation=1,
                                groups=1, bias=proj_bias, norm=proj_norm, act=proj_act)
        self.drop_path = DropPath(drop_path) if (skip and drop_path > 0) else None
        # proj's output (a conv or norm output unless proj_act is set) is needed by no backward
        self.add_inplace = proj_act == "none"
        self.post_act = make_act(post_act, inplace=True) if post_act != "none" else None

    @classmethod
    def from_resolved(cls, b: MMB) -> MetaMobileBlock:
        return cls(
            in_ch=b.in_ch, out=b.out_ch, mid=b.mid, expand=b.expand, f=b.f,
            partition=b.partition, window=b.window, dim_head=b.dim_head, heads=b.heads,
            attn_pre=b.attn_pre, v_group=b.v_group, qkv_bias=b.qkv_bias, dw_k=b.dw_k,
            stride=b.stride, dilation=b.dilation, groups=b.groups, padding=b.padding,
            pre_norm=b.pre_norm, expand_norm=b.expand_norm, expand_act=b.expand_act,
            expand_bias=b.expand_bias, dw_norm=b.dw_norm, dw_act=b.dw_act,
            proj_norm=b.proj_norm, proj_act=b.proj_act, proj_bias=b.proj_bias,
            se_ch=b.se_ch, se_act=b.se_act, se_gate=b.se_gate, skip=b.skip,
            dw_skip=b.dw_skip, post_act=b.post_act, drop_path=b.drop_path,
        )

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """softmax(q·kᵀ·scale)·v over (b', heads, tokens, dim) tensors; v's dim may differ."""
        if self.attention_impl == "sdpa":
            return F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        attn = (q @ k.transpose(-2, -1)) * self.scale  # b' heads t t
        return attn.softmax(dim=-1) @ v

    def _attention(self, x: torch.Tensor) -> torch.Tensor:
        """Windowed MHSA: pad right/bottom (no mask), partition, attend, reverse, crop."""
        _, c, h, w = x.shape
        wh, ww = (self.window, self.window) if self.window else (h, w)
        pb, pr = -h % wh, -w % ww
        if pb or pr:
            x = F.pad(x, (0, pr, 0, pb))
        n1, n2 = (h + pb) // wh, (w + pr) // ww
        partition, reverse = PARTITIONS[self.partition]
        x = partition(x, n1, n2)  # b' c wh ww, b' = b n1 n2
        b, t = x.shape[0], wh * ww
        qk = self.qk(x).view(b, 2, self.heads, self.dim_head, t).transpose(-2, -1)
        q, k = qk.unbind(1)  # b' heads t dim_head
        if self.attn_pre:  # attend on x itself, then v = expand
            v = x.view(b, self.heads, self.dim_head, t).transpose(-2, -1)
            y = self._attend(q, k, v).transpose(-2, -1).reshape(b, c, wh, ww)
            if self.expand is not None:
                y = self.expand(y)  # b' mid wh ww
        else:  # v = expand(x), split into heads
            v = self.expand(x) if self.expand is not None else x
            m = v.shape[1]
            v = v.view(b, self.heads, m // self.heads, t).transpose(-2, -1)
            y = self._attend(q, k, v).transpose(-2, -1).reshape(b, m, wh, ww)
        y = reverse(y, n1, n2)  # b mid h+pb w+pr
        if pb or pr:
            y = y[:, :, :h, :w].contiguous()
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        if self.pre_norm is not None:
            x = self.pre_norm(x)
        if self.f == "attn":
            x = self._attention(x)
        elif self.expand is not None:
            x = self.expand(x)  # b mid h w
        y = self.dw(x) if self.dw is not None else x
        if self.se is not None:
            y = self.se(y)
        x = x + y if self.dw_skip else y
        x = self.proj(x)  # b out h' w'
        if self.skip:
            if self.drop_path is not None:
                x = self.drop_path(x)
            x = x.add_(shortcut) if self.add_inplace else shortcut + x
        return self.post_act(x) if self.post_act is not None else x

    def extra_repr(self) -> str:
        if self.f != "attn":
            return f"f={self.f}, skip={self.skip}, dw_skip={self.dw_skip}"
        return (f"f=attn, partition={self.partition}, window={self.window}, "
                f"heads={self.heads}, attn_pre={self.attn_pre}, impl={self.attention_impl}, "
                f"skip={self.skip}, dw_skip={self.dw_skip}")


def set_attention_impl(model: nn.Module, impl: AttentionImpl) -> nn.Module:
    """Switch every attention block of ``model`` to ``sdpa`` or ``explicit`` matmuls."""
    if impl not in get_args(AttentionImpl):
        raise ValueError(f"attention impl must be one of {get_args(AttentionImpl)}, got {impl!r}")
    for m in model.modules():
        if isinstance(m, MetaMobileBlock) and m.f == "attn":
            m.attention_impl = impl
    return model
