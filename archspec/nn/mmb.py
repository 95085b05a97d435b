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
from archspec.nn.conv import ConvNormAct
from archspec.nn.layers import DropPath, SqueezeExcite, make_act, make_norm
from archspec.nn.registry import register

AttentionImpl = Literal["sdpa", "explicit"]


# --------------------------------------------------------------------------- window partitions
# Each docstring is the einops pattern; the reshapes are written out because einops.rearrange
# made EMO ~2 % slower at batch 1 (docs/decisions/0020); tests/nn/test_mmb.py checks them
# against einops.


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


# --------------------------------------------------------------------------- the block


@register("mmb")
class MetaMobileBlock(nn.Module):
    """Absent parts (no pre_norm, no expand, no dw for ffn, no SE, no skip, no post_act) are
    ``None``, not Identity modules: the forward pass costs nothing for them."""

    attention_impl: AttentionImpl

    def __init__(self, block: MMB):
        super().__init__()
        b = block
        if b.f not in ("dwconv", "attn", "ffn"):
            raise ValueError(f"unknown operator f={b.f!r}")
        self.f, self.skip, self.dw_skip = b.f, b.skip, b.dw_skip
        self.pre_norm = make_norm(b.pre_norm, b.in_ch) if b.pre_norm.present else None
        if b.f == "attn":
            if b.partition not in PARTITIONS:
                raise ValueError(f"unknown partition {b.partition!r}")
            self.partition, self.window = b.partition, b.window  # None: the whole map
            self.heads, self.dim_head, self.attn_pre = b.heads, b.dim_head, b.attn_pre
            self.scale = b.dim_head**-0.5
            self.attention_impl = "sdpa"
            self.qk = nn.Conv2d(b.in_ch, 2 * b.in_ch, 1, bias=b.qkv_bias)  # (qk heads dim_head)
        self.expand = ConvNormAct(
            in_ch=b.in_ch, out=b.mid, k=1, stride=1, padding=0, dilation=1, bias=b.expand_bias,
            groups=b.heads if (b.v_group and b.f == "attn") else 1, norm=b.expand_norm,
            act=b.expand_act, mix=b.expand_mix,
        ) if b.expand else None
        self.dw = ConvNormAct(
            in_ch=b.mid, out=b.mid, k=b.dw_k, stride=b.stride, padding=b.padding,
            dilation=b.dilation, groups=b.groups, bias=False, norm=b.dw_norm, act=b.dw_act,
            mix=b.dw_mix,
        ) if b.f != "ffn" else None
        self.se = SqueezeExcite(ch=b.mid, se_ch=b.se_ch, act=b.se_act,
                                gate=b.se_gate) if b.se_ch else None
        self.proj = ConvNormAct(in_ch=b.mid, out=b.out_ch, k=1, stride=1, padding=0, dilation=1,
                                groups=1, bias=b.proj_bias, norm=b.proj_norm, act=b.proj_act,
                                mix=b.proj_mix)
        self.drop_path = DropPath(b.drop_path) if (b.skip and b.drop_path > 0) else None
        # proj's output (a conv or norm output unless proj_act is set) is needed by no backward
        self.add_inplace = b.proj_act == "none"
        self.post_act = make_act(b.post_act, inplace=True) if b.post_act != "none" else None

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """softmax(q·kᵀ·scale)·v over (b', heads, tokens, dim) tensors; v's dim may differ."""
        if self.attention_impl == "sdpa":
            return F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        attn = (q @ k.transpose(-2, -1)) * self.scale  # b' heads t t
        out: torch.Tensor = attn.softmax(dim=-1) @ v
        return out

    def _attention(self, x: torch.Tensor) -> torch.Tensor:
        """Windowed MHSA: pad right/bottom (no mask), partition, attend, reverse, crop."""
        _, c, h, w = x.shape
        wh, ww = (h, w) if self.window is None else (self.window, self.window)
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
    """Switch every attention module of ``model`` (mmb, transformer) to ``sdpa`` or
    ``explicit`` matmuls."""
    if impl not in get_args(AttentionImpl):
        raise ValueError(f"attention impl must be one of {get_args(AttentionImpl)}, got {impl!r}")
    for m in model.modules():  # every attention module keeps its choice in `attention_impl`
        if getattr(m, "attention_impl", None) is not None:
            setattr(m, "attention_impl", impl)  # noqa: B010 (any module's attribute)
    return model
