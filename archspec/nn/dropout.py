"""``dropout``: dropout, the identity at inference."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.dropout import Dropout
from archspec.nn.registry import register


@register("dropout")
class DropoutLayer(nn.Module):
    def __init__(self, *, p: float):
        super().__init__()
        self.dropout = nn.Dropout(p)

    @classmethod
    def from_resolved(cls, b: Dropout) -> DropoutLayer:
        return cls(p=b.p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x)
