"""``ghost``: GhostNet's Ghost module as a torch module.

Computes what :func:`archspec.blocks.ghost.trace` describes::

    y = primary(x)               # k×k conv + norm + act, in→init, the stride
    z = cheap(y)                 # dw_k×dw_k depthwise + norm + act, init→init·(ratio−1)
    x = cat(y, z)[:, :out]       # the first `out` channels

``primary`` then ``cheap``, each a conv → norm → act unit: the state_dict of timm's
``GhostModule`` (primary_conv, cheap_operation) lines up with ours by position.
"""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.ghost import Ghost
from archspec.nn.conv import ConvNormAct
from archspec.nn.registry import register


@register("ghost")
class GhostModule(nn.Module):
    def __init__(self, block: Ghost):
        super().__init__()
        b = block
        self.out = b.out_ch
        self.primary = ConvNormAct(in_ch=b.in_ch, out=b.init, k=b.k, stride=b.stride,
                                   padding=b.k // 2, groups=1, dilation=1, bias=False,
                                   norm=b.norm, act=b.act)
        self.cheap = ConvNormAct(in_ch=b.init, out=b.cheap, k=b.dw_k, stride=1,
                                 padding=b.dw_k // 2, groups=b.init, dilation=1, bias=False,
                                 norm=b.norm, act=b.act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.primary(x)  # b init h' w'
        z = self.cheap(y)  # b init·(ratio−1) h' w'
        return torch.cat([y, z], dim=1)[:, : self.out]  # b out h' w'

    def extra_repr(self) -> str:
        return f"out={self.out}"
