"""The generator's own model of widths and shapes: a width policy per variant and a block's context.

Written from torchvision's ``_make_divisible`` and PyTorch's output-size formulas, never imported
from the resolver, so the shapes the generator predicts are an oracle for it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

#: Networks stay small enough to build in milliseconds (docs/testing.md).
MAX_WIDTH = 32
MAX_SIZE = 24
MAX_STAGE_DEPTH = 2
MAX_STAGES = 3

Shape = tuple[int, ...]
KeyPath = tuple[str | int, ...]


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """torchvision's ``_make_divisible``: nearest multiple of ``divisor``, never 10 % below."""
    if min_value is None:
        min_value = divisor
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def conv_len(size: int, k: int, stride: int, padding: int, dilation: int = 1,
             ceil_mode: bool = False) -> int:
    """PyTorch's output length of a convolution or pooling window."""
    span = size + 2 * padding - dilation * (k - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def gcd(values: Iterable[int]) -> int:
    return reduce(math.gcd, values)


def overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """archspec's layering: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = overlay(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@dataclass(frozen=True)
class World:
    """A width policy: the network's ``width: {mult, divisor}`` in one variant (None: unset).

    With ``width:`` present every scaled width is rounded, even at mult 1 (as torchvision does).
    """

    mult: float | None = None
    divisor: int = 8

    def width(self, written: int, scaling: str = "scaled") -> int:
        if scaling == "fixed" or self.mult is None:
            return written
        mult = max(1.0, self.mult) if scaling == "at_least" else self.mult
        return make_divisible(written * mult, self.divisor)


@dataclass(frozen=True)
class Ctx:
    """Where a block is resolved: in variant ``wi`` (0 = the base) at input ``shape``."""

    wi: int
    world: World
    shape: Shape

    @property
    def c(self) -> int:
        return self.shape[0]

    @property
    def spatial(self) -> bool:
        return len(self.shape) == 3

    def at(self, shape: Shape) -> Ctx:
        return Ctx(self.wi, self.world, shape)

    def width(self, written: int, scaling: str) -> int:
        """``written`` under this variant's width policy."""
        return self.world.width(written, scaling)
