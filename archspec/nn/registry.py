"""Which torch module builds each block family: ``MODULES[tag]``, keyed like ``FAMILIES``.

A family's module lives in ``archspec/nn/<tag>.py`` and registers itself with :func:`register`;
importing :mod:`archspec.nn` imports every family file, so the table is complete by then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from torch import nn

if TYPE_CHECKING:
    from archspec.blocks.base import ResolvedBlock


M = TypeVar("M", bound=type[nn.Module])

MODULES: dict[str, type[nn.Module]] = {}


def register(tag: str) -> Callable[[M], M]:
    """Class decorator: ``@register("mmb")`` makes ``MODULES["mmb"]`` that class."""

    def deco(cls: M) -> M:
        if tag in MODULES:
            raise ValueError(f"torch module for block family {tag!r} registered twice")
        if not callable(getattr(cls, "from_resolved", None)):
            raise TypeError(f"{cls.__name__} has no from_resolved(block) classmethod")
        MODULES[tag] = cls
        return cls

    return deco


def build_block(b: ResolvedBlock) -> nn.Module:
    """The torch module of one resolved block (its family's ``from_resolved``)."""
    try:
        cls = MODULES[b.family]
    except KeyError:
        raise ValueError(f"{b.path}: no torch module for block family {b.family!r}") from None
    return cls.from_resolved(b)  # type: ignore[attr-defined]
