"""``archspec report``'s page: one spec, every variant, in one HTML file that opens offline
(docs/report.md, decision 0038).

Per variant: its totals, bar charts of where the MACs, the memory access and (with a device)
the predicted time go, one bar per block (:mod:`~archspec.report.html_charts`); the block
diagram as inline SVG (:mod:`~archspec.report.diagram`, drawn by Graphviz); the per-block
table ``archspec profile`` prints; the lint findings with their YAML line and a caret. Every
variant's content is in the page; a dozen lines of plain JavaScript show the one the selector
picks (without JavaScript the default variant shows and the others stay hidden). Nothing is
fetched: no script, style, font or image comes from elsewhere, and every text that comes from
a spec, a file name or a profile is escaped where it is laid out (decision 0010).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archspec.diagnostics import Diagnostic, SpecError
from archspec.report.escape import escape_html as _h
from archspec.report.html_charts import bar_chart
from archspec.report.model import located
from archspec.report.snippet import SourceLines, caret
from archspec.report.text import human, ms, shape

if TYPE_CHECKING:
    from archspec.graph.analysis import Analysis
    from archspec.graph.opgraph import OpGraph
    from archspec.latency.predict import Prediction
    from archspec.pipeline import RunResult
    from archspec.spec.resolved import ResolvedNet


@dataclass(frozen=True)
class VariantPage:
    """One variant's part of the page: its analysis (with latency when a device was given),
    its findings, and its diagram as SVG, or why there is none (``note``)."""

    analysis: Analysis
    findings: tuple[Diagnostic, ...]
    diagram: str | None
    note: str | None = None


@dataclass(frozen=True)
class Report:
    """A spec's page: its variants, the default one first shown, and the device's warnings."""

    file: str
    variants: tuple[VariantPage, ...]
    default: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def notes(self) -> list[str]:
        """Why diagrams are missing (Graphviz is not installed, ``dot`` failed), each once."""
        return list(dict.fromkeys(p.note for p in self.variants if p.note is not None))


def collect(result: RunResult) -> Report:
    """The page's content from a (linted) run over a file: every variant analysed, with the
    latency the run predicted, and drawn. SpecError when the file or a variant has spec errors
    or the lint configuration has errors: a report is of a network that resolves."""
    from archspec.graph.analysis import analyze_net
    from archspec.latency.predict import with_latency
    from archspec.report.diagram_render import GraphvizMissing, RenderFailed

    if result.spec_errors or result.lint_errors or result.document is None:
        raise SpecError(result.spec_errors or list(result.lint_errors))
    pages = []
    missing: str | None = None  # Graphviz is not installed: no use trying the next variant
    warnings: list[str] = []
    for v in result.variants:
        net, graph = v.require()
        analysis = analyze_net(net, graph)
        if v.latency is not None:
            from archspec.latency.profile import prediction_warnings

            analysis = with_latency(analysis, v.latency)
            warnings += [w for w in prediction_warnings(v.latency) if w not in warnings]
        findings = tuple(v.findings or ())
        svg, note = None, missing
        if missing is None:
            try:
                svg = diagram_svg(net, graph, findings, v.latency)
            except GraphvizMissing as exc:
                note = missing = f"No diagram: {exc}."
            except RenderFailed as exc:
                note = f"No diagram of {net.label}: {exc}."
        pages.append(VariantPage(analysis, findings, svg, note))
    default = result.document.default_variant
    names = [p.analysis.net.variant for p in pages]
    return Report(result.document.source.file, tuple(pages),
                  names.index(default) if default in names else 0, tuple(warnings))


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)  # <?xml ...?>, <!DOCTYPE ...>
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # Graphviz's comments repeat node names
#: the namespaces Graphviz declares on its root: HTML's parser puts inline <svg> in the SVG
#: namespace (and xlink:href in XLink's) itself, and the page then names no URL at all
_XMLNS = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')


def diagram_svg(net: ResolvedNet, graph: OpGraph, findings: Sequence[Diagnostic],
                latency: Prediction | None = None) -> str:
    """The block diagram as an ``<svg>`` element to inline (GraphvizMissing without Graphviz,
    RenderFailed when ``dot`` fails): Graphviz's XML prologue, DOCTYPE (which names a DTD by
    URL), namespace declarations and comments dropped."""
    from archspec.report.diagram import build_diagram, to_dot
    from archspec.report.diagram_render import render

    svg = render(to_dot(build_diagram(net, graph, findings, latency=latency)), "svg"
                 ).decode("utf-8")
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    root = svg.index(">")
    return '<svg class="diagram"' + _XMLNS.sub("", svg[4:root]) + svg[root:]


# ---------------------------------------------------------------------------------- the page

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{position:sticky;top:0;background:#f6f6f6;border-bottom:1px solid #ddd;padding:10px 24px;
z-index:1}
header h1{font-size:18px;margin:0 0 4px;display:inline-block;margin-right:16px}
header label{font-weight:bold}
main{padding:0 24px 24px;max-width:1240px}
h2{font-size:16px;margin:18px 0 4px}h3{font-size:15px;margin:22px 0 6px;
border-bottom:1px solid #eee}
nav a{margin-right:14px}
.totals span{margin-right:18px;white-space:nowrap}
.note{background:#fff7e0;border:1px solid #e0c060;padding:6px 10px}
.device-warning{color:#8a5a00}
.charts{display:flex;flex-wrap:wrap;gap:8px 24px}figure{margin:0}figcaption{font-size:12px;font-weight:bold}
.chart text{font-size:11px;fill:#333}.chart text.value{fill:#555}
.chart rect.bar:hover{fill-opacity:.7}
.figure{max-height:720px;overflow:auto;border:1px solid #ddd;background:#fff;padding:4px}
table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#f4f8ff}
.finding{margin:10px 0}.code{font-weight:bold}
.error .code{color:#b00}.warning .code{color:#a60}.info .code{color:#07a}
pre{background:#f8f8f8;border:1px solid #eee;padding:4px 8px;margin:4px 0;overflow:auto;
font:12px/1.35 ui-monospace,monospace}
.dim{color:#666}
""".strip()

