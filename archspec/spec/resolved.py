"""ResolvedNet: one variant of a spec with every number explicit, frozen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from archspec.blocks.base import ResolvedBlock, Rounding
from archspec.diagnostics import UNKNOWN_SPAN, Span


@dataclass(frozen=True)
class ResolvedNet:
    """A flat list of explicit blocks (stem, stage blocks, head) and what produced it."""

    name: str
    variant: str | None
    file: str
    input_shape: tuple[int, int, int]
    blocks: tuple[ResolvedBlock, ...]
    init: str = "torchvision"
    drop_path: float = 0.0
    span: Span = UNKNOWN_SPAN
    overrides: dict[str, int] = field(default_factory=dict)  # num_classes / in_channels given by caller
    text: str = field(default="", repr=False, compare=False)  # the spec document it came from

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.blocks[-1].out_shape if self.blocks else self.input_shape

    @property
    def label(self) -> str:
        return f"{self.name}:{self.variant}" if self.variant else self.name

    def walk(self) -> Iterator[ResolvedBlock]:
        """Every block, nested ones (parallel branches) right after their parent."""
        stack = list(reversed(self.blocks))
        while stack:
            block = stack.pop()
            yield block
            stack.extend(reversed(block.children()))

    @property
    def roundings(self) -> tuple[Rounding, ...]:
        return tuple(r for b in self.walk() for r in b.roundings)

    def section(self, name: str) -> tuple[ResolvedBlock, ...]:
        return tuple(b for b in self.blocks if b.origin.section == name)
