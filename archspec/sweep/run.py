"""One sweep from candidates to results (:func:`sweep`): batches not yet journaled evaluated on
an engine and journaled as they finish, then the journal assembled into a table with each row's
verdict.

The command line (:mod:`archspec.cli.sweep`) parses and renders; this module runs. A sweep
that was interrupted resumes here: batches whose parts exist are cut from the stream but never
sent to the engine, and the rows they hold count as done from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.sweep.engines import Engine, batches
from archspec.sweep.evaluate import Evaluator, Setup, columns
from archspec.sweep.model import Candidate
from archspec.sweep.objectives import Constraint, Objective, verdict

if TYPE_CHECKING:
    import pyarrow as pa

    from archspec.sweep.journal import Journal
    from archspec.sweep.sample import Sampler
    from archspec.sweep.space import Space

#: the candidate index of the base network's row (no overrides): never a sampled candidate
BASE_INDEX = -1
#: columns the results add to the evaluated rows: the row passes the constraints; it is on the front
VERDICT = ("feasible", "front")


@dataclass(frozen=True)
class Progress:
    """What the caller is told as the sweep runs: ``start(done, total)`` once (rows already
    journaled, candidates in all or None when the sampler cannot say), ``advance(rows)`` per
    batch journaled."""

    start: Callable[[int, int | None], None]
    advance: Callable[[int], None]


QUIET = Progress(lambda done, total: None, lambda rows: None)


def evaluate(setup: Setup, candidates: Iterable[Candidate], journal: Journal, engine: Engine,
             *, batch_size: int, total: int | None = None, progress: Progress = QUIET) -> int:
    """Evaluate every candidate whose batch is not journaled yet, journaling each batch as it
    finishes; returns the number of batches the stream made (all journaled on return)."""
    done = set(journal.done())
    progress.start(journal.rows_in(done), total)
    made = [-1]

    def counted() -> Iterable[tuple[int, list[Candidate]]]:
        for number, chunk in batches(candidates, batch_size):
            made[0] = number
            if number not in done:
                yield number, chunk

    order = columns(setup)
    for number, rows in engine.map(setup, counted()):
        journal.write(number, rows, order)
        progress.advance(len(rows))
    return made[0] + 1


def base_row(setup: Setup) -> dict[str, Any]:
    """The base variant's own row (no overrides), evaluated here: what the summary and the
    plot compare the front with."""
    (row,) = Evaluator(setup).evaluate([Candidate(BASE_INDEX, ())])
    return row


def results(journal: Journal, count: int, constraints: Sequence[Constraint],
            objectives: Sequence[Objective]) -> tuple[pa.Table, list[int]]:
    """The journaled rows of batches ``0..count-1``, sorted by candidate, with the
    :data:`VERDICT` columns; and the front as row positions, ascending."""
    import pyarrow as pa

    table = journal.read(range(count))
    ok, on_front = verdict(table, constraints, objectives)
    flags = [False] * table.num_rows
    for i in on_front:
        flags[i] = True
    table = table.append_column("feasible", pa.array(ok, pa.bool_()))
    table = table.append_column("front", pa.array(flags, pa.bool_()))
    return table, on_front


@dataclass(frozen=True)
class Result:
    """A finished sweep: every row (sorted by candidate, with :data:`VERDICT`), the front as
    row positions, and the base network's own row."""

    table: pa.Table
    front: list[int]
    base: dict[str, Any]


def sweep(space: Space, setup: Setup, journal: Journal, engine: Engine, *, sampler: Sampler,
          samples: int | None, seed: int, batch_size: int,
          constraints: Sequence[Constraint] = (), objectives: Sequence[Objective],
          fresh: bool = False, progress: Progress = QUIET) -> Result:
    """Sample ``space``, evaluate on ``engine`` what ``journal`` does not hold yet (another
    sweep's journal is a SpecError, unless ``fresh``), and rank the rows."""
    from archspec.sweep.journal import fingerprint
    from archspec.sweep.sample import sample

    journal.start(fingerprint(space=space.file, base=setup.base, variant=setup.variant,
                              axes=setup.axes, sampler=sampler, samples=samples, seed=seed,
                              device=setup.device, select=setup.select, ignore=setup.ignore,
                              batch_size=batch_size), fresh=fresh)
    candidates = sample(space, sampler, samples, seed)
    with engine:
        count = evaluate(setup, candidates, journal, engine, batch_size=batch_size,
                         total=total(space, samples), progress=progress)
    table, on_front = results(journal, count, constraints, objectives)
    return Result(table, on_front, base_row(setup))


def total(space: Space, samples: int | None) -> int | None:
    """How many candidates the sampler will give, for progress: known when no ``skip:``
    condition can drop combinations (else None)."""
    if space.skips:
        return None
    size = space.size()
    return size if samples is None else min(size, samples)
