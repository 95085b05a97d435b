"""``pool``: average or max pooling, windowed or global (global keeps the map 4-D: b c 1 1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from archspec.blocks.pool import Pool
from archspec.nn.registry import register


@register("pool")
class PoolLayer(nn.Module):
    """Holds the block's fields under their resolved names; no parameters."""

    def __init__(self, block: Pool):
        super().__init__()
        if block.kind not in ("avg", "max"):
            raise ValueError(f"unknown pool kind {block.kind!r}")
        self.kind, self.global_ = block.kind, block.global_
        self.k, self.stride, self.padding = block.k, block.stride, block.padding
        self.ceil_mode = block.ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.global_:  # b c h w -> b c 1 1
            return F.adaptive_avg_pool2d(x, 1) if self.kind == "avg" else F.adaptive_max_pool2d(x, 1)
        if self.kind == "avg":
            return F.avg_pool2d(x, self.k, self.stride, self.padding, self.ceil_mode)
        return F.max_pool2d(x, self.k, self.stride, self.padding, ceil_mode=self.ceil_mode)

    def extra_repr(self) -> str:
        if self.global_:
            return f"{self.kind}, global"
        return (f"{self.kind}, k={self.k}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")
