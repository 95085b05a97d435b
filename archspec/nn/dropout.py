"""``dropout``: dropout, the identity at inference."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.dropout import Dropout
from archspec.nn.registry import register


@register("dropout")
class DropoutLayer(nn.Module):
    def __init__(self, block: Dropout):
        super().__init__()
        self.dropout = nn.Dropout(block.p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.dropout(x)
        return y
