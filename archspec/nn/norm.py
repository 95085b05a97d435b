"""``norm``: a norm layer on its own (EMO's final LayerNorm)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.norm import NormBlock
from archspec.core.norm import Norm
from archspec.nn.layers import make_norm
from archspec.nn.registry import register


@register("norm")
class NormLayer(nn.Module):
    def __init__(self, *, in_ch: int, norm: Norm):
        super().__init__()
        self.norm = make_norm(norm, in_ch)

    @classmethod
    def from_resolved(cls, b: NormBlock) -> NormLayer:
        return cls(in_ch=b.in_ch, norm=b.norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)
