"""``resize``: ``F.interpolate`` by the written scale (torch's coordinates for it) or to the size."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from archspec.blocks.resize import Resize
from archspec.nn.registry import register


@register("resize")
class ResizeLayer(nn.Module):
    def __init__(self, block: Resize):
        super().__init__()
        self.scale = block.scale
        self.size = block.out_hw
        self.mode = block.mode
        self.align_corners = block.align_corners if block.mode == "bilinear" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scale is not None:  # b c h w -> b c ⌊h·s⌋ ⌊w·s⌋
            return F.interpolate(x, scale_factor=self.scale, mode=self.mode,
                                 align_corners=self.align_corners)
        return F.interpolate(x, size=self.size, mode=self.mode, align_corners=self.align_corners)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, size={self.size}, mode={self.mode}"
