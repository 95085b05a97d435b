"""Horizontal bar charts as inline SVG, drawn here: one bar per block, in network order, so the
page needs no chart library and opens offline. A bar's length is its share of the largest
block's value; its label says the value and its share of the network's total. Every text is
escaped where it is laid out (:func:`~archspec.report.escape.escape_html`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from archspec.report.escape import escape_html

#: the chart's geometry (px): the label column, the bars' longest length, a row's height
LABEL_W, BAR_W, VALUE_W, ROW_H, TOP = 118, 150, 112, 16, 6
WIDTH = LABEL_W + BAR_W + VALUE_W
MAX_LABEL = 19  # characters of a block path shown; the full path is in the bar's tooltip


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else "…" + label[-(MAX_LABEL - 1):]


def bar_chart(metric: str, title: str, labels: Sequence[str], values: Sequence[float],
              show: Callable[[float], str], *, colour: str = "#4c78a8") -> str:
    """An SVG with one ``rect.bar`` per label (``values`` in the same order), titled ``title``;
    ``metric`` names the chart for the page's script and tests (``data-metric``); ``show``
    formats a value. Zero values keep their (empty) bar, so the count of bars is the count of
    blocks."""
    assert len(labels) == len(values)
    total = sum(values)
    top = max(values, default=0.0)
    height = TOP * 2 + ROW_H * len(labels)
    out = [f'<svg class="chart" data-metric="{escape_html(metric)}" width="{WIDTH}" '
           f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="{escape_html(title)}">']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * ROW_H
        length = BAR_W * value / top if top > 0 else 0.0
        share = f"{100 * value / total:.1f} %" if total > 0 else "-"
        tip = escape_html(f"{label}: {show(value)} ({share} of the total)")
        out.append(
            f'<text class="label" x="{LABEL_W - 6}" y="{y + ROW_H - 4}" text-anchor="end">'
            f'{escape_html(_short(label))}</text>'
            f'<rect class="bar" x="{LABEL_W}" y="{y + 2}" width="{length:.1f}" '
            f'height="{ROW_H - 4}" fill="{colour}"><title>{tip}</title></rect>'
            f'<text class="value" x="{LABEL_W + length + 4:.1f}" y="{y + ROW_H - 4}">'
            f'{escape_html(show(value))} · {share}</text>')
    out.append("</svg>")
    return "".join(out)
