"""A sweep's answer drawn: every candidate on two of its figures, the Pareto front joined as a
staircase, the base network marked (:mod:`archspec.sweep.picture` says what is drawn).

* :func:`plot_png`: a PNG by matplotlib's Agg canvas (no pyplot, so no global backend or
  figure state changes in the caller's process), fixed size and resolution, no timestamp or
  version in its metadata, so the same rows give the same bytes.
* :func:`plot_html` (:mod:`archspec.sweep.page`): one HTML file that opens offline, an SVG
  drawn point by point and a tooltip with each candidate's overrides.

Every text that came from a row or a space file (axis paths, values, labels) is escaped where
it is laid out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from archspec.report.escape import escape
from archspec.sweep.extras import need
from archspec.sweep.page import html_page, plot_html
from archspec.sweep.picture import COLOURS, PALETTE, Point, Row, caption, picture

__all__ = ["SUFFIXES", "html_page", "plot", "plot_html", "plot_png"]

#: what ``--plot`` can write, by the file's suffix
SUFFIXES = (".png", ".html")


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
