"""Renderers for what archspec finds: text (rich), JSON, SARIF 2.1.0, GitHub annotations.

Spec errors and lint findings are both :class:`~archspec.diagnostics.Diagnostic`s collected in a
:class:`LintReport`; :func:`render_lint` lays them out in any format. Each format lives in its own
module and is imported only when used (rich only for text).
"""

from __future__ import annotations

from typing import IO

from archspec.report.model import SCHEMA_VERSION, FileReport, LintReport, VariantSummary

__all__ = ["FORMATS", "SCHEMA_VERSION", "FileReport", "LintReport", "VariantSummary",
           "render_lint"]

FORMATS = ("text", "json", "sarif", "github")


def render_lint(report: LintReport, fmt: str, stream: IO[str], *, summary: bool = True) -> None:
    """Write ``report`` to ``stream`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "text":
        from archspec.report.text import render_lint as text

        text(report, stream, summary=summary)
        return
    if fmt == "json":
        from archspec.report.json import render_lint as render
    elif fmt == "sarif":
        from archspec.report.sarif import render_lint as render
    elif fmt == "github":
        from archspec.report.github import render_lint as render
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    stream.write(render(report))
