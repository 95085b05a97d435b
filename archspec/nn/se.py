"""``se``: squeeze-and-excitation on the block's input (timm's SqueezeExcite / SEModule order:
reduce, act, expand, gate, so their weights transfer by position)."""

from __future__ import annotations

from archspec.blocks.se import SE
from archspec.nn.layers import SqueezeExcite
from archspec.nn.registry import register


@register("se")
class SEBlock(SqueezeExcite):
    def __init__(self, block: SE):
        super().__init__(ch=block.in_ch, se_ch=block.mid, act=block.act, gate=block.gate,
                         bias=block.bias)
