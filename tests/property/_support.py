"""What the property tests share: example counts per profile, loading generated documents with
their YAML noted for failure reports, and comparing resolved networks without locations."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from hypothesis import note, settings

import archspec
from archspec.diagnostics import Span
from archspec.spec.document import Document

FILE = "generated.yaml"


def examples(*, cheap: bool = True) -> int:
    """Examples for one property under the loaded profile: the profile's count for cheap
    (torch-free) properties, a sixth of it (at least 10) for those that build modules."""
    n = settings.default.max_examples
    return n if cheap else max(10, n // 6)


def load_generated(document: dict[str, Any], file: str = FILE) -> Document:
    """Dump a generated document, note the YAML (printed with a failing example, ready to paste
    into a bug report) and load it back."""
    text = archspec.dump(document)
    note(f"--- {file}\n{text}")
    return archspec.loads(text, file)


def variants_of(doc: Document) -> list[str | None]:
    """What ``archspec.resolve`` can be asked for: each variant, or the base when there are none."""
    return list(doc.variants) or [None]


def without_locations(value: Any) -> Any:
    """A resolved value with every span, file name and origin map dropped, for comparison."""
    if isinstance(value, Span):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (f.name, without_locations(getattr(value, f.name)))
            for f in dataclasses.fields(value)
            if f.compare and f.name not in ("span", "file", "field_spans", "noqa_spans"))
    if isinstance(value, Mapping):
        return tuple(sorted((k, without_locations(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(without_locations(v) for v in value)
    return value


def typed(value: Any) -> Any:
    """Plain data with every scalar tagged by its type (1 and 1.0 and True differ)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)
