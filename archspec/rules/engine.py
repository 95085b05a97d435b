"""The lint engine: the selected rules on one resolved variant and its op graph.

Selection, as ruff does it: the rules the target selects (``ALL`` by default), or ``select`` when
given (codes, prefixes such as ``G`` or ``S1``, or rule names), minus the target's ``ignore``,
the configuration's and the caller's (:func:`prepare`, once per run). :func:`lint_net` then runs
them on a network it is given (resolving and tracing are :mod:`archspec.pipeline`'s): a finding
on a block whose ``noqa`` names its code is dropped, and after every rule has run a post-pass
reports the entries that excused nothing (A001, :mod:`archspec.rules.suppressions`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, merge_repeats
from archspec.rules.context import LintContext
from archspec.rules.registry import RULES, sorted_codes
from archspec.rules.suppressions import UnusedNoqa
from archspec.rules.targets import Target, load_target, selected, unknown_selector

if TYPE_CHECKING:
    from archspec.graph.opgraph import OpGraph
    from archspec.latency.predict import Prediction
    from archspec.rules.config import Config
    from archspec.spec.resolved import ResolvedNet


class UnknownSelector(ValueError):
    """A ``--select``/``--ignore`` entry that matches no rule."""


@dataclass(frozen=True)
class LintSetup:
    """What a lint run applies to every variant: the target (with the configuration's options)
    and the codes that run."""

    target: Target
    codes: tuple[str, ...]


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


def prepare(*, target: Target | str | os.PathLike[str] | None = None,
            select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
            config: Config | None = None) -> LintSetup:
    """The target and codes of a run. ``target`` (else the configuration's, else ``default``)
    decides rules, thresholds and fusions; the configuration's per-rule options apply over it.
    A bad configuration raises SpecError; an unknown selector :class:`UnknownSelector`."""
    if config is not None and target is None:
        target = config.target
    resolved = target if isinstance(target, Target) else load_target(target)
    if config is not None and config.rules:
        resolved = resolved.with_options(config.rules, config.where, config.source)
    if select is None and config is not None:
        select = config.select
    ignore = [*(config.ignore if config is not None else ()), *(ignore or [])]
    return LintSetup(resolved, tuple(select_codes(resolved, select, ignore)))


def run_rules(ctx: LintContext, codes: Sequence[str]) -> list[Diagnostic]:
    """Every rule of ``codes`` on one context, suppressed findings dropped; then, when A001 is
    among ``codes``, the unused-noqa post-pass over the entries that excused nothing."""
    findings: list[Diagnostic] = []
    for code in codes:
        if code == UnusedNoqa.code:
            continue
        rule = RULES[code]()
        findings.extend(f for f in rule.check(ctx, ctx.target.options(code))
                        if not ctx.excused(f.code, f.block))
    if UnusedNoqa.code in codes:
        post = UnusedNoqa()
        findings.extend(f for f in post.unused(ctx, ctx.target.options(post.code),
                                               ran=frozenset(codes))
                        if not ctx.excused(f.code, f.block))
    return merge_repeats(findings)


def lint_net(net: ResolvedNet, graph: OpGraph, setup: LintSetup,
             latency: Prediction | None = None) -> list[Diagnostic]:
    """Findings for one resolved variant and its op graph, in file order. With ``latency``
    (the network predicted on a device profile), rules state their figures in predicted time."""
    ctx = LintContext(net, graph, setup.target, latency=latency)
    return sorted(run_rules(ctx, setup.codes), key=order([net.variant]))


def order(variants: Sequence[str | None]) -> Callable[[Diagnostic], tuple[Any, ...]]:
    """The sort key of findings: file position, code, then ``variants``' order."""
    rank = {v: i for i, v in enumerate(variants)}

    def key(d: Diagnostic) -> tuple[Any, ...]:
        return (d.span.file, d.span.line, d.span.col, d.code, rank.get(d.variant, 0),
                d.block or "", d.message)

    return key
