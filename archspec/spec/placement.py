"""Where a key belongs: the place a mapping of a network document is (the top level, a stage,
a `conv` block, a norm …), the keys valid there, and, for a key that is unknown where it was
written, the places where it is a key. "Did you mean" for a typo and "check the indentation" for
a key one level off both start here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from archspec.blocks import FAMILIES
from archspec.spec.located import Path
from archspec.spec.models import TOP_LEVEL_KEYS


def allowed_keys(path: Path, data: Any) -> list[str]:
    """Keys valid in the mapping at ``path`` of a network document (for "did you mean")."""
    return _place(path, data)[1]


NORM_KEYS = ("norm", "pre_norm", "expand_norm", "dw_norm", "proj_norm")


def _place(path: Path, data: Any) -> tuple[str, list[str]]:
    """What the mapping at ``path`` of a network document is, in words, and the keys valid in it.

    The place is decided by the path first (a stage stays a stage whatever its `block:` says),
    then by the mapping's own `block:` tag.
    """
    from archspec.blocks.base import NormSpec
    from archspec.spec.models import InputSpec, WidthSpec

    node = data
    for part in path:
        node = node[part]
    last = path[-1] if path else None
    if not path:
        return "the top level", list(TOP_LEVEL_KEYS)
    if path == ("input",):
        return "`input`", field_names(InputSpec)
    if path == ("width",):
        return "`width`", field_names(WidthSpec)
    if path == ("defaults",):
        return "`defaults`", list(FAMILIES)
    if len(path) == 2 and path[0] == "defaults" and last in FAMILIES:
        return f"`defaults.{last}`", [n for n in field_names(FAMILIES[last].model) if n != "block"]
    if len(path) == 2 and path[0] == "stages" and isinstance(last, int):
        return "a stage", list(_stage_keys())
    if isinstance(node, dict) and isinstance(node.get("block"), str) and node["block"] in FAMILIES:
        return f"a `{node['block']}` block", field_names(FAMILIES[node["block"]].model)
    if last in NORM_KEYS:
        return "a norm", field_names(NormSpec)
    return "a block", sorted({n for fam in FAMILIES.values() for n in field_names(fam.model)})


def misplaced_key(path: Path, data: Any, name: str) -> tuple[str, str] | None:
    """Where a key that is unknown at ``path`` does belong, as (note, fix); None if nowhere.

    A key that is valid one level up or down (a block's `exp` dedented into its stage, a stage's
    `depth` at the top level) is an indentation mistake, not a typo: say so instead of offering
    the key itself as "did you mean".
    """
    here, keys = _place(path, data)
    return misplaced_note(name, here) if name not in keys else None


def misplaced_note(name: str, here: str) -> tuple[str, str] | None:
    """(note, fix) naming the places where ``name`` is a key, other than ``here``."""
    from archspec.blocks.base import NormSpec
    from archspec.spec.models import InputSpec, WidthSpec

    owners = [label for label, keys in (
        ("the top level", TOP_LEVEL_KEYS), ("a stage", _stage_keys()),
        ("`input`", field_names(InputSpec)), ("`width`", field_names(WidthSpec)),
        ("a norm", field_names(NormSpec))) if name in keys and label != here]
    families = sorted(tag for tag, fam in FAMILIES.items()
                      if name in field_names(fam.model) and f"a `{tag}` block" != here)
    if families and name != "block":
        owners.append(f"a block ({', '.join(families)})")
    if not owners:
        return None
    note = f"`{name}` is a key of {' or '.join(owners)}, not of {here}"
    if here == "a variant":  # say where the override goes
        where = {"a stage": f"stages: {{<stage>: {{{name}: …}}}}", "`input`":
                 f"input: {{{name}: …}}", "`width`": f"width: {{{name}: …}}"}
        ways = [f"`{where[o]}`" for o in owners if o in where]
        if families:
            ways.append(f"`stages: {{<stage>: {{block: {{{name}: …}}}}}}`")
        return note, (f"override it where the base writes it: {' or '.join(ways)}" if ways
                      else "remove it: a variant cannot change it")
    if here.startswith("a `") and owners == [owners[-1]] and families:
        return note, f"remove it (only {', '.join(families)} blocks have `{name}`)"
    if here == "`defaults`" and families:
        return note, f"defaults are keyed by block type: `defaults: {{{families[0]}: {{{name}: …}}}}`"
    if here == "a stage" and families:
        return note, "check the indentation: a block's keys go under the stage's `block:` " \
            "(or `first:`)"
    return note, f"check the indentation: `{name}` belongs in {' or '.join(owners)}"


@cache
def _stage_keys() -> tuple[str, ...]:
    from archspec.spec.models import _stage_model

    return tuple(field_names(_stage_model()))


def field_names(model: type) -> list[str]:
    """The keys a model takes, as written in YAML (aliases where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]  # type: ignore[attr-defined]
