"""Independent reference implementation of EMO (test oracle).

EMO: Zhang et al., "Rethinking Mobile Block for Efficient Attention-based Models", ICCV 2023.
Official code: github.com/zhangzjn/EMO, ``model/emo.py`` (constructors ``EMO_1M`` ... ``EMO_6M``).

This module rebuilds the four ImageNet variants so that

* the module tree, and therefore ``state_dict()`` key names, order and shapes, equals the
  official one (official checkpoints load with ``load_state_dict(..., strict=True)``);
* the forward math equals the official one in eval mode (train mode too, up to dropout and
  drop-path randomness);
* ``forward`` returns the logits tensor (the official model returns ``{'out': x, 'out_kd': x}``).

It is written from the paper and from the facts collected in
``shared/research/reference_nets.md`` section 1, and deliberately imports nothing from
``archspec``: it is the oracle the archspec builder is checked against.  Only torch is used.

Facts that matter for parity (all of them differ from "textbook" inverted residuals):

* Window attention uses a strided *grid* partition, ``b c (h1 n1) (w1 n2) -> (b n1 n2) c h1 w1``:
  window (i, j) holds rows i, i + n1, ... and columns j, j + n2, ...; zero padding is added on
  the right/bottom *after* the block's input norm and is not masked out of the softmax.
* ``attn_pre=True``: attention mixes the normed input itself (split into heads), and the
  v-projection (1x1 conv with bias + activation) runs after the attention.
* Non-first blocks have an inner residual around ``conv_local`` (+ SE) as well as the outer one.
* ``conv_local`` is always BatchNorm + SiLU, whatever the stage's norm and activation.
* ``proj`` has no bias; ``qk``/``v`` convs and the stem conv do.
* Every norm uses eps = 1e-6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["EMO_CONFIGS", "EmoConfig", "emo_reference"]


# --------------------------------------------------------------------------------------------
# Variant table (reference_nets.md section 1.1; official EMO_1M ... EMO_6M constructors)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EmoConfig:
    """One EMO variant; dim_heads matter only in attention stages (3 and 4)."""

    depths: tuple[int, int, int, int]
    embed_dims: tuple[int, int, int, int]
    exp_ratios: tuple[float, float, float, float]
    dim_heads: tuple[int, int, int, int]
    drop_path: float
    # shared by all four published variants
    stem_dim: int = 24
    norm_layers: tuple[str, str, str, str] = ("bn_2d", "bn_2d", "ln_2d", "ln_2d")
    act_layers: tuple[str, str, str, str] = ("silu", "silu", "gelu", "gelu")
    dw_kss: tuple[int, int, int, int] = (3, 3, 5, 5)
    se_ratios: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    window_sizes: tuple[int, int, int, int] = (7, 7, 7, 7)
    attn_ss: tuple[bool, bool, bool, bool] = (False, False, True, True)
    qkv_bias: bool = True
    attn_pre: bool = True
    attn_drop: float = 0.0
    drop: float = 0.0


EMO_CONFIGS: dict[str, EmoConfig] = {
    "emo_1m": EmoConfig(
        depths=(2, 2, 8, 3),
        embed_dims=(32, 48, 80, 168),
        exp_ratios=(2.0, 2.5, 3.0, 3.5),
        dim_heads=(16, 16, 20, 21),
        drop_path=0.04036,
    ),
    "emo_2m": EmoConfig(
        depths=(3, 3, 9, 3),
        embed_dims=(32, 48, 120, 200),
        exp_ratios=(2.0, 2.5, 3.0, 3.5),
        dim_heads=(16, 16, 20, 20),
        drop_path=0.05,
    ),
    "emo_5m": EmoConfig(
        depths=(3, 3, 9, 3),
        embed_dims=(48, 72, 160, 288),
        exp_ratios=(2.0, 3.0, 4.0, 4.0),
        dim_heads=(24, 24, 32, 32),
        drop_path=0.05,
    ),
    "emo_6m": EmoConfig(
        depths=(3, 3, 9, 3),
        embed_dims=(48, 72, 160, 320),
        exp_ratios=(2.0, 3.0, 4.0, 5.0),
        dim_heads=(16, 24, 20, 32),
        drop_path=0.05,
    ),
}

NORM_EPS = 1e-6


# --------------------------------------------------------------------------------------------
# Small layers
# --------------------------------------------------------------------------------------------


class LayerNorm2d(nn.Module):
    """LayerNorm over channels of an NCHW map (wrapped, so the state-dict key gains ``.norm``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=NORM_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1).contiguous()  # b c h w -> b h w c
        x = self.norm(x)
        return x.permute(0, 3, 1, 2).contiguous()  # b h w c -> b c h w


