"""``uib``: MobileNetV4's Universal Inverted Bottleneck as a torch module.

Computes what :func:`archspec.blocks.uib.trace` describes::

    shortcut = x
    x = start_dw(x)        # k×k depthwise + norm (absent unless start_dw_k)
    x = expand(x)          # 1×1 + norm + act
    x = dw(x)              # k×k depthwise + norm + act, the stride (absent unless dw_k)
    x = se(x)
    x = proj(x)            # 1×1 + norm
    x = end_dw(x)          # k×k depthwise + norm (absent unless end_dw_k)
    x = x · γ              # layer scale
    x = shortcut + drop_path(x) if skip

Submodules are registered in that order, each a conv → norm → act unit, so the state_dict of
timm's ``UniversalInvertedResidual`` (dw_start, pw_exp, dw_mid, se, pw_proj, dw_end,
layer_scale) lines up with ours by position.
"""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.uib import UIB
from archspec.core.norm import Norm
from archspec.nn.conv import ConvNormAct
from archspec.nn.layers import DropPath, LayerScale, SqueezeExcite
from archspec.nn.registry import register


def _depthwise(ch: int, k: int, stride: int, norm: Norm, act: str) -> ConvNormAct:
    return ConvNormAct(in_ch=ch, out=ch, k=k, stride=stride, padding=k // 2, groups=ch,
                       dilation=1, bias=False, norm=norm, act=act)


def _pointwise(in_ch: int, out: int, norm: Norm, act: str) -> ConvNormAct:
    return ConvNormAct(in_ch=in_ch, out=out, k=1, stride=1, padding=0, groups=1, dilation=1,
                       bias=False, norm=norm, act=act)


@register("uib")
class UniversalInvertedBottleneck(nn.Module):
    """Absent parts (start_dw, dw, se, end_dw, layer_scale, drop_path) are ``None``."""

    def __init__(self, block: UIB):
        super().__init__()
        b = block
        self.skip = b.skip
        self.start_dw = (_depthwise(b.in_ch, b.start_dw_k, b.start_stride, b.norm, "none")
                         if b.start_dw_k is not None else None)
        self.expand = _pointwise(b.in_ch, b.mid, b.norm, b.act)
        self.dw = (_depthwise(b.mid, b.dw_k, b.dw_stride, b.norm, b.act)
                   if b.dw_k is not None else None)
        self.se = (SqueezeExcite(ch=b.mid, se_ch=b.se_ch, act=b.act, gate=b.se_gate)
                   if b.se_ch else None)
        self.proj = _pointwise(b.mid, b.out_ch, b.norm, "none")
        self.end_dw = (_depthwise(b.out_ch, b.end_dw_k, b.end_stride, b.norm, "none")
                       if b.end_dw_k is not None else None)
        self.layer_scale = (LayerScale(b.out_ch, b.layer_scale)
                            if b.layer_scale is not None else None)
        self.drop_path = DropPath(b.drop_path) if (b.skip and b.drop_path > 0) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        if self.start_dw is not None:
            x = self.start_dw(x)  # b in h' w'
        x = self.expand(x)  # b mid h' w'
        if self.dw is not None:
            x = self.dw(x)
        if self.se is not None:
            x = self.se(x)
        x = self.proj(x)  # b out h' w'
        if self.end_dw is not None:
            x = self.end_dw(x)
        if self.layer_scale is not None:
            x = self.layer_scale(x)
        if self.skip:
            if self.drop_path is not None:
                x = self.drop_path(x)
            x = x + shortcut
        return x

    def extra_repr(self) -> str:
        return f"skip={self.skip}"
