"""``act``: an activation on its own (never in place: its input may be held elsewhere)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.act import ActBlock
from archspec.nn.layers import make_act
from archspec.nn.registry import register


@register("act")
class ActLayer(nn.Module):
    def __init__(self, block: ActBlock):
        super().__init__()
        self.act = make_act(block.act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.act(x)
        return y
