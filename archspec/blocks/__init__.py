"""Block families. Importing this package registers every family in :data:`FAMILIES`."""

from archspec.blocks import (  # noqa: F401  (imported for registration)
    act,
    conv,
    dropout,
    linear,
    mmb,
    norm,
    parallel,
    pool,
    shuffle,
    uib,
)
from archspec.blocks.base import FAMILIES, Family, ResolvedBlock

__all__ = ["FAMILIES", "Family", "ResolvedBlock"]
