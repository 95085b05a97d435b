"""The lint engine: resolve and trace each variant, run the selected rules, apply suppressions.

Selection, as ruff does it: the rules the target selects (``ALL`` by default), or ``select`` when
given (codes, prefixes such as ``G`` or ``S1``, or rule names), minus the target's ``ignore``,
the configuration's and the caller's. A finding on a block whose ``noqa`` names its code is
dropped and the entry marked used; A001 then reports entries that excused nothing. Findings are
returned per variant (``variant`` set), sorted by file position, code, variant and message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, SpecError, merge_repeats
from archspec.rules.context import LintContext
from archspec.rules.registry import RULES, sorted_codes
from archspec.rules.targets import Target, load_target, selected, unknown_selector

if TYPE_CHECKING:
    from archspec.graph.opgraph import OpGraph
    from archspec.rules.config import Config
    from archspec.spec.document import Document
    from archspec.spec.resolved import ResolvedNet

TargetLike = "Target | str | os.PathLike[str] | None"
LAST = "A001"  # reads what the other rules suppressed


class UnknownSelector(ValueError):
    """A ``--select``/``--ignore`` entry that matches no rule."""


def _target(target: Target | str | os.PathLike[str] | None) -> Target:
    return target if isinstance(target, Target) else load_target(target)


def select_codes(target: Target, select: Iterable[str] | None = None,
                 ignore: Iterable[str] | None = None) -> list[str]:
    """The codes that run: ``select`` (or the target's) minus the target's and ``ignore``."""
    select = list(select) if select is not None else None
    ignore = list(ignore or [])
    for selector in [*(select or []), *ignore]:
        bad = unknown_selector(selector)
        if bad:
            raise UnknownSelector(bad)
    chosen = select if select is not None else list(target.select)
    return selected(sorted_codes(), chosen, [*target.ignore, *ignore])


def run_rules(ctx: LintContext, codes: list[str]) -> list[Diagnostic]:
    """Every rule of ``codes`` on one context; suppressed findings dropped, A001 last."""
    ctx.ran = frozenset(codes)
    findings: list[Diagnostic] = []
    for code in [c for c in codes if c != LAST] + ([LAST] if LAST in codes else []):
        rule = RULES[code]()
        for finding in rule.check(ctx, ctx.target.options(code)):
            if not ctx.excused(finding.code, finding.block):
                findings.append(finding)
    return merge_repeats(findings)


def lint_resolved(net: ResolvedNet, graph: OpGraph, *,
                  target: Target | str | os.PathLike[str] | None = None,
                  select: Iterable[str] | None = None,
                  ignore: Iterable[str] | None = None) -> list[Diagnostic]:
    """Findings for one resolved variant and its op graph."""
    resolved_target = _target(target)
    codes = select_codes(resolved_target, select, ignore)
    ctx = LintContext(net, graph, resolved_target)
    return sorted(run_rules(ctx, codes), key=_order([net.variant]))


def lint_document(document: Document, *, variant: str | None = None,
                  target: Target | str | os.PathLike[str] | None = None,
                  select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                  config: Config | None = None) -> list[Diagnostic]:
    """Findings for every variant of ``document`` (or only ``variant``).

    ``target`` (else the configuration's, else ``default``) decides rules, thresholds and
    fusions; the configuration's per-rule options apply over it. Spec errors raise SpecError.
    """
    from archspec.blocks.trace import trace
    from archspec.spec.resolve import resolve_variants

    if config is not None and target is None:
        target = config.target
    resolved_target = _target(target)
    if config is not None and config.rules:
        resolved_target = resolved_target.with_options(config.rules, config.where,
                                                       config.source)
    if select is None and config is not None:
        select = config.select
    ignore = [*(config.ignore if config is not None else ()), *(ignore or [])]
    codes = select_codes(resolved_target, select, ignore)
    variants: list[str | None] = [variant] if variant is not None else (
        list(document.variants) or [None])
    nets, problems = resolve_variants(document, variants)
    if problems:  # every variant's, those of the base once
        raise SpecError(problems)
    findings: list[Diagnostic] = []
    for net in nets:
        ctx = LintContext(net, trace(net), resolved_target)
        findings.extend(run_rules(ctx, codes))
    return sorted(findings, key=_order(variants))


def _order(variants: Sequence[str | None]) -> Callable[[Diagnostic], tuple[Any, ...]]:
    rank = {v: i for i, v in enumerate(variants)}

    def key(d: Diagnostic) -> tuple[Any, ...]:
        return (d.span.file, d.span.line, d.span.col, d.code, rank.get(d.variant, 0),
                d.block or "", d.message)

    return key
