"""``act``: an activation on its own (never in place: its input may be held elsewhere)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.act import ActBlock
from archspec.nn.layers import make_act
from archspec.nn.registry import register


@register("act")
class ActLayer(nn.Module):
    def __init__(self, *, act: str):
        super().__init__()
        self.act = make_act(act)

    @classmethod
    def from_resolved(cls, b: ActBlock) -> ActLayer:
        return cls(act=b.act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x)
