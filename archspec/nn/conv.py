"""``conv``: convolution → norm → activation (torchvision's Conv2dNormActivation).

:class:`ConvNormAct` is also the conv + norm + act unit inside other families (mmb's expand,
dw and proj), so it is a ``Sequential`` holding only the parts that exist.
"""

from __future__ import annotations

from torch import nn

from archspec.blocks.conv import Conv
from archspec.core.norm import Norm
from archspec.nn.layers import make_act, make_norm, parts
from archspec.nn.registry import register


@register("conv")
class ConvNormAct(nn.Sequential):
    """``conv`` → ``norm`` → ``act``; a ``none`` norm or activation is not registered."""

    def __init__(self, *, in_ch: int, out: int, k: int, stride: int, padding: int, groups: int,
                 dilation: int, bias: bool, norm: Norm, act: str):
        super().__init__(parts(
            conv=nn.Conv2d(in_ch, out, k, stride, padding, dilation, groups, bias=bias),
            norm=make_norm(norm, out),
            act=make_act(act, inplace=True),  # after a conv or norm: a fresh tensor
        ))

    @classmethod
    def from_resolved(cls, b: Conv) -> ConvNormAct:
        return cls(in_ch=b.in_ch, out=b.out_ch, k=b.k, stride=b.stride, padding=b.padding,
                   groups=b.groups, dilation=b.dilation, bias=b.bias, norm=b.norm, act=b.act)
