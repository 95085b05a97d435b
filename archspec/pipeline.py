"""The one way from a spec to its figures and findings:
``load → per variant: resolve → trace → check → {lint, analyse}``.

The command line (``lint``, ``profile``, ``build``) and the Python API (:func:`archspec.resolve`,
:func:`archspec.analyze`, :func:`archspec.lint`, :func:`archspec.build`) all call :func:`run`
(or :func:`run_file`, which loads first), so each variant is resolved once and traced once per
run, and that graph is what the size check, the rules and the analysis read. Nothing is cached
between runs: a :class:`VariantResult` holds what this run computed (decision 0016).

Every mistake at once: a variant that fails does not stop the others, and an error several
variants share (one in the base network) is reported once (:attr:`RunResult.errors`).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from archspec.diagnostics import (
    Diagnostic,
    Span,
    SpecError,
    cap,
    error,
    merge_variants,
    show_number,
)
from archspec.graph.op import numel

if TYPE_CHECKING:
    from archspec.blocks.rep import Deployed
    from archspec.blocks.trace import TraceCache
    from archspec.graph.opgraph import OpGraph, Totals
    from archspec.latency.model import DeviceProfile
    from archspec.latency.predict import Prediction
    from archspec.rules.config import Config
    from archspec.rules.engine import LintSetup
    from archspec.rules.targets import Target
    from archspec.spec.document import Document
    from archspec.spec.resolved import ResolvedNet

InputSize = int | tuple[int, int]


@dataclass(frozen=True)
class LintRequest:
    """Lint the variants that resolve: the target (a shipped name, a file or a Target), the
    caller's ``select``/``ignore``, and, with ``config_dir``, the ``[tool.archspec]`` table of
    the pyproject.toml nearest that directory (as ``archspec lint`` does)."""

    target: Target | str | os.PathLike[str] | None = None
    select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    config_dir: Path | None = None

    def config(self) -> Config | None:
        """The configuration (SpecError for a pyproject.toml that cannot be read)."""
        if self.config_dir is None:
            return None
        from archspec.rules.config import find_config

        return find_config(self.config_dir)

    def setup(self, config: Config | None) -> LintSetup:
        """The target and codes (SpecError for a bad target or bad rule options,
        UnknownSelector for a ``select``/``ignore`` entry that names no rule)."""
        from archspec.rules.engine import prepare

        return prepare(target=self.target, select=self.select, ignore=self.ignore,
                       config=config)


@dataclass(frozen=True)
class VariantResult:
    """One variant of a run: its network and graph (None when it has spec errors), its spec
    errors as resolution and the size check raised them, its findings (None when not linted)
    and its totals."""

    variant: str | None  # as asked for (None: the file's default variant)
    net: ResolvedNet | None
    graph: OpGraph | None
    errors: tuple[Diagnostic, ...] = ()
    findings: tuple[Diagnostic, ...] | None = None
    totals: Totals | None = None
    #: the network predicted on the run's device profile (None without one)
    latency: Prediction | None = None
    #: with ``deploy``: what the deploy form changed (``graph`` is then the deploy form's)
    deployed: Deployed | None = None

    def require(self) -> tuple[ResolvedNet, OpGraph]:
        """The network and its graph; SpecError with this variant's errors when it has any."""
        if self.net is None or self.graph is None:
            raise SpecError(self.errors)
        return self.net, self.graph


@dataclass(frozen=True)
class RunResult:
    """A run over one document: the file-level problems (pass 1, or a file that cannot be read)
    and one result per variant asked for, in that order."""

    document: Document | None
    problems: tuple[Diagnostic, ...] = ()  # pass 1: the file's, and each failed variant's
    variants: tuple[VariantResult, ...] = ()
    #: errors of the lint configuration (``[tool.archspec]``), reported with the findings
    lint_errors: tuple[Diagnostic, ...] = ()
    #: False when the file could not be read or parsed (``problems`` is then already capped)
    readable: bool = True

    def nets(self) -> list[ResolvedNet]:
        return [v.net for v in self.variants if v.net is not None]

    @property
    def errors(self) -> list[Diagnostic]:
        """The variants' spec errors, each labelled with its variant; one several variants share
        is reported once (see :func:`~archspec.diagnostics.merge_variants`)."""
        return merge_variants(d if d.variant else replace(d, variant=v.variant)
                              for v in self.variants for d in v.errors)

    @property
    def spec_errors(self) -> list[Diagnostic]:
        """Every spec error of the file, pass 1's first, capped per file (E152)."""
        if not self.readable:
            return list(self.problems)
        return cap([*self.problems, *self.errors])

    @property
    def complete(self) -> bool:
        """Whether every network of the file asked for resolved."""
        return self.document is not None and not self.document.failed and \
            all(v.net is not None for v in self.variants)

    @property
    def findings(self) -> list[Diagnostic]:
        """Every variant's findings: in file order across variants when the run is complete,
        else variant by variant (each in file order)."""
        from archspec.rules.engine import order

        found = [d for v in self.variants for d in (v.findings or ())]
        if self.complete:
            return sorted(found, key=order([v.variant for v in self.variants]))
        return found


class _RegistryCodes(Collection[str]):
    """The rule registry's codes, which a ``noqa`` may name; the rules are imported only when a
    spec has a ``noqa`` to check (profile and the API stay light)."""

    def _codes(self) -> frozenset[str]:
        from archspec.rules.codes import known_codes

        return known_codes()

    def __contains__(self, code: object) -> bool:
        return code in self._codes()

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes())

    def __len__(self) -> int:
        return len(self._codes())


