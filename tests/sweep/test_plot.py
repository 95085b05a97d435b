"""The front's pictures: a deterministic PNG, and one HTML page that opens offline and carries
every row's overrides for its tooltips."""

from __future__ import annotations

import json
import struct
import sys
from html.parser import HTMLParser
from typing import Any

import pytest

from archspec.sweep.extras import MissingExtra
from archspec.sweep.page import ticks
from archspec.sweep.picture import scale
from archspec.sweep.plot import html_page, plot, plot_html, plot_png

from .emo_rows import pareto, rows_and_base

X, Y = "latency_ms", "params"


@pytest.fixture(scope="module")
def sweep() -> tuple[list[dict[str, Any]], list[int], dict[str, Any]]:
    rows, base = rows_and_base()
    for r in rows:  # a constraint, as the command applies it: params ≤ 1.4 M
        r["feasible"] = r["status"] == "ok" and r["params"] <= 1.4e6
    return rows, pareto(rows, X, Y), base


class Page(HTMLParser):
    """Every element's tag and attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]

    def embedded(self) -> Any:
        (text,) = [t for a, t in self.scripts if a.get("type") == "application/json"]
        return json.loads(text)


def parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def test_the_sweep_has_errors_infeasible_rows_and_a_front(sweep):
    rows, front, _ = sweep
    assert sum(r["status"] == "error" for r in rows) == 3  # dw_k 4: E144
    assert any(r["feasible"] is False and r["status"] == "ok" for r in rows)
    assert len(front) >= 1


def test_png_is_a_fixed_size_picture_and_the_same_bytes_every_time(sweep, tmp_path):
    rows, front, base = sweep
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    plot_png(rows, front, base, X, Y, a, label="emo_1m")
    plot_png(rows, front, base, X, Y, b, label="emo_1m")
    data = a.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, 750)
    assert data == b.read_bytes()
    assert b"matplotlib" not in data.lower()  # no software/version stamp in the metadata


def test_png_needs_matplotlib_and_says_which_extra(sweep, tmp_path, monkeypatch):
    rows, front, base = sweep
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtra, match=r"pip install 'archspec\[sweep\]'"):
        plot_png(rows, front, base, X, Y, tmp_path / "a.png")


def test_html_opens_offline_one_circle_per_drawn_row_front_marked(sweep, tmp_path):
    rows, front, base = sweep
    path = tmp_path / "front.html"
    plot_html(rows, front, base, X, Y, path, "EMO-1M: s3 depth × dw_k")
    text = path.read_text(encoding="utf-8")
    page = parsed(text)
    assert "://" not in text
    assert not [a for _, a in page.elements if {"src", "href", "xlink:href"} & set(a)]
    assert not page.tags("link") and not page.tags("iframe") and not page.tags("img")
    circles = page.tags("circle")
    drawn = [i for i, r in enumerate(rows) if r["status"] == "ok"]
    assert sorted(int(c["data-i"] or -1) for c in circles) == drawn
    marked = {int(c["data-i"] or -1) for c in circles if "front" in (c["class"] or "").split()}
    assert marked == set(front)
    grey = {int(c["data-i"] or -1) for c in circles
            if "infeasible" in (c["class"] or "").split()}
    assert grey == {i for i in drawn if not rows[i]["feasible"]}
    assert len(page.tags("path")) == 2  # the front's staircase and the base's star


def test_html_embeds_every_rows_overrides_for_its_tooltip(sweep):
    rows, front, base = sweep
    data = parsed(html_page(rows, front, base, X, Y)).embedded()
    assert len(data) == len(rows)
    for entry, row in zip(data, rows, strict=True):
        assert entry["candidate"] == row["candidate"]
        assert entry["overrides"] == json.loads(row["overrides"])
    failed = next(e for e, r in zip(data, rows, strict=True) if r["status"] == "error")
    assert ["error", next(r["error"] for r in rows if r["status"] == "error")] in failed["figures"]


HOSTILE = '</script><img src=x onerror="alert(1)">\x1b[31m&amp;'


def test_html_escapes_every_text_that_came_from_a_row():
    rows = [{"candidate": i, "overrides": json.dumps({HOSTILE: HOSTILE}), "status": "ok",
             "error": "", HOSTILE: float(i), "params": 1e6 * (2 - i)} for i in range(2)]
    text = html_page(rows, [0, 1], None, HOSTILE, "params", title=HOSTILE)
    page = parsed(text)
    assert not page.tags("img")
    assert "\x1b" not in text
    assert [t for _, t in page.scripts if "alert" in t and "getElementById" in t] == []
    data = page.embedded()
    assert [e["overrides"] for e in data] == [{HOSTILE: HOSTILE}] * 2


def test_the_picture_format_is_told_by_the_suffix(sweep, tmp_path):
    rows, front, base = sweep
    plot(rows, front, base, X, Y, tmp_path / "f.html")
    assert (tmp_path / "f.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError, match=r"\.png, \.html"):
        plot(rows, front, base, X, Y, tmp_path / "f.jpg")


def test_bad_front_indices_and_columns_without_figures_are_refused(sweep):
    rows, front, base = sweep
    with pytest.raises(ValueError, match="not a row"):
        html_page(rows, [len(rows)], base, X, Y)
    with pytest.raises(ValueError, match="no row has a figure for 'measured_ms'"):
        html_page(rows, front, base, "measured_ms", Y)


def test_points_are_coloured_by_a_column_when_asked(sweep, tmp_path):
    rows, front, base = sweep
    page = parsed(html_page(rows, front, base, X, Y, group="stages.s3.depth"))
    depth = {6: "g0", 8: "g1", 10: "g2"}
    for c in page.tags("circle"):
        assert depth[rows[int(c["data-i"] or -1)]["stages.s3.depth"]] in (c["class"] or "")
    plot_png(rows, front, base, X, Y, tmp_path / "g.png", group="stages.s3.depth")
    with pytest.raises(ValueError, match="cannot colour by 'candidate': it has 9 values"):
        html_page(rows, front, base, X, Y, group="candidate")


@pytest.mark.parametrize(("column", "values", "label"), [
    ("params", [1.19e6, 1.6e6], "parameters (M)"),
    ("macs", [2.2e8, 4.4e8], "MACs (M)"),
    ("macs", [1.2e9], "MACs (G)"),
    ("latency_ms", [40.0, 65.0], "predicted latency (ms)"),
    ("peak_activation_bytes", [9_633_792.0], "peak activation (MiB)"),
    ("stages.s3.depth", [6.0, 10.0], "stages.s3.depth"),
])
def test_axes_are_labelled_in_readable_units(column, values, label):
    assert scale(column, values).label == label


def test_ticks_are_round_and_span_the_range():
    assert ticks(38.2, 73.5) == [40.0, 50.0, 60.0, 70.0]
    assert ticks(1.18, 1.5) == [1.2, 1.3, 1.4, 1.5]
    assert ticks(0.0, 1.2) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
    assert ticks(-3.0, 7.0) == [-2.0, 0.0, 2.0, 4.0, 6.0]
