"""Every bug in ``_known_bugs.BUGS``, reproduced from its minimal spec (strict xfail: a fix
makes the test XPASS, which fails the run until the entry is removed)."""

from __future__ import annotations

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.spec.source import parse_source

from ._known_bugs import BUGS


@pytest.mark.parametrize("bug_id", sorted(BUGS) or [pytest.param(None, marks=pytest.mark.skip(
    reason="no known bugs"))])
@pytest.mark.xfail(strict=True, reason="known bug, see tests/property/_known_bugs.py")
def test_known_bug(bug_id: str) -> None:
    """The minimal spec is refused with exactly the one error it deserves, at the field at
    fault; any other outcome (acceptance, another error or place, an exception) is the bug."""
    bug = BUGS[bug_id]
    with pytest.raises(SpecError) as info:
        doc = archspec.loads(bug.yaml, "bug.yaml")
        for variant in doc.variants or [None]:
            archspec.trace(archspec.resolve(doc, variant))
    diagnostics = info.value.diagnostics
    want = parse_source(bug.yaml, "bug.yaml").span_of(bug.field)
    assert [(d.code, d.span) for d in diagnostics] == [(bug.code, want)], bug.summary
