"""``norm``: a norm layer on its own (EMO's final LayerNorm); on a vector BatchNorm1d or
LayerNorm (RepViT's head)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.norm import NormBlock
from archspec.nn.layers import make_norm
from archspec.nn.registry import register


@register("norm")
class NormLayer(nn.Module):
    def __init__(self, block: NormBlock):
        super().__init__()
        self.norm = make_norm(block.norm, block.in_ch, vector=len(block.in_shape) == 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.norm(x)
        return y
