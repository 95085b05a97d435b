"""What the strategies hand back besides documents: explicit block sites, generated specs with
their predicted shapes, and near misses with the error archspec must report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from archspec.testing.strategies.world import KeyPath, Shape


@dataclass(frozen=True)
class Site:
    """An explicitly written block: its key path and its input shape in each variant using it."""

    path: KeyPath
    shapes: dict[int, Shape]  # world index (0 = base, i = i-th variant) -> input shape
    tag: str


@dataclass(frozen=True)
class GeneratedSpec:
    """A generated document with what the generator knows about it.

    ``outputs`` maps each variant name (``None`` for the base as written) to the output shape
    the generator computed; ``sites`` lists explicit blocks (stem, head, ``blocks:`` stages,
    parallel branches), ``resolved_worlds`` the world indices that ``archspec.resolve`` reaches
    (the variants, or the base when there are none); ``variant_names[i - 1]`` names world ``i``.
    """

    document: dict[str, Any]
    outputs: dict[str | None, Shape]
    sites: tuple[Site, ...]
    variant_names: tuple[str, ...]

    @property
    def resolved_worlds(self) -> frozenset[int]:
        n = len(self.variant_names)
        return frozenset(range(1, n + 1)) if n else frozenset({0})

    def world_name(self, wi: int) -> str | None:
        return self.variant_names[wi - 1] if wi else None


@dataclass(frozen=True)
class NearMiss:
    """A document with exactly one broken field.

    ``key_path`` is the field's path in the document; ``anchor`` says where archspec must point:
    ``"value"`` at the value (for a missing key: the nearest enclosing mapping, which is what
    ``Source.span_of`` returns for the path), ``"key"`` at the key (unknown keys, noqa codes).
    ``code`` is the error code expected, ``what`` a one-line description of the break.
    """

    document: dict[str, Any]
    key_path: KeyPath
    code: str
    anchor: Literal["value", "key"]
    what: str
