"""``pool``: average or max pooling, windowed or global (global keeps the map 4-D: b c 1 1)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.pool import Pool
from archspec.nn.registry import register


@register("pool")
class PoolLayer(nn.Module):
    def __init__(self, *, kind: str, global_: bool, k: int, stride: int, padding: int,
                 ceil_mode: bool):
        super().__init__()
        if kind not in ("avg", "max"):
            raise ValueError(f"unknown pool kind {kind!r}")
        if global_:
            self.pool = nn.AdaptiveAvgPool2d(1) if kind == "avg" else nn.AdaptiveMaxPool2d(1)
        elif kind == "avg":
            self.pool = nn.AvgPool2d(k, stride, padding, ceil_mode=ceil_mode)
        else:
            self.pool = nn.MaxPool2d(k, stride, padding, ceil_mode=ceil_mode)

    @classmethod
    def from_resolved(cls, b: Pool) -> PoolLayer:
        return cls(kind=b.kind, global_=b.global_, k=b.k, stride=b.stride, padding=b.padding,
                   ceil_mode=b.ceil_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)
