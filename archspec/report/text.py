"""Text for people: diagnostics with their YAML line and a caret, summaries as tables.

Layout is done here, once, as lines of styled segments (:class:`Page`). On a terminal (and when
``NO_COLOR`` is unset) rich colours them; anywhere else they are written as plain text, without
importing rich at all: no escape codes, no wrapping, no trailing spaces, stable to grep and diff.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING

from archspec.diagnostics import Diagnostic, Severity
from archspec.report.escape import escape
from archspec.report.model import (
    LintReport,
    is_spec_error,
    located,
    rule_counts,
    severity_counts,
)
from archspec.report.snippet import SourceLines, caret

if TYPE_CHECKING:
    from archspec.graph.analysis import Analysis
    from archspec.latency.model import DeviceProfile

Segment = tuple[str, str]  # (text, rich style; "" for none)
Cell = str | Segment

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
GAP = "  "  # between table columns


def use_color(stream: IO[str]) -> bool:
    """Colour on a terminal unless NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Page:
    """Lines of styled text, laid out without rich; :meth:`write` colours them on a terminal.

    Every cell is passed through :func:`~archspec.report.escape.escape` as it is added, so no
    control character from a spec, a file name or a config reaches the terminal; ``raw`` is for
    text already made safe (the snippet lines of :func:`~archspec.report.snippet.caret`).
    """

    def __init__(self) -> None:
        self.lines: list[list[Segment]] = []

    def add(self, *segments: Cell, raw: bool = False) -> None:
        cells = [(s, "") if isinstance(s, str) else s for s in segments]
        self.lines.append(cells if raw else [(escape(t), style) for t, style in cells])

    def blank(self) -> None:
        self.lines.append([])

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Cell]], *,
              numeric: Sequence[int] = (), indent: str = "") -> None:
        """Columns two spaces apart, numbers right-aligned, the header in bold."""
        body = [[(escape(c), "") if isinstance(c, str) else (escape(c[0]), c[1]) for c in row]
                for row in rows]
        head = [(h, "bold") for h in header]
        widths = [max(len(r[i][0]) for r in [head, *body]) for i in range(len(header))]
        for row in [head, *body]:
            line: list[Segment] = [(indent, "")] if indent else []
            for i, (text, style) in enumerate(row):
                pad = " " * (widths[i] - len(text))
                cell = [(pad, ""), (text, style)] if i in numeric else [(text, style), (pad, "")]
                line += ([(GAP, "")] if i else []) + cell
            self.lines.append(line)

    def write(self, stream: IO[str]) -> None:
        if not use_color(stream):
            stream.write("".join("".join(t for t, _ in line).rstrip() + "\n"
                                 for line in self.lines))
            return
        from rich.console import Console
        from rich.text import Text

        text = Text()
        for line in self.lines:
            for segment, style in line:
                text.append(segment, style=style or None)
            text.append("\n")
        Console(file=stream, force_terminal=True, highlight=False, markup=False, emoji=False,
                soft_wrap=True).print(text, end="")