#: shows the section the selector names; the selector's value is a section's id (v0, v1, ...)
_SCRIPT = """
const pick = document.getElementById("variant");
function show() {
  for (const s of document.querySelectorAll("section.variant")) s.hidden = s.id !== pick.value;
}
pick.addEventListener("change", show);
show();
""".strip()


def _n(value: int) -> str:
    return f'<td class="n">{value:,}</td>'


def _totals(a: Analysis) -> str:
    t = a.total
    items = [("params", human(t.params)), ("MACs", human(t.macs)), ("FLOPs", human(t.flops)),
             ("memory access", f"{human(t.mem_access)} elements"),
             ("peak activations", f"{human(t.activation_bytes)}B ({a.dtype})"),
             ("output", shape(t.output_shape))]
    if a.latency is not None:
        bound = "≥ " if a.latency.missing else ""
        items.append(("predicted latency", f"{bound}{ms(t.latency_ms)} ms"))
    return '<p class="totals">' + "".join(
        f"<span><b>{_h(k)}</b> {_h(v)}</span>" for k, v in items) + "</p>"


def _charts(a: Analysis) -> str:
    labels = [b.path for b in a.blocks]
    charts = [bar_chart("macs", "MACs per block", labels, [b.macs for b in a.blocks], human),
              bar_chart("mem_access", "memory access per block (elements)", labels,
                        [b.mem_access for b in a.blocks], human, colour="#f58518")]
    titles = ["MACs (multiply-accumulates per image)", "memory access (elements per image)"]
    if a.latency is not None:
        charts.append(bar_chart("latency", "predicted latency per block (ms)", labels,
                                [b.latency_ms or 0.0 for b in a.blocks],
                                lambda v: f"{v:.3f} ms", colour="#54a24b"))
        titles.append(f"predicted latency (ms, batch 1, on {a.latency.profile.name})")
    return '<div class="charts">' + "".join(
        f"<figure><figcaption>{_h(t)}</figcaption>{c}</figure>"
        for t, c in zip(titles, charts, strict=True)) + "</div>"


