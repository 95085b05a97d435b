"""Shape and width arithmetic exactly as PyTorch and torchvision compute it.

Resolution (``archspec.blocks``) decides shapes with these functions and the graph builder
(``archspec.graph.builder``) re-derives them while tracing, so both must read one definition.
"""

from __future__ import annotations

import math


def conv_out(size: int, k: int, stride: int, padding: int, dilation: int = 1,
             ceil_mode: bool = False) -> int:
    """Output length of a convolution or pooling window, as PyTorch computes it."""
    span = size + 2 * padding - dilation * (k - 1) - 1
    if ceil_mode:
        out = math.ceil(span / stride) + 1
        if (out - 1) * stride >= size + padding:  # PyTorch drops a last window starting in padding
            out -= 1
        return out
    return span // stride + 1


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None,
                   round_limit: float = 0.9) -> int:
    """Round ``value`` to a multiple of ``divisor`` exactly as torchvision's ``_make_divisible``.

    Never goes down by more than 10 % (``round_limit`` 0.9): that is the rule MobileNetV2/V3
    widths were built with, so width-multiplied specs reproduce torchvision's channel counts bit
    for bit. timm's ``make_divisible`` is the same with ``round_limit`` a parameter (its SEModule
    passes 0: the nearest multiple, never bumped up).
    """
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < round_limit * value:
        new_value += divisor
    return new_value


def split_channels(channels: int, parts: int) -> tuple[int, ...]:
    """``channels`` in ``parts`` equal pieces, the remainder added to the first (MixConv's split,
    as the MixNet reference and timm's ``_split_channels`` cut it)."""
    base = channels // parts
    return (channels - base * (parts - 1), *([base] * (parts - 1)))
