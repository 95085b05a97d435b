"""A001: suppressions are audited: a ``noqa`` that excuses nothing is itself a finding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, Severity
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext


class UnusedOptions(RuleOptions):
    pass


@register
class UnusedNoqa(Rule):
    """A `noqa` entry that suppresses nothing.

    ## What it does
    After every selected rule has run on a variant, reports each `noqa: {CODE: reason}` entry
    (on a stage or a block) that excused no finding and no contribution to a network figure of
    its rule. Entries for rules that did not run (not selected, or ignored) are not judged.

    ## Why is this bad?
    A suppression outlives its reason: the block was changed, the threshold moved, the finding
    went away, and the `noqa` stays, ready to hide the next real finding at that place. Reasons
    are required (a `noqa` without one, or naming an unknown code, is a spec error, E160); this
    rule keeps them honest.

    ## Formula
    No figure: an entry is unused when no finding of its code on its block (or the blocks of its
    stage) was suppressed in the variant being linted. Each variant is linted on its own, so an
    entry used by one variant only is reported for the others.

    ## Example
    ```yaml
    - name: s1
      out: 32
      depth: 2
      noqa: {G1: "expansion kept for accuracy"}       # but every 1×1 conv here is balanced
      block: {block: mmb, exp: 1}
    ```

    ## Use instead
    Remove the entry, or move it next to the finding it excuses.

    ```yaml
    - {name: s1, out: 32, depth: 2, block: {block: mmb, exp: 1}}
    ```
    """

    code = "A001"
    name = "unused-noqa"
    severity = Severity.WARNING
    Options = UnusedOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        """Nothing on its own: what it reports depends on what every other rule excused, so
        the engine runs :meth:`unused` after them (a post-pass, not a rule run last)."""
        return iter(())

    def unused(self, ctx: LintContext, options: Any, *, ran: frozenset[str]
               ) -> Iterator[Diagnostic]:
        """The entries of the codes that ``ran`` that excused no finding and no contribution to
        a figure (``ctx.used``: what :meth:`LintContext.excused` granted while they ran)."""
        for s in ctx.all_suppressions():
            if s.code not in ran or (s.code, s.span) in ctx.used or s.code == self.code:
                continue
            yield self.report(
                ctx, options,
                message=f"`noqa` for {s.code} suppresses nothing in this variant "
                        f"(reason given: \"{s.reason}\")",
                fix=f"remove `{s.code}` from this noqa",
                block=s.block, span=s.span,
                data={"value": s.code, "reason": s.reason})
