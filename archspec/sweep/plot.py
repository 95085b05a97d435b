"""A sweep's answer drawn: every candidate on two of its figures, the Pareto front joined as a
staircase, the base network marked. Two forms of one picture:

* :func:`plot_png`: a PNG by matplotlib's Agg canvas (no pyplot, so no global backend or
  figure state changes in the caller's process), fixed size and resolution, no timestamp or
  version in its metadata, so the same rows give the same bytes.
* :func:`plot_html`: one HTML file that opens offline: an SVG drawn here, point by point, and a
  few lines of plain JavaScript that show a candidate's overrides and figures on hover, read
  from the rows embedded as JSON. No library, no network, nothing fetched.

Rows are the sweep's (:func:`archspec.sweep.evaluate.columns`); ``front`` indexes into them. A
row is drawn *infeasible* when its ``feasible`` column says False (the constraints failed); a
row without both figures (a candidate that did not resolve) is not drawn and is counted in the
caption. Every text that came from a row or a space file (axis paths, values, error messages)
is escaped where it is laid out.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archspec.report.escape import escape
from archspec.sweep.extras import need
from archspec.sweep.model import TOTALS, overrides_of

Row = Mapping[str, Any]

#: what ``--plot`` can write, by the file's suffix
SUFFIXES = (".png", ".html")

#: how each known figure is named on an axis, and what kind of number it is
_FIGURES: dict[str, tuple[str, str]] = {
    "latency_ms": ("predicted latency", "ms"),
    "measured_ms": ("measured latency", "ms"),
    "params": ("parameters", "count"),
    "macs": ("MACs", "count"),
    "flops": ("FLOPs", "count"),
    "mem_access_elems": ("memory access (elements)", "count"),
    "peak_activation_bytes": ("peak activation", "bytes"),
}
_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))
_BINARY = ((2.0**30, "GiB"), (2.0**20, "MiB"), (2.0**10, "KiB"))


@dataclass(frozen=True)
class Scale:
    """How one column is shown: its values divided by ``factor``, the axis titled ``label``."""

    factor: float
    label: str
    unit: str  # appended to a value in a tooltip ("ms", "M", "MiB"), may be empty


def scale(column: str, values: Sequence[float]) -> Scale:
    """A readable scale for ``column`` given its values: ms as they are, counts in k/M/G
    (``parameters (M)``, ``MACs (G)``) and bytes in KiB/MiB/GiB by the largest value; any
    other column (an axis, a rule's count) under its own name."""
    name, kind = _FIGURES.get(column, (column, ""))
    top = max((abs(v) for v in values), default=0.0)
    if kind == "ms":
        return Scale(1.0, f"{name} (ms)", "ms")
    steps = _PREFIXES if kind == "count" else _BINARY if kind == "bytes" else ()
    for factor, unit in steps:
        if top >= factor:
            return Scale(factor, f"{name} ({unit})", unit)
    return Scale(1.0, f"{name} (B)" if kind == "bytes" else name, "B" if kind == "bytes" else "")


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None (a missing figure, a bool, a NaN, a text cell)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def feasible(row: Row) -> bool:
    """Whether a row met the sweep's constraints (its ``feasible`` column; True without one)."""
    return row.get("status", "ok") == "ok" and row.get("feasible") is not False


@dataclass(frozen=True)
class Point:
    """One drawable row: its index in the rows, its two figures (unscaled)."""

    row: int
    x: float
    y: float
    feasible: bool
    front: bool
    group: int  # index into Picture.groups; 0 when the picture has no groups


@dataclass(frozen=True)
class Picture:
    """What both renderings draw: the points, the base's point, scales and words."""

    points: list[Point]
    base: tuple[float, float] | None
    sx: Scale
    sy: Scale
    undrawn: int
    title: str
    #: the column points are coloured by, and each colour's value as text ([] without one)
    group: str | None
    groups: list[str]

    @property
    def front(self) -> list[Point]:
        """The front's points from left to right (the staircase's order)."""
        return sorted((p for p in self.points if p.front), key=lambda p: (p.x, p.y))


#: colours of the groups of points (the front is red, infeasible points grey)
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d", "#72b7b2", "#ff9da6",
           "#bcbd22")