def human(n: float) -> str:
    """1361168 → '1.36M', 255237672 → '255M' (three significant digits)."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, "")):
        value = float(f"{n / factor:.3g}")
        if abs(value) >= 1 or factor == 1:
            return f"{value:.3g}{suffix}" if value < 1000 else f"{value:.0f}{suffix}"
    return str(n)  # pragma: no cover - the loop always returns


def shape(dims: Iterable[int]) -> str:
    return "×".join(str(d) for d in dims)


# ---------------------------------------------------------------------------------------- lint


def add_diagnostics(page: Page, diagnostics: Iterable[Diagnostic], lines: SourceLines) -> None:
    """``file:line:col: CODE message``, the YAML line with a caret, then expected and fix."""
    for d in diagnostics:
        style = STYLES[d.severity]
        where = [(f"{d.span}: ", "bold")] if located(d) else []
        page.add(*where, (d.code, style), f" {d.message}")
        source = lines.line(d.span.file, d.span.line) if located(d) else ""
        if source.strip():
            number = str(d.span.line)
            shown, mark = caret(source, d.span.col)
            page.add((f"  {number} | ", "dim"), shown, raw=True)
            page.add((f"  {' ' * len(number)} | ", "dim"), (mark, style), raw=True)
        if d.expected:
            page.add(("  expected: ", "dim"), d.expected)
        if d.fix:
            page.add(("  fix: ", "bold green"), d.fix)


def _groups(report: LintReport) -> Iterable[tuple[str, str | None, list[Diagnostic]]]:
    for f in report.files:
        order = [None, *(v.variant for v in f.variants)]
        order += [d.variant for d in f.diagnostics if d.variant not in order]
        for variant in dict.fromkeys(order):
            found = sorted(f.of_variant(variant), key=Diagnostic.sort_key)
            if found:
                yield f.file, variant, found


def render_lint(report: LintReport, stream: IO[str], *, summary: bool = True) -> None:
    """Diagnostics grouped by file and variant; with ``summary``, a table per code, one line per
    variant and a verdict (without: the diagnostics alone, for errors of other commands)."""
    page = Page()
    lines = SourceLines()
    if report.device is not None:
        add_device(page, report.device, report.device_warnings)
        page.blank()
    add_diagnostics(page, report.errors, lines)
    for file, variant, found in _groups(report):
        page.add((file, "bold underline"), *([(f"  variant {variant}", "bold")] if variant else []))
        add_diagnostics(page, found, lines)
        if summary:
            page.blank()
    if summary:
        _summary(page, report)
    page.write(stream)


def _summary(page: Page, report: LintReport) -> None:
    everything = report.diagnostics
    if everything:
        page.add(("By code", "bold"))
        page.table(("code", "rule", "severity", "count"), (
            ((code, STYLES[Severity(severity)]), name or _title(code), severity, str(n))
            for code, name, severity, n in rule_counts(everything)), numeric=(3,))
        page.blank()
    rows = [(f, v) for f in report.files for v in f.variants]
    timed = report.device is not None
    if rows:
        page.table(("file", "variant", "params", "MACs", *(("ms",) if timed else ()), "errors",
                    "warnings", "info"), (
            (f.file, v.variant or "-", human(v.params), human(v.macs),
             *((("≥ " if v.missing else "") + ms(v.latency_ms),) if timed else ()),
             *(str(n) for n in severity_counts(f.of_variant(v.variant)).values()))
            for f, v in rows), numeric=(2, 3, 4, 5, 6, 7))
        page.blank()
    page.add(_verdict(report))


def _title(code: str) -> str:
    """What a spec-error code means, for the per-code table."""
    from archspec.codes import CODES

    return CODES[code].title if code in CODES else ""


def _verdict(report: LintReport) -> Segment:
    counts = severity_counts(report.diagnostics)
    spec_errors = sum(1 for d in report.diagnostics if is_spec_error(d))
    files = len(report.files)
    variants = sum(len(f.variant_names) for f in report.files)  # every one shown, resolved or not
    resolved = sum(len(f.variants) for f in report.files)
    what = f"{files} file{'s' * (files != 1)}, {variants} variant{'s' * (variants != 1)}"
    if resolved < variants:
        what += f" ({resolved} resolved)"
    if spec_errors:
        bad = sum(1 for f in report.files if f.spec_error)
        where = f" in {bad} file{'s' * (bad != 1)}" if bad else ""
        return (f"{what}: {spec_errors} spec error{'s' * (spec_errors != 1)}{where} (exit 2)",
                STYLES[Severity.ERROR])
    found = ", ".join(f"{n} {s}{'s' * (n != 1 and s != 'info')}" for s, n in counts.items())
    return f"{what}: {found}", STYLES[Severity.ERROR] if counts["error"] else "green"


# ---------------------------------------------------------------------------------------- profile


def render_profile(analysis: Analysis, stream: IO[str]) -> None:
    """Per-block figures, totals and the roundings that changed a number the user wrote."""
    from archspec.report.profile import roundings

    page = Page()
    net, batch, t = analysis.net, analysis.batch, analysis.total
    page.add((f"{net.file}  {net.label}  input {batch}×{shape(net.input_shape)}  "
              f"{analysis.dtype}  FLOPs as {analysis.convention}", "bold"))
    if analysis.form.name == "deploy":
        page.add(f"deploy form: {analysis.form.folded} BNs folded, "
                 f"{analysis.form.reparameterised} branch groups re-parameterised")
    timed = analysis.latency is not None
    if analysis.latency is not None:
        from archspec.latency.profile import prediction_warnings

        add_device(page, analysis.latency.profile, prediction_warnings(analysis.latency))
    page.table(("block", "family", "in → out (per image)", "params", "MACs", "mem_access",
                "act. bytes", *(("ms",) if timed else ())), (
        (b.path, b.family, f"{shape(b.input_shape)} → {shape(b.output_shape)}", f"{b.params:,}",
         f"{b.macs:,}", f"{b.mem_access:,}", f"{b.activation_bytes:,}",
         *((ms(b.latency_ms),) if timed else ()))
        for b in analysis.blocks), numeric=(3, 4, 5, 6, 7))
    page.blank()
    totals = [("params", t.params), ("MACs (per image)", t.macs), ("FLOPs (per image)", t.flops),
              ("mem_access (elements per image)", t.mem_access),
              (f"peak activation bytes (batch {batch})", t.activation_bytes)]
    page.table(("total", "value", ""), [
        *((name, f"{value:,}", human(value)) for name, value in totals),
        ("output shape", f"{batch}×{shape(t.output_shape)}", ""),
        *((("predicted latency (ms, one image, batch 1)", ms(t.latency_ms),
            "lower bound" if analysis.latency.missing else ""),)
          if analysis.latency is not None else ())], numeric=(1, 2))
    changed = roundings(analysis)
    page.blank()
    page.add((f"Roundings ({len(changed)})", "bold"))
    if not changed:
        page.add("  none: every number was used as written")
    else:
        page.table(("where", "block", "field", "written", "value", "rule"), (
            (f"{r['file']}:{r['line']}:{r['col']}", r["block"], r["field"], f"{r['written']:g}",
             str(r["value"]), r["rule"]) for r in changed), numeric=(3, 4))
    page.write(stream)


# ---------------------------------------------------------------------------------------- device


def ms(value: float | None) -> str:
    """A predicted time in milliseconds, to the microsecond."""
    return "-" if value is None else f"{value:.3f}"


def add_device(page: Page, profile: DeviceProfile, warnings: Iterable[str]) -> None:
    """The device the times are predicted on, then what makes them less than exact (a profile
    too noisy to trust, kernel classes it has no model for)."""
    threads = f"{profile.threads} thread{'s' * (profile.threads != 1)}"
    page.add(("device ", "bold"), (profile.name, "bold"),
             f"  {profile.backend}, {threads}, {profile.dtype}, calibrated {profile.calibrated}"
             f"  ({profile.source})")
    for text in warnings:
        page.add(("warning: ", STYLES[Severity.WARNING]), text)
