"""Constraints and objectives parsed from the command line (located errors, never eval), and the
Pareto front checked against a brute-force definition."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archspec.sweep.objectives import (
    Constraint,
    InputError,
    Objective,
    default_objectives,
    feasible,
    figures,
    front,
    pareto,
    parse_constraints,
    parse_objectives,
    verdict,
)

COLUMNS = ["candidate", "overrides", "status", "error", "stages.s3.depth", "params", "macs",
           "flops", "mem_access_elems", "peak_activation_bytes", "latency_ms", "errors",
           "warnings", "info", "A001", "G1", "S104"]


def problems(texts: list[str], *, device: bool = False) -> list[tuple[str, str, str | None]]:
    with pytest.raises(InputError) as caught:
        parse_constraints(texts, COLUMNS, device=device)
    return [(str(d.span), d.code, d.fix) for d in caught.value.diagnostics]


def test_constraints_parse_every_operator_and_number_spelling() -> None:
    found = parse_constraints(["params <= 5e6", "G1==0", "warnings<1_0", "macs > .5",
                               "latency_ms >= -1.5E-2", "errors != 0"], COLUMNS, device=True)
    assert [(c.column, c.op, c.value) for c in found] == [
        ("params", "<=", 5e6), ("G1", "==", 0.0), ("warnings", "<", 10.0), ("macs", ">", 0.5),
        ("latency_ms", ">=", -0.015), ("errors", "!=", 0.0)]


def test_the_names_are_the_figures_not_the_identity_or_the_axes() -> None:
    assert figures(COLUMNS, device=False) == [
        "params", "macs", "flops", "mem_access_elems", "peak_activation_bytes", "errors",
        "warnings", "info", "A001", "G1", "S104"]
    assert "latency_ms" in figures(COLUMNS, device=True)
    assert problems(["stages.s3.depth < 8"])[0][1] == "E211"


@pytest.mark.parametrize(("text", "where", "code", "fix"), [
    ("parms <= 5e6", "--constraint:1:1", "E211", "did you mean `params`?"),
    ("g1 == 0", "--constraint:1:1", "E211", "did you mean `G1`?"),
    ("latency_ms < 3", "--constraint:1:1", "E211",
     "add --device DEVICE.json (from `archspec calibrate`)"),
    ("params", "--constraint:1:7", "E210", None),
    ("params = 3", "--constraint:1:8", "E210", "write `==` to compare"),
    ("5e6 >= params", "--constraint:1:1", "E210", "write the column first: `params <= 5e6`"),
    ("params <= x", "--constraint:1:11", "E210", None),
    ("params <= 3 and macs < 2", "--constraint:1:13", "E210",
     "give one --constraint per condition (all must hold)"),
    ("params <= 1e999", "--constraint:1:11", "E210", None),
    ("", "--constraint:1:1", "E210", None),
    ("__import__('os').system('x') < 1", "--constraint:1:11", "E210", None),
])
def test_bad_constraints_are_located(text: str, where: str, code: str, fix: str | None) -> None:
    assert problems([text]) == [(where, code, fix)]


def test_every_bad_constraint_is_reported_at_its_position() -> None:
    assert [p[0] for p in problems(["params < 1", "parms < 1", "macs <", "G1 < 1"])] == [
        "--constraint:2:1", "--constraint:3:7"]


def test_constraints_hold_only_on_ok_rows_with_the_figure() -> None:
    (c,) = parse_constraints(["params <= 100"], COLUMNS, device=False)
    assert c.holds({"params": 100}) and not c.holds({"params": 101})
    assert not c.holds({"params": None}) and not c.holds({})
    assert feasible({"status": "ok", "params": 5}, [c])
    assert not feasible({"status": "error", "params": 5}, [c])
    assert not feasible({"status": "error"}, [])


def test_objectives_parse_with_directions() -> None:
    assert parse_objectives("latency_ms, max:params,min:G1", COLUMNS, device=True) == [
        Objective("latency_ms"), Objective("params", maximise=True), Objective("G1")]
    assert default_objectives(device=True) == [Objective("latency_ms"), Objective("params")]
    assert default_objectives(device=False) == [Objective("macs"), Objective("params")]


def test_bad_objectives_are_located_together() -> None:
    with pytest.raises(InputError) as caught:
        parse_objectives("macs, max:parms,,foo:params,macs", COLUMNS, device=False)
    assert [(str(d.span), d.code) for d in caught.value.diagnostics] == [
        ("--objectives:1:11", "E211"), ("--objectives:1:17", "E212"),
        ("--objectives:1:18", "E212"), ("--objectives:1:29", "E212")]
    assert caught.value.sources == {"--objectives": "macs, max:parms,,foo:params,macs"}


# ------------------------------------------------------------------------------------- front


def brute_force(values: list[tuple[float, ...] | None]) -> list[int]:
    """The definition: a point no other point is at least as good as everywhere and better
    somewhere."""
    def dominates(q: tuple[float, ...], p: tuple[float, ...]) -> bool:
        return all(a <= b for a, b in zip(q, p, strict=True)) and any(a < b for a, b in zip(q, p, strict=True))

    return [i for i, p in enumerate(values) if p is not None and
            not any(q is not None and dominates(q, p) for q in values)]


small = st.integers(min_value=0, max_value=5).map(float)  # few values: many ties


@given(st.integers(min_value=1, max_value=4).flatmap(
    lambda k: st.lists(st.one_of(st.none(), st.tuples(*[small] * k)), max_size=60)))
def test_front_is_the_brute_force_front(values: list[tuple[float, ...] | None]) -> None:
    assert front(values) == brute_force(values)


@given(st.lists(st.tuples(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9)), max_size=80))
def test_front_of_two_objectives_with_any_floats(values: list[tuple[float, float]]) -> None:
    assert front(list(values)) == brute_force(list(values))


def test_pareto_filters_rows_and_flips_maximised_objectives() -> None:
    rows: list[dict[str, Any]] = [
        {"status": "ok", "params": 10, "macs": 5},
        {"status": "ok", "params": 5, "macs": 10},
        {"status": "ok", "params": 20, "macs": 20},
        {"status": "error", "params": 1, "macs": 1},   # never feasible
        {"status": "ok", "params": 1, "macs": None},   # lacks a figure
        {"status": "ok", "params": 2, "macs": 2},      # dominates all but fails the constraint
    ]
    cap = Constraint("params", ">=", 5, "params >= 5")
    objectives = [Objective("params"), Objective("macs")]
    assert pareto(rows, objectives, [cap]) == [0, 1]
    assert pareto(rows, objectives) == [5]
    assert pareto(rows, [Objective("params", maximise=True), Objective("macs")], [cap]) == [0, 2]


def test_front_of_many_rows_is_computed() -> None:
    """10,000+ rows: a front of every point (anti-correlated), and a random cloud in three
    objectives (bounded by the suite's hang bound, not timed)."""
    rng = random.Random(0)
    xs = [rng.random() for _ in range(20_000)]
    assert len(front([(x, 1 - x) for x in xs])) == len(xs)
    cloud: list[tuple[float, ...] | None] = [(rng.random(), rng.random(), rng.random())
                                             for _ in range(20_000)]
    found = front(cloud)
    sample = [cloud[i] for i in found[:50]]
    assert all(not (q != p and all(a <= b for a, b in zip(q, p, strict=True)))  # type: ignore[arg-type]
               for p, q in itertools.product(sample, cloud))


figure = st.one_of(st.none(), st.integers(0, 4), st.sampled_from([0.5, 2.5, math.nan, math.inf]))
row = st.fixed_dictionaries({"status": st.sampled_from(["ok", "ok", "error"]),
                             "params": figure, "macs": figure, "G1": st.integers(0, 2)})


@given(st.lists(row, max_size=40), st.sampled_from(["<=", "<", ">=", ">", "==", "!="]),
       st.booleans())
def test_the_columnar_verdict_is_the_row_by_row_one(rows: list[dict[str, Any]], op: str,
                                                    maximise: bool) -> None:
    """What the results table gets (computed on Arrow columns) is what feasible() and pareto()
    say row by row, with missing, NaN and infinite figures and error rows among them."""
    from archspec.sweep.journal import to_table

    table = to_table(rows, ["status", "params", "macs", "G1"])
    constraints = [Constraint("params", op, 2.0, f"params {op} 2"), Constraint("G1", "<", 2, "")]
    objectives = [Objective("macs", maximise=maximise), Objective("params")]
    ok, on_front = verdict(table, constraints, objectives)
    assert ok == [feasible(r, constraints) for r in rows]
    assert on_front == pareto(rows, objectives, constraints)
