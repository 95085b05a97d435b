"""The engines give the rows the evaluator gives, whatever the engine, the number of workers or
the order batches finish in; batches are cut from the stream in order; a resumed run evaluates
only the batches not journaled."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archspec.sweep.engines import LocalEngine, RayEngine, batches, evaluate_batch
from archspec.sweep.evaluate import Evaluator, Setup
from archspec.sweep.journal import Journal
from archspec.sweep.model import Candidate
from archspec.sweep.objectives import Objective
from archspec.sweep.run import Progress, evaluate, results

from .run_support import ROOT, candidates, setup

HANG_BOUND_S = 120  # bounds a hang only; the sweeps take seconds


def bounded(work: Callable[[], Any]) -> Any:
    """``work()`` in a thread; a test failure, not a hung suite, when it does not finish."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_BOUND_S)
    if thread.is_alive():
        pytest.fail(f"the engine did not finish in {HANG_BOUND_S} s")
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture(scope="module")
def expected() -> dict[int, dict[str, Any]]:
    """The rows of the small space, evaluated in this process."""
    return {r["candidate"]: r for r in Evaluator(setup()).evaluate(candidates())}


def by_candidate(found: Iterable[tuple[int, list[dict[str, Any]]]]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for _, batch in found:
        for row in batch:
            assert row["candidate"] not in rows
            rows[row["candidate"]] = row
    return rows


def test_the_small_space_has_ok_and_failing_candidates(expected: dict[int, dict[str, Any]]
                                                       ) -> None:
    assert len(expected) == 24
    assert all(r["status"] == "ok" for r in expected.values())
    assert len({r["params"] for r in expected.values()}) > 6


@pytest.mark.parametrize("workers", [1, 2])
def test_the_local_engine_gives_the_evaluators_rows(workers: int,
                                                    expected: dict[int, dict[str, Any]]) -> None:
    def run() -> dict[int, dict[str, Any]]:
        with LocalEngine(workers=workers) as engine:
            return by_candidate(engine.map(setup(), batches(candidates(), 5)))

    assert bounded(run) == expected


@pytest.mark.xdist_group("ray")
def test_ray_gives_the_same_rows(monkeypatch: pytest.MonkeyPatch,
                                 expected: dict[int, dict[str, Any]]) -> None:
    ray = pytest.importorskip("ray")
    # Ray's workers are processes of their own: they find archspec as this process does
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))

    def run() -> dict[int, dict[str, Any]]:
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
        try:
            with RayEngine() as engine:  # an initialised Ray is used as it is
                return by_candidate(engine.map(setup(), batches(candidates(), 5)))
        finally:
            ray.shutdown()

    assert bounded(run) == expected


def test_a_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from archspec.sweep.engines import EngineUnavailable

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    with pytest.raises(EngineUnavailable, match=r"pip install 'archspec\[ray\]'"), RayEngine():
        pass


def test_batches_are_cut_in_order() -> None:
    stream = [Candidate(i, ()) for i in range(11)]
    cut = [(n, [c.index for c in chunk]) for n, chunk in batches(stream, 4)]
    assert cut == [(0, [0, 1, 2, 3]), (1, [4, 5, 6, 7]), (2, [8, 9, 10])]
    with pytest.raises(ValueError):
        list(batches(stream, 0))


def test_a_worker_keeps_one_evaluator_per_setup() -> None:
    from archspec.sweep import engines

    s = setup()
    first = evaluate_batch(s, candidates()[:1])
    kept = engines._EVALUATORS[s]
    assert evaluate_batch(Setup(**{**s.__dict__}), candidates()[:1]) == first
    assert engines._EVALUATORS[s] is kept


class Recording:
    """An engine in this process that records the batches it is given and how far ahead of
    the results the stream was read."""

    def __init__(self) -> None:
        self.given: list[int] = []

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, s: Setup, work: Iterable[tuple[int, list[Candidate]]]
            ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        for number, chunk in work:
            self.given.append(number)
            yield number, evaluate_batch(s, chunk)


def test_a_resumed_run_evaluates_only_what_is_not_journaled(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start({"test": 1})
    first = Recording()
    seen: list[tuple[str, Any]] = []
    progress = Progress(lambda done, total: seen.append(("start", (done, total))),
                        lambda rows: seen.append(("advance", rows)))
    count = evaluate(setup(), candidates()[:8], journal, first, batch_size=3, total=8,
                     progress=progress)
    assert count == 3 and first.given == [0, 1, 2]
    assert seen == [("start", (0, 8)), ("advance", 3), ("advance", 3), ("advance", 2)]
    before = {n: (p.stat().st_ino, p.stat().st_mtime_ns) for n, p in journal.done().items()}
    journal.done()[1].unlink()  # as if the run had been killed before batch 1 was journaled
    del before[1]
    second = Recording()
    seen.clear()
    assert evaluate(setup(), candidates()[:8], journal, second, batch_size=3, total=8,
                    progress=progress) == 3
    assert second.given == [1]
    assert seen == [("start", (5, 8)), ("advance", 3)]
    assert all((journal.part(n).stat().st_ino, journal.part(n).stat().st_mtime_ns) == stamp
               for n, stamp in before.items())
    table, front = results(journal, 3, [], [Objective("macs"), Objective("params")])
    assert table.column("candidate").to_pylist() == list(range(8))
    assert table.column("front").to_pylist() == [i in front for i in range(8)]
    assert all(table.column("feasible").to_pylist())


def test_the_stream_is_read_only_a_few_batches_ahead() -> None:
    """A million candidates must not be drawn into memory: the local engine holds at most two
    batches per worker in flight."""
    drawn: list[int] = []

    def stream() -> Iterator[Candidate]:
        for c in candidates():
            drawn.append(c.index)
            yield c

    ahead: list[int] = []

    def run() -> None:
        with LocalEngine(workers=1) as engine:
            for number, _ in engine.map(setup(), batches(stream(), 2)):
                ahead.append(len(drawn) // 2 - number)

    bounded(run)
    assert max(ahead) <= 2


def test_a_lost_worker_is_an_engine_failure_not_a_bug() -> None:
    import signal

    from archspec.sweep.engines import EngineFailed

    def run() -> None:
        with LocalEngine(workers=1) as engine:
            results = engine.map(setup(), batches(candidates(), 2))
            next(results)
            assert engine._pool is not None
            for pid in list(engine._pool._processes):  # the pool's own worker
                os.kill(pid, signal.SIGKILL)
            with pytest.raises(EngineFailed, match="rerun the same command to resume"):
                list(results)

    bounded(run)


def test_a_sweep_without_candidates_has_empty_results(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start({"test": 1})
    assert evaluate(setup(), [], journal, Recording(), batch_size=3) == 0
    table, front = results(journal, 0, [], [Objective("macs"), Objective("params")])
    assert (table.num_rows, front) == (0, [])
    assert {"feasible", "front"} <= set(table.column_names)