RULE_CODES: Collection[str] = _RegistryCodes()


def run(document: Document, variants: Sequence[str | None], *, num_classes: int | None = None,
        in_channels: int | None = None, input_size: InputSize | None = None,
        lint: LintRequest | None = None, problems: Sequence[Diagnostic] = (),
        device: DeviceProfile | None = None, trace_cache: TraceCache | None = None,
        deploy: bool = False) -> RunResult:
    """Each of ``variants`` resolved, traced once, checked (sizes), predicted on ``device`` when
    given and, with ``lint``, linted on that graph (figures in predicted time with a device).
    ``problems``: pass 1's, carried into the result. A variant that fails keeps its errors in
    its result; the others carry on. ``trace_cache``: blocks traced by earlier runs, replayed
    where they recur (a sweep's; see :class:`~archspec.blocks.trace.TraceCache`). ``deploy``:
    every figure (and the lint) is the deploy form's, BNs folded and linear branches
    re-parameterised (:func:`~archspec.blocks.rep.deploy_graph`, decision 0035)."""
    from archspec.blocks.trace import trace
    from archspec.spec.resolve import resolve

    results: list[VariantResult] = []
    for variant in variants:
        try:
            net = resolve(document, variant, num_classes=num_classes, in_channels=in_channels,
                          input_size=input_size, known_codes=RULE_CODES)
        except SpecError as exc:
            results.append(VariantResult(variant, None, None, tuple(exc.diagnostics)))
            continue
        graph = trace(net, trace_cache)
        too_large = size_errors(net, graph)
        if too_large:
            results.append(VariantResult(variant, None, None,
                                         tuple(SpecError(too_large).diagnostics)))
            continue
        deployed = None
        if deploy:
            from archspec.blocks.rep import deploy_graph

            deployed = deploy_graph(net, graph)
            graph = deployed.graph
        latency = None
        if device is not None:
            from archspec.latency.predict import predict

            latency = predict(graph, device)
        results.append(VariantResult(variant, net, graph, totals=graph.totals(), latency=latency,
                                     deployed=deployed))
    result = RunResult(document, tuple(problems), tuple(results))
    if lint is None or not result.nets():
        return result
    config = lint.config()  # a pyproject.toml that cannot be read stops the run
    try:
        setup = lint.setup(config)
    except SpecError as exc:
        return replace(result, lint_errors=tuple(exc.diagnostics))
    from archspec.rules.engine import lint_net

    linted = tuple(r if r.net is None or r.graph is None else
                   replace(r, findings=tuple(lint_net(r.net, r.graph, setup, r.latency)))
                   for r in results)
    return replace(result, variants=linted)


def run_file(path: str, *, variant: str | None = None, lint: LintRequest | None = None,
             device: DeviceProfile | None = None) -> RunResult:
    """:func:`run` on a spec file, after pass 1: every variant that passed it (or ``variant``);
    the file's problems are in the result, never raised."""
    from archspec.spec.document import check
    from archspec.spec.source import read_source

    try:
        document, problems = check(read_source(path))
    except SpecError as exc:
        return RunResult(None, tuple(exc.diagnostics), readable=False)
    if document is None or (variant in document.variants
                            and variant not in document.resolvable):
        return RunResult(document, tuple(problems))  # a variant that failed pass 1: no more
    variants: list[str | None] = [variant] if variant else document.resolvable
    return run(document, variants, lint=lint, problems=problems, device=device)


def lint(document: Document, request: LintRequest, variant: str | None = None, *,
         device: DeviceProfile | None = None) -> list[Diagnostic]:
    """The findings of every variant of ``document`` (or only ``variant``), in file order, with
    figures in predicted time on ``device`` when given; a SpecError with the spec errors of
    every variant (each once), or of the configuration."""
    variants: list[str | None] = [variant] if variant is not None else (
        list(document.variants) or [None])
    result = run(document, variants, lint=request, device=device)
    if result.errors or result.lint_errors:
        raise SpecError(result.errors or result.lint_errors)
    return result.findings


# ------------------------------------------------------------------------------------ check

MAX_PARAMS = 1_000_000_000


def size_errors(net: ResolvedNet, graph: OpGraph) -> list[Diagnostic]:
    """Absurd networks, refused before anything is allocated (E150 past a billion parameters,
    E151 for a tensor past 2^31 elements), pointing at the block that is too large (its ``out``
    where it has one)."""
    from archspec.spec.resolve import too_large

    blocks = {b.path: b for b in net.walk()}

    def where(path: str) -> Span:
        block = blocks.get(path)
        return block.origin.span_of("out") if block is not None else net.span

    problems = []
    params = graph.totals().params
    if params > MAX_PARAMS:
        per_block = graph.ops_by_block(b.path for b in net.blocks)
        largest = max(per_block, key=lambda p: sum(o.params for o in per_block[p]))
        held = sum(o.params for o in per_block[largest])
        problems.append(error("E150", f"{show_number(params, grouped=True)} parameters exceeds "
                              f"the limit of {MAX_PARAMS:,}; the largest block, `{largest}`, "
                              f"holds {show_number(held, grouped=True)}",
                              where(largest), variant=net.variant, block=largest,
                              fix="check the widths and depths for a typo"))
    from archspec.spec.resolve import MAX_TENSOR_ELEMS

    for op in graph.ops():
        if numel(op.out_shape) > MAX_TENSOR_ELEMS:
            problems.append(too_large(op.name, op.out_shape,
                                      where(op.block) if op.block else op.span, net.variant,
                                      op.block or None))
            break
    return problems
