"""The rule codes a ``noqa`` may name (torch-free and cheap: the resolver calls it per spec)."""

from __future__ import annotations

from functools import cache


@cache
def known_codes() -> frozenset[str]:
    from archspec.rules.registry import RULES  # importing archspec.rules registers every rule

    return frozenset(RULES)
