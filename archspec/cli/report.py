"""``archspec report``: one spec's variants, linted and analysed (with ``--device``, predicted),
as one self-contained HTML page (archspec/report/html_report.py, decision 0038)."""

from __future__ import annotations

import argparse
import sys

from archspec.cli.lint import read_device_and_target, run_linted
from archspec.cli.output import PROG, Outcome, text_outcome
from archspec.report.escape import escape


def cmd_report(args: argparse.Namespace) -> Outcome:
    from archspec.report.html_report import collect, html_page

    read_device_and_target(args)  # before the spec: a bad profile is exit 2, located
    report = collect(run_linted(args.spec, args)[1])
    for note in report.notes:  # the page says so too, where the diagram would be
        print(f"{PROG} report: warning: {escape(note)}", file=sys.stderr)
    return text_outcome(html_page(report), args.output)
