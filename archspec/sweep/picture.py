"""What a picture of a sweep shows, whatever draws it: each row as a point on two of its
figures (feasible or not, on the front or not, in a colour group), the base network's point,
and each axis's readable scale and title.

Rows are the sweep's (:func:`archspec.sweep.evaluate.columns`); ``front`` indexes into them. A
row is *infeasible* when its ``feasible`` column says False (the constraints failed); a row
without both figures (a candidate that did not resolve) is not a point, and is counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]

#: how each known figure is named on an axis, and what kind of number it is
FIGURES: dict[str, tuple[str, str]] = {
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
    name, kind = FIGURES.get(column, (column, ""))
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


#: colours of the groups of points, and of the rest
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d", "#72b7b2", "#ff9da6",
           "#bcbd22")
COLOURS = {"infeasible": "#b0b0b0", "front": "#d62728", "base": "#f2a900"}


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
        title = (f"{FIGURES.get(y, (y,))[0]} against {FIGURES.get(x, (x,))[0]}: "
                 f"{len(rows)} candidates, {len(on_front)} on the front")
    groups = [f"{group} = {v}" for v in values] if group else []
    return Picture(points, at, sx, sy, len(rows) - len(points), title, group, groups)


def caption(pic: Picture) -> str:
    n = len(pic.points)
    bad = sum(1 for p in pic.points if not p.feasible)
    words = [f"{n} drawn", f"{bad} infeasible" if bad else "", f"{len(pic.front)} on the front",
             f"{pic.undrawn} without these figures (not drawn)" if pic.undrawn else ""]
    return ", ".join(w for w in words if w)