def _table(a: Analysis) -> str:
    timed = a.latency is not None
    head = ["block", "family", "in → out (per image)", "params", "MACs", "mem_access",
            "act. bytes", *(["ms"] if timed else [])]
    rows = []
    for b in a.blocks:
        rows.append(
            f"<tr><td>{_h(b.path)}</td><td>{_h(b.family)}</td>"
            f"<td>{_h(shape(b.input_shape))} → {_h(shape(b.output_shape))}</td>"
            f"{_n(b.params)}{_n(b.macs)}{_n(b.mem_access)}{_n(b.activation_bytes)}"
            + (f'<td class="n">{ms(b.latency_ms)}</td>' if timed else "") + "</tr>")
    return ('<table class="blocks"><thead><tr>' + "".join(f"<th>{_h(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _findings(findings: Sequence[Diagnostic], lines: SourceLines) -> str:
    if not findings:
        return '<p class="dim">No findings: every rule that ran passed.</p>'
    out = []
    for d in sorted(findings, key=Diagnostic.sort_key):
        where = f"{d.span}: " if located(d) else ""
        parts = [f'<div class="finding {_h(d.severity.value)}"><div>{_h(where)}'
                 f'<span class="code">{_h(d.code)}</span> {_h(d.message)}'
                 + (f' <span class="dim">({_h(d.rule)})</span>' if d.rule else "") + "</div>"]
        source = lines.line(d.span.file, d.span.line) if located(d) else ""
        if source.strip():
            number = str(d.span.line)
            shown, mark = caret(source, d.span.col)
            parts.append(f"<pre>{_h(number)} | {_h(shown)}\n{' ' * len(number)} | "
                         f"{_h(mark)}</pre>")
        if d.expected:
            parts.append(f'<div><span class="dim">expected:</span> {_h(d.expected)}</div>')
        if d.fix:
            parts.append(f"<div><b>fix:</b> {_h(d.fix)}</div>")
        out.append("".join(parts) + "</div>")
    return "".join(out)


def _section(i: int, page: VariantPage, report: Report, lines: SourceLines) -> str:
    a = page.analysis
    sid = f"v{i}"
    if page.diagram is not None:
        diagram = f'<div class="figure">{page.diagram}</div>'
    else:
        diagram = f'<p class="note diagram-missing">{_h(page.note or "")}</p>'
    counts = f" ({len(page.findings)})"
    links = [("charts", "Where the cost goes"), ("diagram", "Diagram"), ("blocks", "Blocks"),
             ("findings", "Findings" + counts)]
    nav = "<nav>" + "".join(f'<a href="#{sid}-{k}">{_h(t)}</a>' for k, t in links) + "</nav>"
    hidden = "" if i == report.default else " hidden"
    return (f'<section class="variant" id="{sid}"{hidden}>'
            f"<h2>{_h(a.net.label)} <span class=\"dim\">input 1×{_h(shape(a.net.input_shape))}"
            f"</span></h2>{_totals(a)}{nav}"
            f'<h3 id="{sid}-charts">Where the cost goes, per block</h3>{_charts(a)}'
            f'<h3 id="{sid}-diagram">Diagram</h3>{diagram}'
            f'<h3 id="{sid}-blocks">Blocks</h3>{_table(a)}'
            f'<h3 id="{sid}-findings">Findings{counts}</h3>{_findings(page.findings, lines)}'
            "</section>")


def _device(report: Report) -> str:
    prediction = next((p.analysis.latency for p in report.variants
                       if p.analysis.latency is not None), None)
    if prediction is None:
        return ""
    d = prediction.profile
    threads = f"{d.threads} thread{'s' * (d.threads != 1)}"
    line = (f"<div><b>device</b> {_h(d.name)}: {_h(d.backend)}, {_h(threads)}, {_h(d.dtype)}, "
            f"calibrated {_h(d.calibrated)} ({_h(d.source)})</div>")
    return line + "".join(f'<div class="device-warning">warning: {_h(w)}</div>'
                          for w in report.warnings)


def html_page(report: Report) -> str:
    """The page as text (UTF-8 when written)."""
    first = report.variants[report.default].analysis.net
    title = f"{first.name}: archspec report"
    options = "".join(
        f'<option value="v{i}"{" selected" if i == report.default else ""}>'
        f"{_h(p.analysis.net.variant or '(the network)')}</option>"
        for i, p in enumerate(report.variants))
    lines = SourceLines()
    sections = "".join(_section(i, p, report, lines) for i, p in enumerate(report.variants))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f'<header><h1>{_h(first.name)}</h1><span class="dim">{_h(report.file)}</span> '
        f'<label for="variant">variant</label> <select id="variant">{options}</select>'
        f"{_device(report)}</header>",
        f"<main>{sections}</main>", f"<script>{_SCRIPT}</script>", "</body>", "</html>", ""])
