"""Which torch module builds each block family: ``MODULES[tag]``, keyed like ``FAMILIES``.

A family's module lives in ``archspec/nn/<tag>.py``; its class is constructed from the resolved
block alone (``MODULES[tag](block)``, as torchvision passes ``cnf``) and registers itself with
:func:`register`. This module imports ``archspec.nn.<tag>`` for every registered block family,
so the table is complete once :mod:`archspec.nn.registry` is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from torch import nn

from archspec.blocks import TAGS
from archspec.blocks.base import ResolvedBlock

M = TypeVar("M", bound=type[nn.Module])

#: family tag → the module class, called with one resolved block of that family.
MODULES: dict[str, Callable[[Any], nn.Module]] = {}


def register(tag: str) -> Callable[[M], M]:
    """Class decorator: ``@register("mmb")`` makes ``MODULES["mmb"]`` that class."""

    def deco(cls: M) -> M:
        if tag in MODULES:
            raise ValueError(f"torch module for block family {tag!r} registered twice")
        MODULES[tag] = cls
        return cls

    return deco


def build_block(b: ResolvedBlock) -> nn.Module:
    """The torch module of one resolved block: its family's class, given the block."""
    try:
        module = MODULES[b.family]
    except KeyError:
        raise ValueError(f"{b.path}: no torch module for block family {b.family!r}") from None
    return module(b)


for _tag in TAGS:  # each family's torch module is archspec/nn/<tag>.py
    importlib.import_module(f"archspec.nn.{_tag}")