def _group_values(rows: Sequence[Row], group: str | None) -> list[Any]:
    """The distinct values of column ``group`` (numbers in order, then texts), at most one per
    colour of :data:`PALETTE`."""
    if group is None:
        return []
    values = {r.get(group) for r in rows}
    ordered = sorted(values, key=lambda v: (number(v) is None, number(v) or 0.0, str(v)))
    if len(ordered) > len(PALETTE):
        raise ValueError(f"cannot colour by {group!r}: it has {len(ordered)} values, "
                         f"at most {len(PALETTE)} can be told apart")
    return ordered


def picture(rows: Sequence[Row], front: Sequence[int], base: Row | None, x: str, y: str,
            title: str | None, group: str | None = None) -> Picture:
    """The points of ``rows`` on columns ``x`` and ``y``, coloured by the value of column
    ``group`` when given; ValueError for a front index outside the rows, a column no row has
    a figure for, or a ``group`` with more values than colours."""
    bad = [i for i in front if isinstance(i, bool) or not 0 <= i < len(rows)]
    if bad:
        raise ValueError(f"front index {bad[0]!r} is not a row (there are {len(rows)} rows)")
    on_front = set(front)
    values = _group_values(rows, group)
    index = {v: k for k, v in enumerate(values)}
    points = []
    for i, row in enumerate(rows):
        px, py = number(row.get(x)), number(row.get(y))
        if px is not None and py is not None:
            points.append(Point(i, px, py, feasible(row), i in on_front,
                                index.get(row.get(group), 0) if group else 0))
    for column in (x, y):
        if rows and not any(number(r.get(column)) is not None for r in rows):
            raise ValueError(f"no row has a figure for {column!r} to draw (latency_ms needs "
                             f"--device; an axis or figure column is needed)")
    bx, by = (number(base.get(x)), number(base.get(y))) if base is not None else (None, None)
    at = (bx, by) if bx is not None and by is not None else None
    xs = [p.x for p in points] + ([at[0]] if at else [])
    ys = [p.y for p in points] + ([at[1]] if at else [])
    sx, sy = scale(x, xs), scale(y, ys)
    if title is None:
        title = (f"{_FIGURES.get(y, (y,))[0]} against {_FIGURES.get(x, (x,))[0]}: "
                 f"{len(rows)} candidates, {len(on_front)} on the front")
    groups = [f"{group} = {v}" for v in values] if group else []
    return Picture(points, at, sx, sy, len(rows) - len(points), title, group, groups)


def caption(pic: Picture) -> str:
    n = len(pic.points)
    bad = sum(1 for p in pic.points if not p.feasible)
    words = [f"{n} drawn", f"{bad} infeasible" if bad else "", f"{len(pic.front)} on the front",
             f"{pic.undrawn} without these figures (not drawn)" if pic.undrawn else ""]
    return ", ".join(w for w in words if w)


