"""The generator follows the block registry: one generator per registered family (a family
without one is an explicit error), and the near misses' type breaks are derived from the models,
covering every value field of every block model."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from archspec import blocks
from archspec.blocks.base import NormSpec
from archspec.testing import strategies as S
from archspec.testing.strategies import registry
from archspec.testing.strategies.fields import (
    FIELDS,
    NORM_FIELDS,
    REQUIRED,
    FieldKind,
    structural_keys,
)


def test_generator_families_are_the_registry_families() -> None:
    assert tuple(blocks.FAMILIES) == S.FAMILIES
    assert tuple(registry.generators()) == tuple(blocks.FAMILIES)
    for tag, gen in registry.generators().items():
        assert gen.tag == tag


def test_a_family_without_a_generator_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(blocks.FAMILIES, "nosuchfamily", blocks.FAMILIES["conv"])
    registry.generators.cache_clear()
    try:
        with pytest.raises(registry.MissingGenerator, match="families/nosuchfamily.py"):
            registry.generators()
    finally:
        monkeypatch.undo()
        registry.generators.cache_clear()
    assert tuple(registry.generators()) == tuple(blocks.FAMILIES)


def test_families_option_refuses_unknown_families() -> None:
    with pytest.raises(ValueError, match="unknown block families"):
        S.documents(families=["conv", "nosuchfamily"])


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _valid(kind: FieldKind | None, info: Any) -> Any:
    """A valid value for a required field, so a break is not hidden by a missing key."""
    if kind is None:
        # a parallel's branches (one empty branch), a residual's blocks (one block)
        return [[]] if "list[list" in str(info.annotation) else [{"block": "act", "act": "relu"}]
    if kind.kind == "literal":
        return get_args(info.annotation)[0]
    return {"int": 8, "float": 0.5, "norm": "bn", "bool": True}[kind.kind]


def _smallest(tag: str) -> dict[str, Any]:
    fields = _fields(blocks.FAMILIES[tag].model)
    return {"block": tag, **{key: _valid(FIELDS[tag].get(key), fields[key])
                             for key in REQUIRED[tag]}}


@pytest.mark.parametrize("tag", sorted(blocks.FAMILIES))
def test_every_value_field_of_every_block_model_has_breaks(tag: str) -> None:
    model = blocks.FAMILIES[tag].model
    fields = _fields(model)
    assert set(fields) - structural_keys(model) == set(FIELDS[tag]), tag
    assert set(REQUIRED[tag]) == {k for k, info in fields.items()
                                  if info.is_required() and k != "block"}
    for key, kind in FIELDS[tag].items():
        assert kind.type_breaks, (tag, key)
        for value in [v for v, _ in kind.type_breaks] + list(kind.out_of_range):
            with pytest.raises(ValidationError) as info:
                model.model_validate({**_smallest(tag), key: value})
            # the field's own error (a cross-field check such as mmb's exp-or-mid may add one)
            assert key in {e["loc"][0] for e in info.value.errors() if e["loc"]}, (tag, key)


def test_every_field_of_a_norm_mapping_has_breaks() -> None:
    assert set(NORM_FIELDS) == set(NormSpec.model_fields)
    for key, kind in NORM_FIELDS.items():
        for value in [v for v, _ in kind.type_breaks] + list(kind.out_of_range):
            with pytest.raises(ValidationError):
                NormSpec.model_validate({"type": "bn", key: value})


def test_wrong_types_and_ranges_follow_the_annotations() -> None:
    """Spot checks of the derivation against what the models declare."""
    assert FIELDS["conv"]["k"].out_of_range == (0, -3)  # PosInt: ge=1
    assert FIELDS["pool"]["padding"].out_of_range == (-1, -4)  # NonNegInt: ge=0
    assert FIELDS["mmb"]["se"].out_of_range == (-0.5, 4.5)  # ge=0, le=4
    assert FIELDS["shuffle"]["split"].out_of_range == (0.0, 1.0)  # gt=0, lt=1
    assert (3, "E122") in FIELDS["shuffle"]["stride"].type_breaks  # Literal[1, 2]
    assert FIELDS["pool"]["global"].kind == "bool"  # by its alias
    assert FIELDS["mmb"]["dw_norm"].kind == "norm"
    assert FIELDS["conv"]["groups"].kind == "int"  # a width or `depthwise`
