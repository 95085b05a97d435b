"""Every rule documents itself: sections, a page in docs/rules/ equal to the generated one."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from archspec.report.rule_pages import index_page, rule_page, stale
from archspec.rules.base import SECTIONS
from archspec.rules.registry import RULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


@pytest.mark.parametrize("code", sorted(RULES))
def test_docstring_has_every_section_in_order(code: str) -> None:
    cls = RULES[code]
    doc = inspect.cleandoc(cls.__doc__ or "")
    headings = [line[3:].strip() for line in doc.splitlines() if line.startswith("## ")]
    assert headings[: len(SECTIONS)] == list(SECTIONS), headings
    assert doc.splitlines()[0].strip(), "the first line is the rule's summary"
    assert "MAC" not in doc.replace("MACs", ""), "memory access is never called MAC"
    page = rule_page(code)
    assert "## Options" in page and "## Targets" in page
    for name in cls.Options.model_fields:
        assert f"`{name}`" in page


def test_rule_page_by_name_and_unknown() -> None:
    assert rule_page("unequal-channel-width") == rule_page("G1")
    with pytest.raises(KeyError, match="did you mean"):
        rule_page("G11")


def test_checked_in_pages_equal_the_generated_ones() -> None:
    assert not stale(DOCS), ("docs/rules is out of date: run "
                             "`python -m archspec.report.rule_pages --write docs/rules`")
    for code in RULES:
        assert f"]({code}.md)" in index_page()