def plot(rows: Sequence[Row], front: Sequence[int], base: Row | None, x: str, y: str,
         path: str | Path, *, title: str | None = None, label: str = "base",
         group: str | None = None) -> None:
    """:func:`plot_png` or :func:`plot_html` by ``path``'s suffix (:data:`SUFFIXES`)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        plot_png(rows, front, base, x, y, path, title=title, label=label, group=group)
    elif suffix in (".html", ".htm"):
        plot_html(rows, front, base, x, y, path, title, label=label, group=group)
    else:
        raise ValueError(f"cannot tell the picture's format from {str(path)!r}: the suffix "
                         f"must be one of {', '.join(SUFFIXES)}")


# --------------------------------------------------------------------------- PNG

#: inches and dots per inch: 1200 × 750 pixels
FIGSIZE = (8.0, 5.0)
DPI = 150
COLOURS = {"infeasible": "#b0b0b0", "front": "#d62728", "base": "#f2a900"}


def _plain(text: str) -> str:
    """Text for matplotlib: controls escaped, and ``$`` kept literal (not mathtext)."""
    return escape(text).replace("$", r"\$")


def plot_png(rows: Sequence[Row], front: Sequence[int], base: Row | None, x: str, y: str,
             path: str | Path, *, title: str | None = None, label: str = "base",
             group: str | None = None) -> None:
    """Every row on ``x`` against ``y`` (feasible and infeasible apart, feasible ones coloured
    by column ``group`` when given), the front as a staircase, the base network as a labelled
    star, written as a PNG at ``path``."""
    need("matplotlib", extra="sweep", feature="drawing the front (--plot)")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pic = picture(rows, front, base, x, y, title, group)
    sx, sy = pic.sx, pic.sy
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    def xy(points: Sequence[Point]) -> tuple[list[float], list[float]]:
        return [p.x / sx.factor for p in points], [p.y / sy.factor for p in points]

    bad = [p for p in pic.points if not p.feasible]
    good = [p for p in pic.points if p.feasible and not p.front]
    if bad:
        ax.scatter(*xy(bad), s=14, marker="x", linewidths=0.8, color=COLOURS["infeasible"],
                   label=f"infeasible ({len(bad)})", zorder=1)
    kind = "feasible" if bad else "candidates"
    for g, name in enumerate(pic.groups or [kind]):
        mine = [p for p in good if p.group == g]
        count = sum(1 for p in pic.points if p.feasible and p.group == g)  # its front too
        if mine:
            ax.scatter(*xy(mine), s=14, color=PALETTE[g], alpha=0.6, linewidths=0,
                       label=_plain(f"{name} ({count})"), zorder=2)
    if pic.front:
        fx, fy = xy(pic.front)
        ax.plot(fx, fy, drawstyle="steps-post", color=COLOURS["front"], linewidth=1.2, zorder=3)
        ax.scatter(fx, fy, s=34, color=COLOURS["front"], edgecolors="black", linewidths=0.5,
                   label=f"Pareto front ({len(pic.front)})", zorder=4)
    if pic.base is not None:
        bx, by = pic.base[0] / sx.factor, pic.base[1] / sy.factor
        ax.scatter([bx], [by], s=220, marker="*", color=COLOURS["base"], edgecolors="black",
                   linewidths=0.7, label=_plain(label), zorder=5)
        ax.annotate(_plain(label), (bx, by), xytext=(8, 8), textcoords="offset points",
                    fontsize=9, zorder=6)
    ax.set_xlabel(_plain(sx.label))
    ax.set_ylabel(_plain(sy.label))
    ax.set_title(_plain(pic.title + (f"\n({caption(pic)})" if pic.undrawn else "")),
                 fontsize=11)
    ax.grid(True, alpha=0.3, linewidth=0.6)
    if ax.get_legend_handles_labels()[0]:  # under the axes: never over a point
        fig.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


# --------------------------------------------------------------------------- HTML

#: the SVG's size and the margins around its plotting area (px)
WIDTH, HEIGHT = 760, 470
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 20, 52


def _h(text: Any) -> str:
    """Text for HTML (elements and quoted attributes): controls escaped, then markup."""
    return html.escape(escape(str(text)), quote=True)


def ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About ``n`` round values (1, 2, 2.5, 5 × 10ᵏ) from ``lo`` to ``hi``."""
    raw = (hi - lo) / n
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + step * 1e-9:
        out.append(round(k * step, 12))
        k += 1
    return out


