"""``conv``: convolution → norm → activation (torchvision's Conv2dNormActivation).

:class:`ConvNormAct` is the conv + norm + act unit, also inside other families (mmb's expand,
dw and proj), so it takes its numbers one by one and is a ``Sequential`` holding only the parts
that exist; :class:`ConvLayer`, the ``conv`` family's module, builds it from a resolved block.
A mixed conv's conv is a :class:`MixedConv` (one ``Conv2d`` per resolved piece).
"""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.conv import Conv, Mix
from archspec.core.norm import Norm
from archspec.nn.layers import make_act, make_norm, parts
from archspec.nn.registry import register


class MixedConv(nn.ModuleDict):
    """MixConv: the input cut into the pieces' widths, one conv per piece, outputs concatenated.
    A ``ModuleDict`` of convs named ``0``, ``1``, … in channel order, as timm's MixedConv2d, so
    state_dicts line up by position."""

    def __init__(self, mix: Mix, *, stride: int, dilation: int, bias: bool):
        super().__init__({str(i): nn.Conv2d(p.in_ch, p.out, p.k, stride, p.padding, dilation,
                                            p.groups, bias=bias) for i, p in enumerate(mix)})
        self.splits = [p.in_ch for p in mix]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pieces = torch.split(x, self.splits, dim=1)  # views, one per kernel
        return torch.cat([conv(p) for conv, p in zip(self.values(), pieces, strict=True)], 1)


class ConvNormAct(nn.Sequential):
    """``conv`` → ``norm`` → ``act``; a ``none`` norm or activation is not registered. With
    ``mix`` (a mixed conv's pieces) the conv is a :class:`MixedConv`, and ``k``, ``padding``
    and ``groups`` are the pieces'."""

    def __init__(self, *, in_ch: int, out: int, k: int | tuple[int, ...], stride: int,
                 padding: int | tuple[int, ...], groups: int, dilation: int, bias: bool,
                 norm: Norm, act: str, mix: Mix = ()):
        if mix:
            conv: nn.Module = MixedConv(mix, stride=stride, dilation=dilation, bias=bias)
        else:
            assert isinstance(k, int) and isinstance(padding, int), "a mixed conv without pieces"
            conv = nn.Conv2d(in_ch, out, k, stride, padding, dilation, groups, bias=bias)
        super().__init__(parts(
            conv=conv,
            norm=make_norm(norm, out),
            act=make_act(act, inplace=True),  # after a conv or norm: a fresh tensor
        ))


@register("conv")
class ConvLayer(ConvNormAct):
    """A ``conv`` block: the unit with the block's fields (same submodules, same state_dict)."""

    def __init__(self, block: Conv):
        super().__init__(in_ch=block.in_ch, out=block.out_ch, k=block.k, stride=block.stride,
                         padding=block.padding, groups=block.groups, dilation=block.dilation,
                         bias=block.bias, norm=block.norm, act=block.act, mix=block.mix)
