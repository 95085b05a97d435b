"""``archspec report``: one spec's variants, linted and analysed (with ``--device``, predicted),
as one self-contained HTML page (archspec/report/html_report.py, decision 0038)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archspec.cli.lint import codes
from archspec.cli.output import PROG, Outcome, UsageError, text_outcome
from archspec.report.escape import escape


def cmd_report(args: argparse.Namespace) -> Outcome:
    from archspec.latency.profile import resolve_device
    from archspec.pipeline import LintRequest, run_file
    from archspec.report.html_report import collect, html_page
    from archspec.rules.engine import UnknownSelector
    from archspec.spec.zoo import locate

    device = resolve_device(args.device)  # before the spec: a bad profile is exit 2, located
    target = None
    if args.target is not None:
        from archspec.rules.targets import load_target

        target = load_target(args.target)
    path, variant = locate(args.spec, args.variant)
    request = LintRequest(target, codes(args.select), codes(args.ignore),
                          config_dir=Path(path).resolve().parent)
    try:
        result = run_file(path, variant=variant, lint=request, device=device)
    except UnknownSelector as exc:
        raise UsageError(f"--select/--ignore: {exc}") from None
    report = collect(result)
    for note in report.notes:  # the page says so too, where the diagram would be
        print(f"{PROG} report: warning: {escape(note)}", file=sys.stderr)
    return text_outcome(html_page(report), args.output)
