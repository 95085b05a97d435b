"""``residual``: ``shortcut(x) + γ · drop_path(blocks(x))`` as a torch module.

Submodules are registered as ``blocks`` (an ``nn.Sequential``), ``shortcut`` (absent for the
identity), then the layer scale γ: the order of timm's ``MobileAttention`` (norm, attn,
layer_scale) written as ``residual[norm, mqa]`` and of GhostNet's ``GhostBottleneck`` (its
blocks, then ``shortcut``), so weights transfer by position.
"""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.residual import Residual
from archspec.nn.layers import DropPath, LayerScale
from archspec.nn.registry import build_block, register


@register("residual")
class ResidualBlock(nn.Module):
    def __init__(self, block: Residual):
        super().__init__()
        b = block
        self.blocks = nn.Sequential(*(build_block(child) for child in b.blocks))
        self.shortcut = (nn.Sequential(*(build_block(child) for child in b.shortcut))
                         if b.shortcut is not None else None)
        self.layer_scale = (LayerScale(b.out_ch, b.layer_scale)
                            if b.layer_scale is not None else None)
        self.drop_path = DropPath(b.drop_path) if b.drop_path > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.blocks(x)
        if self.drop_path is not None:
            y = self.drop_path(y)
        if self.layer_scale is not None:
            y = self.layer_scale(y)
        skip = self.shortcut(x) if self.shortcut is not None else x
        return skip + y
