"""The space file's format as pydantic models: validation (strict, unknown keys refused) and the
JSON Schema editors read (``archspec schema --space``, docs/sweep.schema.json).

:class:`SpaceFile` is the whole file as the schema shows it; :func:`archspec.sweep.space.load_space`
validates the top level (:data:`HEAD`) and each axis (:data:`AXIS`) separately, so that one bad
axis hides no other problem.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

from archspec.blocks.base import EXACT_INT
from archspec.spec.models import Name

FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Number = Annotated[int, EXACT_INT] | float


class RangeAxis(_Strict):
    """Evenly spaced values from ``min`` to ``max`` (inclusive where a step lands on it);
    integers when ``min``, ``max`` and ``step`` are all integers."""

    min: Number = Field(description="The first value.")
    max: Number = Field(description="The last value (inclusive when a step lands on it).")
    step: Number | None = Field(None, description="Distance between values (positive); "
                                "optional for an integer range (1), required for a float one.")


class TieAxis(_Strict):
    """Derived from another axis, never sampled: ``value = tie's value × times + plus``."""

    tie: str = Field(description="The axis (a path of this `space:`) this one follows.")
    times: Number | None = Field(None, description="Multiply the tied value (numbers only).")
    plus: Number | None = Field(None, description="Then add this (numbers only).")


Choices = Annotated[list[Any], Field(min_length=1, description="The values to try, in order.")]


def axis_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "tie" if "tie" in value else "range"
    return "choices"


AxisSpec = Annotated[Union[  # noqa: UP007 - a tagged union needs the typing form
    Annotated[Choices, Tag("choices")], Annotated[RangeAxis, Tag("range")],
    Annotated[TieAxis, Tag("tie")]], Discriminator(axis_kind)]


class SpaceFile(_Strict):
    """A sweep's search space: a base spec and variant, the axes to vary, combinations to skip.

    Axis paths: ``stages.<name>.out|depth``, ``stages.<name>.block.<field>``,
    ``stages.<name>.first.<field>``, ``stages.*.…`` (every stage that has it), and the keys a
    variant may override (``width.mult``, ``input.size``, ``drop_path``,
    ``defaults.<type>.<field>``)."""

    sweep: Annotated[Literal[1], EXACT_INT] = Field(description="Format version of the space file.")
    base: str = Field(min_length=1, description="The base spec: a path relative to this file, "
                      "or a shipped network's name (which picks its variant).")
    variant: Name | None = Field(None, description="The base's variant (default: its default).")
    space: dict[str, AxisSpec] = Field(min_length=1, description="Axis path → choices, range or tie.")
    skip: list[str] = Field(default_factory=list, description="Conditions that skip a "
                            "combination, e.g. `stages.s3.depth > 8 and input.size == 256`.")


FILE_KEYS = tuple(SpaceFile.model_fields)


class Head(SpaceFile):
    """The file with its axes unchecked: :func:`load_space` validates each axis on its own."""

    space: dict[str, Any] = Field(min_length=1)


HEAD: TypeAdapter[Any] = TypeAdapter(Head)
AXIS: TypeAdapter[Any] = TypeAdapter(AxisSpec)


def allowed(path: tuple[Any, ...], data: Any) -> list[str]:
    """The keys valid at the top of the file (for "did you mean")."""
    return list(FILE_KEYS) if path == () else []


def allowed_in_axis(path: tuple[Any, ...], data: Any) -> list[str]:
    """The keys valid in an axis mapping: a tie's or a range's."""
    if path != ():
        return []
    return list(TieAxis.model_fields if axis_kind(data) == "tie" else RangeAxis.model_fields)


def space_schema() -> dict[str, Any]:
    """The JSON Schema of the space file (``archspec schema --space``; docs/sweep.schema.json)."""
    from archspec.spec.schema import DIALECT

    schema = SpaceFile.model_json_schema()
    schema.pop("title", None)
    return {"$schema": DIALECT, "title": "archspec sweep space", **schema}