def _domain(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.05 or max(abs(lo) * 0.05, 1.0)
    return lo - pad, hi + pad


def _tick_label(v: float) -> str:
    return f"{v:.4g}"


def _figure_text(value: Any, sc: Scale) -> str:
    v = number(value)
    if v is None:
        return str(value)
    if sc.unit == "ms":
        return f"{v:.3g} ms" if v < 100 else f"{v:.1f} ms"
    shown = f"{v / sc.factor:.4g}"
    return f"{shown} {sc.unit}" if sc.unit else shown


def _tooltips(rows: Sequence[Row], x: str, y: str) -> list[dict[str, Any]]:
    """Per row what its tooltip shows: the candidate, its overrides (as the row keeps them),
    and its figures as text pairs (the figures the axes show first)."""
    columns = list(dict.fromkeys([x, y, *TOTALS, "latency_ms", "measured_ms", "errors",
                                  "warnings"]))
    scales = {c: scale(c, [v for r in rows if (v := number(r.get(c))) is not None])
              for c in columns}
    out = []
    for row in rows:
        figures = [[_FIGURES.get(c, (c,))[0], _figure_text(row[c], scales[c])]
                   for c in columns if row.get(c) is not None]
        if row.get("status", "ok") != "ok":
            figures.append(["error", str(row.get("error", ""))])
        out.append({"candidate": row.get("candidate"), "overrides": overrides_of(row),
                    "figures": figures})
    return out


def _embedded_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` that could end it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:820px}
h1{font-size:18px;margin:0 0 4px}p{margin:4px 0 12px;color:#555}
svg{border:1px solid #ddd;background:#fff}
.sw{display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 4px 0 12px}
.grid line{stroke:#eee}.axis text{font-size:11px;fill:#444}.title{font-size:12px;fill:#222}
circle.pt{fill:#4c78a8;fill-opacity:.6}GROUPS
circle.pt.infeasible{fill:#b0b0b0}
circle.pt.front{fill:#d62728;fill-opacity:1;stroke:#000;stroke-width:.6}
circle.pt:hover{stroke:#000;stroke-width:1.5}
path.step{fill:none;stroke:#d62728;stroke-width:1.4}
path.base{fill:#f2a900;stroke:#000;stroke-width:.8}
#tip{position:absolute;background:#fffff4;border:1px solid #999;padding:6px 8px;
font:12px/1.35 ui-monospace,monospace;pointer-events:none;white-space:pre;max-width:520px}
table{border-collapse:collapse;margin-top:16px;font-size:12px}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
""".strip()

# Reads the embedded rows and fills the tooltip with text nodes only (no markup from data).
_SCRIPT = """
const rows = JSON.parse(document.getElementById("sweep-rows").textContent);
const tip = document.getElementById("tip");
const svg = document.querySelector("svg");
function line(text, bold) {
  const div = document.createElement("div");
  div.textContent = text;
  if (bold) div.style.fontWeight = "bold";
  tip.appendChild(div);
}
svg.addEventListener("mouseover", (ev) => {
  const i = ev.target.getAttribute("data-i");
  if (i === null) return;
  const r = rows[Number(i)];
  tip.replaceChildren();
  line("candidate " + r.candidate, true);
  for (const [k, v] of Object.entries(r.overrides)) line(k + " = " + JSON.stringify(v));
  for (const [k, v] of r.figures) line(k + ": " + v);
  tip.style.left = (ev.pageX + 14) + "px";
  tip.style.top = (ev.pageY + 10) + "px";
  tip.hidden = false;
});
svg.addEventListener("mouseout", () => { tip.hidden = true; });
""".strip()


def _star(cx: float, cy: float, r: float) -> str:
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else r * 0.45
        a = math.pi / 2 + k * math.pi / 5
        pts.append(f"{cx + rad * math.cos(a):.1f},{cy - rad * math.sin(a):.1f}")
    return "M" + " L".join(pts) + " Z"


def _svg(pic: Picture, label: str) -> list[str]:
    sx, sy = pic.sx, pic.sy
    xs = [p.x / sx.factor for p in pic.points] + ([pic.base[0] / sx.factor] if pic.base else [])
    ys = [p.y / sy.factor for p in pic.points] + ([pic.base[1] / sy.factor] if pic.base else [])
    (x0, x1), (y0, y1) = _domain(xs), _domain(ys)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(v: float) -> float:
        return LEFT + (v / sx.factor - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return TOP + ph - (v / sy.factor - y0) / (y1 - y0) * ph

    out = [f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'role="img" aria-label="{_h(pic.title)}">', '<g class="grid axis">']
    for t in ticks(x0, x1):
        gx = LEFT + (t - x0) / (x1 - x0) * pw
        out.append(f'<line x1="{gx:.1f}" y1="{TOP}" x2="{gx:.1f}" y2="{TOP + ph}"/>'
                   f'<text x="{gx:.1f}" y="{TOP + ph + 16}" text-anchor="middle">'
                   f'{_tick_label(t)}</text>')
    for t in ticks(y0, y1):
        gy = TOP + ph - (t - y0) / (y1 - y0) * ph
        out.append(f'<line x1="{LEFT}" y1="{gy:.1f}" x2="{LEFT + pw}" y2="{gy:.1f}"/>'
                   f'<text x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
                   f'{_tick_label(t)}</text>')
    out.append("</g>")
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" '
               f'stroke="#999"/>')
    out.append(f'<text class="title" x="{LEFT + pw / 2:.1f}" y="{HEIGHT - 10}" '
               f'text-anchor="middle">{_h(sx.label)}</text>')
    out.append(f'<text class="title" x="16" y="{TOP + ph / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 16 {TOP + ph / 2:.1f})">{_h(sy.label)}</text>')
    front = pic.front
    if front:
        steps = [f"M{px(front[0].x):.1f} {py(front[0].y):.1f}"]
        for p in front[1:]:
            steps.append(f"H{px(p.x):.1f} V{py(p.y):.1f}")
        out.append(f'<path class="step" d="{" ".join(steps)}"/>')
    ordered = sorted(pic.points, key=lambda p: (p.front, p.feasible))  # the front on top
    for p in ordered:
        cls = ("pt" + (f" g{p.group}" if pic.groups else "")
               + ("" if p.feasible else " infeasible") + (" front" if p.front else ""))
        r = 5 if p.front else 3.5
        out.append(f'<circle class="{cls}" cx="{px(p.x):.1f}" cy="{py(p.y):.1f}" r="{r}" '
                   f'data-i="{p.row}"/>')
    if pic.base is not None:
        bx, by = px(pic.base[0]), py(pic.base[1])
        out.append(f'<path class="base" d="{_star(bx, by, 9)}"><title>{_h(label)}</title>'
                   f'</path><text class="title" x="{bx + 11:.1f}" y="{by - 9:.1f}">'
                   f'{_h(label)}</text>')
    out.append("</svg>")
    return out


def _legend(pic: Picture, label: str) -> str:
    keys = [(PALETTE[g], name) for g, name in enumerate(pic.groups)]
    keys += [("#d62728", "Pareto front, joined as a staircase"), ("#b0b0b0", "infeasible"),
             (COLOURS["base"], f"★ {label}")]
    return "".join(f'<span class="sw" style="background:{c}"></span>{_h(n)}' for c, n in keys)


def html_page(rows: Sequence[Row], front: Sequence[int], base: Row | None, x: str, y: str,
              title: str | None = None, *, label: str = "base", group: str | None = None
              ) -> str:
    """The page :func:`plot_html` writes, as text."""
    pic = picture(rows, front, base, x, y, title, group)
    data = _tooltips(rows, x, y)
    style = _STYLE.replace("GROUPS", "".join(
        f"circle.pt.g{g}{{fill:{c}}}" for g, c in enumerate(PALETTE[:len(pic.groups)])))
    head = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{_h(pic.title)}</title>", f"<style>{style}</style>", "</head>", "<body>",
        f"<h1>{_h(pic.title)}</h1>",
        f"<p>{_h(caption(pic))}; point at a candidate for its overrides and figures.</p>",
        f"<p>{_legend(pic, label)}</p>",
    ]
    table = ["<table>", f"<tr><th>candidate</th><th>{_h(pic.sx.label)}</th>"
                        f"<th>{_h(pic.sy.label)}</th><th>overrides</th></tr>"]
    for p in pic.front:
        row = rows[p.row]
        shown = "; ".join(f"{k} = {json.dumps(v)}" for k, v in overrides_of(row).items())
        table.append(f"<tr><td>{_h(row.get('candidate'))}</td>"
                     f"<td>{_tick_label(p.x / pic.sx.factor)}</td>"
                     f"<td>{_tick_label(p.y / pic.sy.factor)}</td><td>{_h(shown)}</td></tr>")
    table.append("</table>")
    tail = ['<div id="tip" hidden></div>',
            f'<script type="application/json" id="sweep-rows">{_embedded_json(data)}</script>',
            f"<script>{_SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join([*head, *_svg(pic, label), *(table if pic.front else []), *tail])


def plot_html(rows: Sequence[Row], front: Sequence[int], base: Row | None, x: str, y: str,
              path: str | Path, title: str | None = None, *, label: str = "base",
              group: str | None = None) -> None:
    """:func:`html_page` written at ``path`` (UTF-8): one file, opening offline."""
    Path(path).write_text(html_page(rows, front, base, x, y, title, label=label, group=group),
                          encoding="utf-8")
