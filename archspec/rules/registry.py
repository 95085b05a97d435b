"""Rule registry: rule classes keyed by code; registering a code (or a name) twice is an error.

Importing any module of :mod:`archspec.rules` imports the rule families (see the package's
``__init__``), so :data:`RULES` is complete whenever it can be read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from archspec.rules.base import Rule

RULES: dict[str, type[Rule]] = {}

CODE = re.compile(r"^[A-Z][0-9]{1,3}$")
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

R = TypeVar("R", bound="type[Rule]")


def register(rule_cls: R) -> R:
    """Class decorator adding a rule to :data:`RULES`; duplicate codes or names raise."""
    code, name = rule_cls.code, rule_cls.name
    if not CODE.match(code):
        raise ValueError(f"rule code {code!r} must be a capital letter and 1–3 digits")
    if not NAME.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")
    if code in RULES:
        raise ValueError(f"rule code {code} registered twice ({RULES[code].__name__} and "
                         f"{rule_cls.__name__})")
    for other in RULES.values():
        if other.name == name:
            raise ValueError(f"rule name {name!r} registered twice ({other.code} and {code})")
    RULES[code] = rule_cls
    return rule_cls


def by_name() -> dict[str, type[Rule]]:
    return {cls.name: cls for cls in RULES.values()}


def sorted_codes() -> list[str]:
    """Codes in documentation order: family (G, S, H, A), then number."""
    order = {"G": 0, "S": 1, "H": 2, "A": 3}
    return sorted(RULES, key=lambda c: (order.get(c[0], 9), c[0], int(c[1:])))
