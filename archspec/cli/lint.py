"""``archspec lint``: the pipeline over each file (every variant, or ``--variant``), with the
``[tool.archspec]`` configuration of the pyproject.toml nearest the spec, rendered together."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from archspec.cli.output import Outcome, UsageError

if TYPE_CHECKING:
    from archspec.pipeline import RunResult
    from archspec.report.model import FileReport


def codes(values: list[str] | None) -> list[str] | None:
    """``--select G1,G2 --select S101`` → ``['G1', 'G2', 'S101']`` (None when not given)."""
    if values is None:
        return None
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def read_device_and_target(args: argparse.Namespace) -> None:
    """Replace ``args.device`` and ``args.target`` by what they name, once, before any spec:
    --device, else $ARCHSPEC_DEVICE (decision 0024), and --target. A bad profile is exit 2,
    located in the profile; a bad target is nobody's spec error."""
    from archspec.latency.profile import resolve_device

    args.device = resolve_device(args.device)
    if args.target is not None:
        from archspec.rules.targets import load_target

        args.target = load_target(args.target)


def run_linted(path: str, args: argparse.Namespace) -> tuple[str, RunResult]:
    """One spec file (or a shipped network's name) through :func:`archspec.pipeline.run_file`
    with the lint options of ``args`` (after :func:`read_device_and_target`) and the
    ``[tool.archspec]`` configuration nearest the spec; with the spec file's path."""
    from archspec.pipeline import LintRequest, run_file
    from archspec.rules.engine import UnknownSelector
    from archspec.spec.zoo import locate

    path, variant = locate(path, args.variant)  # a shipped network's name: its file and variant
    request = LintRequest(args.target, codes(args.select), codes(args.ignore),
                          config_dir=Path(path).resolve().parent)
    try:
        return path, run_file(path, variant=variant, lint=request, device=args.device)
    except UnknownSelector as exc:
        raise UsageError(f"--select/--ignore: {exc}") from None


def lint_file(path: str, args: argparse.Namespace) -> FileReport:
    """One file's report from :func:`run_linted`. Every mistake at once: variants that passed
    pass 1 are resolved even when others did not, and an error several variants share is
    reported once."""
    from archspec.report.model import FileReport, VariantSummary

    path, result = run_linted(path, args)
    report = FileReport(path)
    report.diagnostics.extend(result.spec_errors)
    report.variants.extend(VariantSummary(
        v.net.variant, v.totals.params, v.totals.macs,
        v.latency.total_ms if v.latency else None, v.latency.missing if v.latency else ())
        for v in result.variants if v.net is not None and v.totals)
    report.diagnostics.extend(result.lint_errors)
    report.diagnostics.extend(result.findings)
    return report


def cmd_lint(args: argparse.Namespace) -> Outcome:
    from archspec.report import render_lint
    from archspec.report.model import LintReport

    read_device_and_target(args)
    report = LintReport([lint_file(path, args) for path in args.specs], device=args.device)
    return Outcome(report.exit_code, lambda out: render_lint(report, args.format, out))