def make_norm(kind: str, channels: int) -> nn.Module:
    if kind == "bn_2d":
        return nn.BatchNorm2d(channels, eps=NORM_EPS)
    if kind == "ln_2d":
        return LayerNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


def make_act(kind: str) -> nn.Module:
    if kind == "silu":
        return nn.SiLU()
    if kind == "gelu":
        return nn.GELU()  # exact erf form
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown activation {kind!r}")


class ConvNormAct(nn.Module):
    """conv -> norm -> act, padding ceil((k - stride) / 2); keys ``conv``, ``norm``."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        *,
        k: int,
        stride: int = 1,
        groups: int = 1,
        bias: bool = False,
        norm: str = "bn_2d",
        act: str = "none",
    ) -> None:
        super().__init__()
        pad = math.ceil((k - stride) / 2)
        self.conv = nn.Conv2d(in_ch, out_ch, k, stride, pad, groups=groups, bias=bias)
        self.norm = make_norm(norm, out_ch)
        self.act = make_act(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation as timm's ``efficientnet_blocks.SqueezeExcite``.

    mean over H, W -> 1x1 conv (bias) -> act -> 1x1 conv (bias) -> sigmoid -> rescale.
    Reduced width is ``round(channels * ratio)``.
    """

    def __init__(self, channels: int, *, ratio: float, act: str) -> None:
        super().__init__()
        reduced = round(channels * ratio)
        self.conv_reduce = nn.Conv2d(channels, reduced, 1, bias=True)
        self.act1 = make_act(act)
        self.conv_expand = nn.Conv2d(reduced, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)  # b c 1 1
        s = self.conv_expand(self.act1(self.conv_reduce(s)))
        return x * torch.sigmoid(s)


