"""Text for people: diagnostics with their YAML line and a caret, summaries as tables.

Rendered with rich. Colour only on a terminal and when ``NO_COLOR`` is unset; otherwise the output
is plain text (no escape codes, tables without borders) that is stable to grep and to diff.
rich is imported here and only here, so commands that print JSON never load it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, Severity
from archspec.report.model import LintReport, rule_counts, severity_counts
from archspec.report.snippet import SourceLines, caret

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from archspec.graph.analysis import Analysis

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def use_color(stream: IO[str]) -> bool:
    """Colour on a terminal unless NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def make_console(stream: IO[str]) -> Console:
    from rich.console import Console

    color = use_color(stream)
    width = None if color else int(os.environ.get("COLUMNS", "") or 0) or 120
    return Console(file=stream, width=width, color_system="auto" if color else None,
                   force_terminal=color, no_color=not color, highlight=False, markup=False,
                   emoji=False, soft_wrap=True)


def table(console: Console, *columns: str, numeric: Sequence[int] = ()) -> Table:
    from rich import box
    from rich.table import Table

    plain = console.no_color
    table = Table(box=None if plain else box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  header_style="" if plain else "bold", padding=(0, 2, 0, 0))
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i in numeric else "left", no_wrap=True)
    return table


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


def render_diagnostics(console: Console, diagnostics: Iterable[Diagnostic],
                       lines: SourceLines) -> None:
    """``file:line:col: CODE message``, the YAML line with a caret, then expected and fix."""
    from rich.text import Text

    for d in diagnostics:
        head = Text()
        head.append(f"{d.span}: ", style="bold")
        head.append(d.code, style=STYLES[d.severity])
        head.append(f" {d.message}")
        console.print(head)
        source = lines.line(d.span.file, d.span.line)
        if source.strip():
            number = str(d.span.line)
            shown, mark = caret(source, d.span.col)
            gutter = " " * len(number)
            console.print(Text.assemble((f"  {number} | ", "dim"), shown))
            console.print(Text.assemble((f"  {gutter} | ", "dim"), (mark, STYLES[d.severity])))
        if d.expected:
            console.print(Text.assemble(("  expected: ", "dim"), d.expected))
        if d.fix:
            console.print(Text.assemble(("  fix: ", "bold green"), d.fix))


def _groups(report: LintReport) -> Iterable[tuple[str, str | None, list[Diagnostic]]]:
    for f in report.files:
        order = [None, *(v.variant for v in f.variants)]
        order += [d.variant for d in f.diagnostics if d.variant not in order]
        for variant in dict.fromkeys(order):
            found = sorted(f.of_variant(variant), key=Diagnostic.sort_key)
            if found:
                yield f.file, variant, found


def render_lint(report: LintReport, stream: IO[str], *, summary: bool = True) -> None:
    """Findings grouped by file and variant, a table per rule, and one line per variant."""
    from rich.text import Text

    console = make_console(stream)
    lines = SourceLines()
    for file, variant, found in _groups(report):
        title = Text(file, style="bold underline")
        if variant is not None:
            title.append(f"  variant {variant}", style="bold")
        console.print(title)
        render_diagnostics(console, found, lines)
        console.print()
    everything = report.diagnostics
    if everything:
        grid = table(console, "code", "rule", "severity", "count", numeric=(3,))
        for code, name, severity, n in rule_counts(everything):
            grid.add_row(Text(code, style=STYLES[Severity(severity)]), name, severity, str(n))
        console.print(Text("By rule", style="bold"))
        console.print(grid)
        console.print()
    if summary:
        _render_variants(console, report)
    console.print(_verdict(report))


def _render_variants(console: Console, report: LintReport) -> None:
    rows = [(f, v) for f in report.files for v in f.variants]
    if not rows:
        return
    grid = table(console, "file", "variant", "params", "MACs", "errors", "warnings", "info",
                   numeric=(2, 3, 4, 5, 6))
    for f, v in rows:
        counts = severity_counts(f.of_variant(v.variant))
        grid.add_row(f.file, v.variant or "-", human(v.params), human(v.macs),
                      *(str(counts[s]) for s in ("error", "warning", "info")))
    console.print(grid)
    console.print()


def _verdict(report: LintReport) -> Any:
    from rich.text import Text

    counts = severity_counts(report.diagnostics)
    spec_errors = sum(1 for d in report.diagnostics if d.code.startswith("E"))
    files = len(report.files)
    variants = sum(len(f.variants) for f in report.files)
    what = f"{files} file{'s' * (files != 1)}, {variants} variant{'s' * (variants != 1)}"
    if spec_errors:
        bad = sum(1 for f in report.files if f.spec_error)
        return Text(f"{what}: {spec_errors} spec error{'s' * (spec_errors != 1)} in {bad} "
                    f"file{'s' * (bad != 1)} (exit 2)", style=STYLES[Severity.ERROR])
    found = ", ".join(f"{n} {s}{'s' * (n != 1 and s != 'info')}" for s, n in counts.items())
    style = STYLES[Severity.ERROR] if counts["error"] else "green"
    return Text(f"{what}: {found}", style=style)


# ---------------------------------------------------------------------------------------- profile


def render_profile(analysis: Analysis, stream: IO[str]) -> None:
    """Per-block figures, totals and the roundings that changed a number the user wrote."""
    from rich.text import Text

    from archspec.report.profile import roundings

    console = make_console(stream)
    net = analysis.net
    batch = analysis.batch
    console.print(Text(f"{net.file}  {net.label}  input {batch}×{shape(net.input_shape)}  "
                       f"{analysis.dtype}  FLOPs as {analysis.convention}", style="bold"))
    grid = table(console, "block", "family", "in → out (per image)", "params", "MACs", "mem_access",
                   "act. bytes", numeric=(3, 4, 5, 6))
    for b in analysis.blocks:
        grid.add_row(b.path, b.family, f"{shape(b.input_shape)} → {shape(b.output_shape)}",
                      f"{b.params:,}", f"{b.macs:,}", f"{b.mem_access:,}",
                      f"{b.activation_bytes:,}")
    console.print(grid)
    console.print()
    t = analysis.total
    totals = table(console, "total", "value", "", numeric=(1, 2))
    for name, value in (("params", t.params), ("MACs (per image)", t.macs),
                        ("FLOPs (per image)", t.flops),
                        ("mem_access (elements per image)", t.mem_access),
                        (f"peak activation bytes (batch {batch})", t.activation_bytes)):
        totals.add_row(name, f"{value:,}", human(value))
    totals.add_row("output shape", f"{batch}×{shape(t.output_shape)}", "")
    console.print(totals)
    changed = roundings(analysis)
    console.print()
    console.print(Text(f"Roundings ({len(changed)})", style="bold"))
    if not changed:
        console.print("  none: every number was used as written")
        return
    grid = table(console, "where", "block", "field", "written", "value", "rule",
                   numeric=(3, 4))
    for r in changed:
        grid.add_row(f"{r['file']}:{r['line']}:{r['col']}", r["block"], r["field"],
                      f"{r['written']:g}", str(r["value"]), r["rule"])
    console.print(grid)
