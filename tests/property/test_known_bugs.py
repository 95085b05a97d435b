"""Every bug in ``_known_bugs.BUGS``, reproduced from its minimal spec (strict xfail: a fix
makes the test XPASS, which fails the run until the entry is removed)."""

from __future__ import annotations

import pytest

import archspec
from archspec.diagnostics import SpecError

from ._known_bugs import BUGS


def _reported_cleanly(text: str) -> bool:
    """True when archspec either accepts ``text`` as a non-empty network or refuses it with
    exactly one located error whose message names what was wrong and nothing else."""
    try:
        doc = archspec.loads(text, "bug.yaml")
        for variant in doc.variants or [None]:
            net = archspec.resolve(doc, variant)
            archspec.trace(net)
            if not net.blocks:
                return False
    except SpecError as exc:
        diags = exc.diagnostics
        return len(diags) == 1 and diags[0].span.line > 1 and "literal[" not in diags[0].message
    return True


@pytest.mark.parametrize("bug_id", sorted(BUGS))
@pytest.mark.xfail(strict=True, reason="known bug, see tests/property/_known_bugs.py")
def test_known_bug(bug_id: str) -> None:
    bug = BUGS[bug_id]
    text = bug.yaml
    if bug_id == "tag-named-field":
        with pytest.raises(SpecError) as info:
            archspec.loads(text, "bug.yaml")
        assert "strid" in info.value.diagnostics[0].message, bug.summary
        return
    if bug_id == "size-union":
        with pytest.raises(SpecError) as info:
            archspec.loads(text, "bug.yaml")
        assert info.value.diagnostics[0].code == "E122", bug.summary
        return
    assert _reported_cleanly(text), bug.summary
