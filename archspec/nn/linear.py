"""``linear``: (flatten →) fully connected → activation (classifier heads)."""

from __future__ import annotations

import math

from torch import nn

from archspec.blocks.linear import Linear
from archspec.nn.layers import make_act, parts
from archspec.nn.registry import register


@register("linear")
class LinearLayer(nn.Sequential):
    """``flatten`` (b c 1 1 → b c, when the input is a map) → ``linear`` → ``act``.

    The linear layer's input width is ``in_ch`` (the flattened map's size when ``flatten``), as
    every other family names it.
    """

    def __init__(self, block: Linear):
        in_ch = math.prod(block.in_shape) if block.flatten else block.in_ch
        super().__init__(parts(
            flatten=nn.Flatten(1) if block.flatten else nn.Identity(),
            linear=nn.Linear(in_ch, block.out_ch, bias=block.bias),
            act=make_act(block.act, inplace=True),
        ))
