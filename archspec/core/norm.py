"""A resolved normalisation layer: the value block families decide, the graph builder traces and
the torch modules build (``archspec.nn``), so it lives below all three."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

#: PyTorch's own defaults, used when a spec writes a norm type without eps/momentum.
DEFAULT_EPS: Mapping[str, float] = MappingProxyType({"bn": 1e-5, "ln": 1e-5, "none": 0.0})
DEFAULT_MOMENTUM = 0.1


@dataclass(frozen=True)
class Norm:
    """A resolved norm: type with its eps and momentum decided."""

    type: str
    eps: float = 0.0
    momentum: float = DEFAULT_MOMENTUM

    @property
    def present(self) -> bool:
        return self.type != "none"


NO_NORM = Norm("none")
