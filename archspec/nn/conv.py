"""``conv``: convolution → norm → activation (torchvision's Conv2dNormActivation)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.base import Norm
from archspec.blocks.conv import Conv
from archspec.nn.layers import make_act, make_norm
from archspec.nn.registry import register


@register("conv")
class ConvNormAct(nn.Module):
    def __init__(self, *, in_ch: int, out: int, k: int, stride: int, padding: int, groups: int,
                 dilation: int, bias: bool, norm: Norm, act: str):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out, k, stride, padding, dilation, groups, bias=bias)
        self.norm = make_norm(norm, out)
        self.act = make_act(act, inplace=True)

    @classmethod
    def from_resolved(cls, b: Conv) -> ConvNormAct:
        return cls(in_ch=b.in_ch, out=b.out_ch, k=b.k, stride=b.stride, padding=b.padding,
                   groups=b.groups, dilation=b.dilation, bias=b.bias, norm=b.norm, act=b.act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))
