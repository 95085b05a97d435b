"""A candidate's overrides as the last layer over the chosen variant.

The axes of a space are written as dotted paths (``stages.s3.depth``, ``stages.*.block.dw_k``,
``width.mult``, ``input.size``); :func:`nested` turns one candidate's values into the mapping a
variant override would write (stages addressed by name), and :func:`candidate_document` merges it
onto the variant with the same code a ``variants:`` entry goes through, so a candidate means
exactly what the same values written as a variant would mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archspec.diagnostics import Diagnostic
from archspec.spec.document import Document, check_merged, merge_variant
from archspec.spec.located import Located

#: the name a candidate's network is resolved under when the base spec has no variants
SWEEP_VARIANT = "sweep"
WILDCARD = "*"


def split(path: str, stages: Sequence[str] = ()) -> tuple[str, ...]:
    """A dotted axis path as keys; a stage is named by the longest of ``stages`` (or ``*``)
    that the path goes through, so a stage name may itself hold a dot."""
    if path.startswith("stages."):
        rest = path[len("stages."):]
        names = sorted([*stages, WILDCARD], key=len, reverse=True)
        name = next((n for n in names if rest.startswith(n + ".")), None)
        if name is not None:
            return ("stages", name, *rest[len(name) + 1:].split("."))
    return tuple(path.split("."))


def stage_names(data: Mapping[str, Any]) -> list[str]:
    return [str(s.get("name")) for s in data.get("stages") or [] if isinstance(s, dict)]


def wildcard_stages(data: Mapping[str, Any], rest: Sequence[str]) -> list[str]:
    """The stages a ``stages.*.<rest>`` path reaches: every stage for a stage's own key
    (``depth``, ``out``), else those that have ``rest[0]`` (a ``block``/``first`` template)."""
    stages = [s for s in data.get("stages") or [] if isinstance(s, dict)]
    if rest[0] in ("depth", "out") or len(rest) == 1:
        return [str(s.get("name")) for s in stages]
    return [str(s.get("name")) for s in stages if rest[0] in s]


def nested(values: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """One candidate's values as a variant override: wildcard paths first, so a path naming
    one stage wins over ``stages.*`` whatever their order in the file. ``data``: the variant's
    network (which stages a wildcard reaches)."""
    out: dict[str, Any] = {}
    names = stage_names(data)
    parts_of = {path: split(path, names) for path in values}
    ordered = sorted(values.items(), key=lambda kv: WILDCARD not in parts_of[kv[0]])
    for path, value in ordered:
        parts = parts_of[path]
        if len(parts) > 2 and parts[0] == "stages" and parts[1] == WILDCARD:
            for name in wildcard_stages(data, parts[2:]):
                _put(out, ("stages", name, *parts[2:]), value)
        else:
            _put(out, parts, value)
    return out


def _put(out: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    here = out
    for part in parts[:-1]:
        nxt = here.setdefault(part, {})
        assert isinstance(nxt, dict)
        here = nxt
    here[parts[-1]] = value


def variant_name(variant: str | None) -> str:
    return variant if variant is not None else SWEEP_VARIANT


def candidate_network(document: Document, variant: str | None, values: Mapping[str, Any]
                      ) -> tuple[Located, list[Diagnostic]]:
    """The variant's network with ``values`` merged as its last layer, and its pass-1
    problems (a stage name that does not exist, a value out of range), returned, not
    raised."""
    base = document.located(variant)
    override = nested(values, base.data)
    name = variant_name(variant)
    merged, problems = merge_variant(base, Located(override, {}, ("sweep",)), document.source,
                                     name)
    return merged, problems or check_merged(merged, document.source, name)


def candidate_document(document: Document, variant: str | None, network: Located) -> Document:
    """A document whose only variant, :func:`variant_name`, is ``network`` (the base's source,
    so every location still points into the base spec)."""
    return Document(document.source, document.spec, {variant_name(variant): network})
