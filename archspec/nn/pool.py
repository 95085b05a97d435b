"""``pool``: average or max pooling, windowed or global (global keeps the map 4-D: b c 1 1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
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
        self.kind, self.global_ = kind, global_
        self.k, self.stride, self.padding, self.ceil_mode = k, stride, padding, ceil_mode

    @classmethod
    def from_resolved(cls, b: Pool) -> PoolLayer:
        return cls(kind=b.kind, global_=b.global_, k=b.k, stride=b.stride, padding=b.padding,
                   ceil_mode=b.ceil_mode)

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
