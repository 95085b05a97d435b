"""A sweep's picture as one HTML file that opens offline: an SVG drawn here, point by point,
and a few lines of plain JavaScript that show a candidate's overrides and figures on hover,
read from the rows embedded as JSON. No library, no network, nothing fetched; every text from
a row is escaped for HTML (and its control characters written out) where it is laid out, and
the tooltip is filled with text nodes only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archspec.report.escape import escape_html
from archspec.sweep.model import TOTALS, overrides_of
from archspec.sweep.picture import (
    COLOURS,
    FIGURES,
    PALETTE,
    Picture,
    Row,
    Scale,
    caption,
    number,
    picture,
    scale,
)

#: the SVG's size and the margins around its plotting area (px)
WIDTH, HEIGHT = 760, 470
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 20, 52


_h = escape_html  # text for HTML (elements and quoted attributes): controls, then markup


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
        figures = [[FIGURES.get(c, (c,))[0], _figure_text(row[c], scales[c])]
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
circle.pt{fill:POINT;fill-opacity:.6}GROUPS
circle.pt.infeasible{fill:INFEASIBLE}
circle.pt.front{fill:FRONT;fill-opacity:1;stroke:#000;stroke-width:.6}
circle.pt:hover{stroke:#000;stroke-width:1.5}
path.step{fill:none;stroke:FRONT;stroke-width:1.4}
path.base{fill:BASE;stroke:#000;stroke-width:.8}
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
    keys += [(COLOURS["front"], "Pareto front, joined as a staircase"),
             (COLOURS["infeasible"], "infeasible"),
             (COLOURS["base"], f"★ {label}")]
    return "".join(f'<span class="sw" style="background:{c}"></span>{_h(n)}' for c, n in keys)


def html_page(rows: Sequence[Row], front: Sequence[int], base: Row | None, x: str, y: str,
              title: str | None = None, *, label: str = "base", group: str | None = None
              ) -> str:
    """The page :func:`plot_html` writes, as text."""
    pic = picture(rows, front, base, x, y, title, group)
    data = _tooltips(rows, x, y)
    style = (_STYLE.replace("GROUPS", "".join(
        f"circle.pt.g{g}{{fill:{c}}}" for g, c in enumerate(PALETTE[:len(pic.groups)])))
        .replace("INFEASIBLE", COLOURS["infeasible"]).replace("FRONT", COLOURS["front"])
        .replace("BASE", COLOURS["base"]).replace("POINT", PALETTE[0]))
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
