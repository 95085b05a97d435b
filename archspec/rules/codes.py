"""The rule codes a ``noqa`` may name (kept torch- and rule-import-free for the resolver)."""

from __future__ import annotations


def known_codes() -> frozenset[str]:
    from archspec.rules.registry import RULES

    return frozenset(RULES)
