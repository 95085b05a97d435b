"""``linear``: (flatten →) fully connected → activation (classifier heads)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.linear import Linear
from archspec.nn.layers import make_act
from archspec.nn.registry import register


@register("linear")
class LinearLayer(nn.Module):
    def __init__(self, *, in_features: int, out: int, bias: bool, act: str, flatten: bool):
        super().__init__()
        self.flatten = nn.Flatten(1) if flatten else nn.Identity()  # b c 1 1 -> b c
        self.linear = nn.Linear(in_features, out, bias=bias)
        self.act = make_act(act, inplace=True)

    @classmethod
    def from_resolved(cls, b: Linear) -> LinearLayer:
        in_features = b.in_shape[0] * (b.in_shape[1] * b.in_shape[2] if b.flatten else 1)
        return cls(in_features=in_features, out=b.out_ch, bias=b.bias, act=b.act,
                   flatten=b.flatten)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(self.flatten(x)))
