"""Every block family has all its parts, each keyed by the same tag: a spec model, a resolved
record and a tracer (``FAMILIES``), a torch module built from that record (``MODULES``, in
``archspec/nn/<tag>.py``) and a generator (``archspec.testing.strategies.FAMILIES``)."""

from __future__ import annotations

import inspect
import typing

import pytest

from archspec.blocks import FAMILIES
from archspec.nn import MODULES
from archspec.testing import strategies


def test_every_side_knows_the_same_families():
    assert set(MODULES) == set(FAMILIES), "a family without a torch module, or the reverse"
    assert set(strategies.FAMILIES) == set(FAMILIES), "a family the generator cannot write"


@pytest.mark.parametrize("tag", sorted(FAMILIES))
def test_model_record_and_tracer_are_the_family_s(tag):
    family = FAMILIES[tag]
    assert family.tag == tag
    assert typing.get_args(family.model.model_fields["block"].annotation) == (tag,)
    assert family.resolved.family == tag
    assert callable(family.resolve)
    # a leaf traces (block, graph, input); a container also gets the callback for its children
    tracer, arity = (family.trace, 3) if family.trace is not None else (family.trace_nested, 4)
    assert callable(tracer) and len(inspect.signature(tracer).parameters) == arity


@pytest.mark.parametrize("tag", sorted(FAMILIES))
def test_torch_module_is_built_from_the_family_s_resolved_record(tag):
    module = MODULES[tag]
    assert module.__module__ == f"archspec.nn.{tag}"
    params = list(inspect.signature(module).parameters.values())
    assert [p.name for p in params] == ["block"], f"{module.__name__}{inspect.signature(module)}"
    hints = typing.get_type_hints(module.__init__)
    assert hints["block"] is FAMILIES[tag].resolved
