"""Every block family has a spec model, a tracer and a torch module."""

from __future__ import annotations

from archspec.blocks import FAMILIES
from archspec.nn import MODULES


def test_every_family_has_model_tracer_and_module():
    for tag, family in FAMILIES.items():
        assert family.model is not None, tag
        assert callable(family.trace) or callable(family.trace_nested), tag
        assert tag in MODULES, f"no torch module for block family {tag!r}"
        assert callable(getattr(MODULES[tag], "from_resolved", None)), tag


def test_no_module_without_a_family():
    assert set(MODULES) == set(FAMILIES)
