"""Bugs the properties found in other modules, reported and not yet fixed.

Each entry names the bug, where it lives and a minimal spec, and says which failing inputs it
explains. ``test_known_bugs.py`` reproduces every entry as a strict xfail, so fixing a bug turns
its test into an XPASS failure that asks for the entry to be deleted here; the properties skip
(``assume``, recorded as a hypothesis event) inputs an entry explains, so one known bug does not
hide new ones.

Fixed since they were found (and now guarded by near misses): mid rounding to 0, dw_skip and
ShuffleNet units with even kernels, an unknown block type in ``first:``, union-member noise and
block tags equal to field names in error locations, defaults anchoring block errors, duplicate
stage names located at the root, `true`/`2.0` accepted by integer literals (`stride`, `archspec`),
an error in a `norm` block's `norm` field inside parallel branches located at the branch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archspec.diagnostics import Diagnostic


@dataclass(frozen=True)
class KnownBug:
    id: str
    where: str  # file: function
    summary: str
    yaml: str  # a minimal spec that shows it
    code: str  # the one error archspec should report for it ...
    field: tuple[str | int, ...]  # ... at the value of this key path
    #: the unexpected exception is this bug (fuzz tests)
    crash: Callable[[BaseException], bool] = lambda exc: False
    #: this near miss was reported wrongly because of this bug: (near miss, diagnostics or None
    #: when nothing was raised, parsed source of the dumped text)
    near_miss: Callable[[Any, list[Diagnostic] | None, Any], bool] = lambda nm, d, s: False


BUGS: dict[str, KnownBug] = {b.id: b for b in [
    # KnownBug("id", "archspec/...: function", "what goes wrong", "archspec: 1\n...", "E1xx",
    #          ("key", "path"), crash=lambda exc: ..., near_miss=lambda nm, d, source: ...),
]}


def crash_bug(exc: BaseException) -> str | None:
    """The known bug an unexpected exception is, if any."""
    return next((b.id for b in BUGS.values() if b.crash(exc)), None)


def near_miss_bug(nm: Any, diagnostics: list[Diagnostic] | None, source: Any) -> str | None:
    """The known bug a wrongly reported near miss hits, if any."""
    return next((b.id for b in BUGS.values() if b.near_miss(nm, diagnostics, source)), None)
