"""A sweep's answer for people and tools: the front beside the base network, as a table or JSON;
and the located ``--constraint``/``--objectives`` errors, with the flag's text and a caret.

Rows here are plain mappings (the columns of ``archspec sweep``'s results); nothing in this
module knows how they were made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from archspec.diagnostics import Diagnostic
from archspec.report.model import SCHEMA_VERSION, jsonable
from archspec.report.snippet import SourceLines
from archspec.spec.source import Source

#: front rows shown in the text table; the rest are in the results file
SHOWN = 20
#: figures shown after the objectives, when present and not an objective already
KEY_FIGURES = ("params", "macs", "latency_ms", "measured_ms", "warnings", "errors")


@dataclass(frozen=True)
class Summary:
    """What the sweep found: ``objectives`` as written (``max:params``), ``front`` its rows
    (best first by the first objective), ``base`` the base network's row."""

    results: str
    candidates: int
    ok: int
    feasible: int
    objectives: Sequence[str]
    constraints: Sequence[str]
    front: Sequence[Mapping[str, Any]]
    base: Mapping[str, Any]
    files: Sequence[str] = field(default_factory=tuple)


def _column(objective: str) -> str:
    return objective.removeprefix("max:").removeprefix("min:")


def _cell(value: Any) -> str:
    from archspec.report.text import human

    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return human(value) if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def overrides_text(row: Mapping[str, Any]) -> str:
    """``stages.s3.depth=8 input.size=256``: a row's overrides on one line."""
    data = json.loads(str(row.get("overrides") or "{}"))
    return " ".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in data.items())


def render_text(summary: Summary, stream: IO[str]) -> None:
    """The front as a table, the base network first, at most :data:`SHOWN` rows."""
    from archspec.report.text import Page

    page = Page()
    figures = [_column(o) for o in summary.objectives]
    extra = [f for f in KEY_FIGURES if f not in figures and
             any(f in row for row in [summary.base, *summary.front])]
    header = ["candidate", *summary.objectives, *extra, "overrides"]
    numeric = list(range(0, 1 + len(figures) + len(extra)))

    def line(row: Mapping[str, Any], name: str) -> list[str]:
        return [name, *(_cell(row.get(f)) for f in [*figures, *extra]), overrides_text(row)]

    errors = summary.candidates - summary.ok
    page.add((f"Front: {len(summary.front):,} of {summary.candidates:,} candidates", "bold"),
             f" ({summary.feasible:,} feasible, {errors:,} with spec errors)")
    if summary.constraints:
        page.add("constraints: ", "; ".join(summary.constraints))
    base = [line(summary.base, "base")] if summary.base.get("status") == "ok" else []
    rows = [line(r, str(r.get("candidate"))) for r in summary.front[:SHOWN]]
    page.table(header, [*base, *rows], numeric=numeric)
    if summary.base.get("status") != "ok":
        page.add(("the base network itself does not build: ", "yellow"),
                 str(summary.base.get("error")))
    if len(summary.front) > SHOWN:
        page.add(f"… and {len(summary.front) - SHOWN:,} more on the front: the rows of "
                 f"{summary.results} with front = true")
    page.write(stream)


def render_json(summary: Summary, stream: IO[str]) -> None:
    from archspec.report.json import dumps

    stream.write(dumps(jsonable({
        "schema_version": SCHEMA_VERSION, "results": summary.results, "candidates": summary.candidates, "ok": summary.ok,
        "feasible": summary.feasible, "objectives": list(summary.objectives),
        "constraints": list(summary.constraints), "base": dict(summary.base),
        "front": [dict(r) for r in summary.front], "files": list(summary.files)})))


def render_input_errors(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str],
                        stream: IO[str]) -> None:
    """Errors in command-line expressions, each under its flag's text with a caret (the flag
    is the diagnostic's file, the occurrence its line)."""
    from archspec.report.text import Page, add_diagnostics

    page = Page()
    known = {flag: Source(flag, text, {}, {}, {}) for flag, text in sources.items()}
    add_diagnostics(page, diagnostics, SourceLines(known))
    page.write(stream)
