"""``linear``: (flatten →) fully connected → activation (classifier heads)."""

from __future__ import annotations

from torch import nn

from archspec.blocks.linear import Linear
from archspec.nn.layers import make_act, parts
from archspec.nn.registry import register


@register("linear")
class LinearLayer(nn.Sequential):
    """``flatten`` (b c 1 1 → b c, when the input is a map) → ``linear`` → ``act``."""

    def __init__(self, *, in_features: int, out: int, bias: bool, act: str, flatten: bool):
        super().__init__(parts(
            flatten=nn.Flatten(1) if flatten else nn.Identity(),
            linear=nn.Linear(in_features, out, bias=bias),
            act=make_act(act, inplace=True),
        ))

    @classmethod
    def from_resolved(cls, b: Linear) -> LinearLayer:
        in_features = b.in_shape[0] * (b.in_shape[1] * b.in_shape[2] if b.flatten else 1)
        return cls(in_features=in_features, out=b.out_ch, bias=b.bias, act=b.act,
                   flatten=b.flatten)