class DropPath(nn.Module):
    """Stochastic depth per sample, surviving samples rescaled by 1 / keep."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask.div_(keep)


class StemPatchEmbed(nn.Module):
    """The official ``MSPatchEmb`` with one dilation: conv(bias) -> BN, no activation.

    Keys: ``convs.0.0`` (conv), ``convs.0.1`` (BN).
    """

    def __init__(self, in_ch: int, out_ch: int, *, k: int, stride: int, norm: str) -> None:
        super().__init__()
        pad = math.ceil((k - stride) / 2)
        self.convs = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Conv2d(in_ch, out_ch, k, stride, pad, bias=True),
                    make_norm(norm, out_ch),
                    nn.Identity(),
                )
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs[0](x)


# --------------------------------------------------------------------------------------------
# Window partition (strided grid, as the official einops pattern)
# --------------------------------------------------------------------------------------------


def grid_partition(x: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """b c (h1 n1) (w1 n2) -> (b n1 n2) c h1 w1."""
    b, c, hp, wp = x.shape
    h1, w1 = hp // n1, wp // n2
    x = x.reshape(b, c, h1, n1, w1, n2).permute(0, 3, 5, 1, 2, 4)  # b n1 n2 c h1 w1
    return x.reshape(b * n1 * n2, c, h1, w1).contiguous()  # NCHW strides even when n1 = n2 = 1


def grid_unpartition(x: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """(b n1 n2) c h1 w1 -> b c (h1 n1) (w1 n2)."""
    bw, c, h1, w1 = x.shape
    b = bw // (n1 * n2)
    x = x.reshape(b, n1, n2, c, h1, w1).permute(0, 3, 4, 1, 5, 2)  # b c h1 n1 w1 n2
    return x.reshape(b, c, h1 * n1, w1 * n2)


# --------------------------------------------------------------------------------------------
# Inverted Residual Mobile Block
# --------------------------------------------------------------------------------------------


class IRMB(nn.Module):
    """iRMB: [norm] -> (window attention + v | v) -> DW conv (+SE) [inner skip] -> proj [outer skip]."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        *,
        norm_in: bool,
        has_skip: bool,
        exp: float,
        norm: str,
        act: str,
        v_proj: bool,
        dw_k: int,
        stride: int,
        se: float,
        dim_head: int,
        window: int,
        attn: bool,
        qkv_bias: bool,
        attn_drop: float,
        drop: float,
        drop_path: float,
        attn_pre: bool,
    ) -> None:
        super().__init__()
        mid = int(in_ch * exp)
        self.has_skip = has_skip and in_ch == out_ch and stride == 1
        self.attn = attn
        # Submodules are created in the official order: the state-dict order depends on it.
        self.norm = make_norm(norm, in_ch) if norm_in else nn.Identity()
        if attn:
            assert in_ch % dim_head == 0, "channels must be divisible by dim_head"
            self.dim_head = dim_head
            self.heads = in_ch // dim_head
            self.window = window
            self.scale = dim_head**-0.5
            self.attn_pre = attn_pre
            self.qk = ConvNormAct(in_ch, 2 * in_ch, k=1, bias=qkv_bias, norm="none", act="none")
            self.v = ConvNormAct(in_ch, mid, k=1, bias=qkv_bias, norm="none", act=act)
            self.attn_drop = nn.Dropout(attn_drop)
        elif v_proj:
            self.v = ConvNormAct(in_ch, mid, k=1, bias=qkv_bias, norm="none", act=act)
        else:
            self.v = nn.Identity()
        self.conv_local = ConvNormAct(
            mid, mid, k=dw_k, stride=stride, groups=mid, norm="bn_2d", act="silu"
        )
        self.se = SqueezeExcite(mid, ratio=se, act=act) if se > 0.0 else nn.Identity()
        self.proj_drop = nn.Dropout(drop)
        self.proj = ConvNormAct(mid, out_ch, k=1, bias=False, norm="none", act="none")
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()

    def window_attention(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        wh, ww = (H, W) if self.window <= 0 else (self.window, self.window)
        pad_b, pad_r = (wh - H % wh) % wh, (ww - W % ww) % ww
        x = F.pad(x, (0, pad_r, 0, pad_b))  # zeros right/bottom, no mask later
        n1, n2 = (H + pad_b) // wh, (W + pad_r) // ww
        x = grid_partition(x, n1, n2)  # b' c h w, b' = B n1 n2
        b, c, h, w = x.shape
        # qk channels are laid out (qk heads dim_head), q first
        qk = self.qk(x).view(b, 2, self.heads, self.dim_head, h * w)
        q = qk[:, 0].transpose(-2, -1)  # b' heads hw dh
        k = qk[:, 1].transpose(-2, -1)  # b' heads hw dh
        attn = (q @ k.transpose(-2, -1)) * self.scale  # b' heads hw hw
        attn = self.attn_drop(attn.softmax(dim=-1))
        if self.attn_pre:
            xs = x.view(b, self.heads, self.dim_head, h * w).transpose(-2, -1)  # b' heads hw dh
            xs = attn @ xs
            xs = xs.transpose(-2, -1).reshape(b, c, h, w)
            xs = self.v(xs)  # b' mid h w
        else:
            v = self.v(x)
            m = v.shape[1]
            v = v.view(b, self.heads, m // self.heads, h * w).transpose(-2, -1)
            xs = (attn @ v).transpose(-2, -1).reshape(b, m, h, w)
        x = grid_unpartition(xs, n1, n2)  # B mid H+pad_b W+pad_r
        return x[:, :, :H, :W].contiguous()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm(x)
        x = self.window_attention(x) if self.attn else self.v(x)
        y = self.se(self.conv_local(x))
        x = x + y if self.has_skip else y  # inner skip around the DW conv
        x = self.proj(self.proj_drop(x))
        return shortcut + self.drop_path(x) if self.has_skip else x


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


class EMO(nn.Module):
    """stage0 (stem conv + iRMB) -> stage1..4 -> norm -> mean(H, W) -> head (Linear)."""

    def __init__(self, cfg: EmoConfig, *, num_classes: int = 1000, in_ch: int = 3) -> None:
        super().__init__()
        total = sum(cfg.depths)
        dprs = [v.item() for v in torch.linspace(0, cfg.drop_path, total)]
        shared = dict(
            qkv_bias=cfg.qkv_bias, attn_drop=cfg.attn_drop, drop=cfg.drop, attn_pre=cfg.attn_pre
        )
        self.stage0 = nn.ModuleList(
            [
                StemPatchEmbed(in_ch, cfg.stem_dim, k=cfg.dw_kss[0], stride=2, norm=cfg.norm_layers[0]),
                IRMB(
                    cfg.stem_dim, cfg.stem_dim, norm_in=False, has_skip=False, exp=1.0,
                    norm=cfg.norm_layers[0], act=cfg.act_layers[0], v_proj=False, dw_k=cfg.dw_kss[0],
                    stride=1, se=1.0, dim_head=cfg.dim_heads[0], window=cfg.window_sizes[0], attn=False,
                    drop_path=0.0, **shared,
                ),
            ]
        )  # fmt: skip
        prev = cfg.stem_dim
        start = 0
        for i, depth in enumerate(cfg.depths):
            blocks = []
            for j in range(depth):
                first = j == 0
                blocks.append(
                    IRMB(
                        prev, cfg.embed_dims[i], norm_in=True, has_skip=not first,
                        exp=cfg.exp_ratios[i] * (2 if first else 1), norm=cfg.norm_layers[i],
                        act=cfg.act_layers[i], v_proj=True, dw_k=cfg.dw_kss[i], stride=2 if first else 1,
                        se=cfg.se_ratios[i], dim_head=cfg.dim_heads[i], window=cfg.window_sizes[i],
                        attn=cfg.attn_ss[i] and not first, drop_path=dprs[start + j], **shared,
                    )
                )  # fmt: skip
                prev = cfg.embed_dims[i]
            start += depth
            setattr(self, f"stage{i + 1}", nn.ModuleList(blocks))
        self.norm = make_norm(cfg.norm_layers[-1], cfg.embed_dims[-1])
        self.pre_head = nn.Identity()
        self.head = nn.Linear(cfg.embed_dims[-1], num_classes)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        # convolutions keep PyTorch's default init

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        for stage in (self.stage0, self.stage1, self.stage2, self.stage3, self.stage4):
            for blk in stage:
                x = blk(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.forward_features(x)  # b c h w
        x = self.norm(x)
        x = x.mean(dim=(2, 3))  # b c
        return self.head(self.pre_head(x))


def emo_reference(name: str, num_classes: int = 1000) -> nn.Module:
    """Build ``emo_1m`` / ``emo_2m`` / ``emo_5m`` / ``emo_6m``; ``forward`` returns logits."""
    try:
        cfg = EMO_CONFIGS[name]
    except KeyError:
        raise ValueError(
            f"unknown EMO variant {name!r}; expected one of {sorted(EMO_CONFIGS)}"
        ) from None
    return EMO(cfg, num_classes=num_classes)
