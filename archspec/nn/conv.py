"""``conv``: convolution → norm → activation (torchvision's Conv2dNormActivation).

:class:`ConvNormAct` is the conv + norm + act unit, also inside other families (mmb's expand,
dw and proj), so it takes its numbers one by one and is a ``Sequential`` holding only the parts
that exist; :class:`ConvLayer`, the ``conv`` family's module, builds it from a resolved block.
"""

from __future__ import annotations

from torch import nn

from archspec.blocks.conv import Conv
from archspec.core.norm import Norm
from archspec.nn.layers import make_act, make_norm, parts
from archspec.nn.registry import register


class ConvNormAct(nn.Sequential):
    """``conv`` → ``norm`` → ``act``; a ``none`` norm or activation is not registered."""

    def __init__(self, *, in_ch: int, out: int, k: int, stride: int, padding: int, groups: int,
                 dilation: int, bias: bool, norm: Norm, act: str):
        super().__init__(parts(
            conv=nn.Conv2d(in_ch, out, k, stride, padding, dilation, groups, bias=bias),
            norm=make_norm(norm, out),
            act=make_act(act, inplace=True),  # after a conv or norm: a fresh tensor
        ))


@register("conv")
class ConvLayer(ConvNormAct):
    """A ``conv`` block: the unit with the block's fields (same submodules, same state_dict)."""

    def __init__(self, block: Conv):
        super().__init__(in_ch=block.in_ch, out=block.out_ch, k=block.k, stride=block.stride,
                         padding=block.padding, groups=block.groups, dilation=block.dilation,
                         bias=block.bias, norm=block.norm, act=block.act)
