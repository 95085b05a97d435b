"""GitHub Actions workflow commands: one annotation per diagnostic on the pull request's diff.

``::error file=F,line=L,col=C,title=CODE::message``; warnings as ``::warning``, info as
``::notice``. Text from the spec is first made printable (:func:`~archspec.report.escape.escape`:
no control character reaches the log), then encoded as the Actions runner expects (``%``, CR, LF
everywhere; ``:`` and ``,`` in properties too), so one diagnostic is always exactly one line.
"""

from __future__ import annotations

from archspec.diagnostics import Diagnostic, Severity
from archspec.report.escape import escape
from archspec.report.model import LintReport, located

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(escape(text)).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    message = escape(f"[{d.variant}] {d.message}" if d.variant else d.message)
    if d.fix:
        message += f"\nfix: {escape(d.fix)}"
    where = (f"file={_property(d.span.file)},line={d.span.line},col={d.span.col},"
             if located(d) else "")
    props = f"{where}title={_property(d.code)}"
    return f"::{COMMANDS[d.severity]} {props}::{_data(message)}"


def render_lint(report: LintReport) -> str:
    device = "".join(f"::warning title=device::{_data(escape(w))}\n"
                     for w in report.device_warnings)
    return device + "".join(annotation(d) + "\n" for d in report.diagnostics)
