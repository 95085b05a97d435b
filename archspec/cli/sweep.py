"""``archspec sweep``: a search space's candidates analysed on an engine, journaled, filtered by
``--constraint``, ranked on the front of ``--objectives``; or ``--export`` of one row as a spec.

Everything a sweep is told is checked before a worker starts: the space file, the device
profile, the rule selection, every constraint and objective (against the rows' columns), the
engine and the journal. Without ``--measure`` nothing here imports torch.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archspec.cli.output import Outcome, UsageError
from archspec.report.escape import escape
from archspec.report.model import EXIT_OK, EXIT_SPEC_ERROR

if TYPE_CHECKING:
    from archspec.sweep.evaluate import Setup
    from archspec.sweep.objectives import Constraint, Objective

DEFAULT_BATCH = 200  # candidates per task and per journal part
RESULTS_SUFFIX = "-results.parquet"


def cmd_sweep(args: argparse.Namespace) -> Outcome:
    if args.export is not None:
        return _export(args)
    if args.space is None:
        raise UsageError("give a SPACE file to sweep (or --export RESULTS ROW -o FILE)")
    if args.address is not None and args.engine != "ray":
        raise UsageError("--address is for --engine ray")
    from archspec.sweep.objectives import InputError

    try:
        return _sweep(args)
    except InputError as exc:
        return _input_errors(exc, args.format)


def _sweep(args: argparse.Namespace) -> Outcome:
    from archspec.report.sweep import Summary
    from archspec.sweep.engines import EngineFailed, EngineUnavailable, engine
    from archspec.sweep.evaluate import columns
    from archspec.sweep.journal import Journal, write_results
    from archspec.sweep.run import sweep
    from archspec.sweep.space import load_space

    space = load_space(args.space)
    device = _device(args.device)
    select, ignore = _selection(args)
    setup = space.setup(device, select, ignore)
    names = columns(setup)
    constraints, objectives = _criteria(args, names, device=device is not None)
    measure, plots = _hooks(args)
    output = Path(args.output or Path(args.space).stem + RESULTS_SUFFIX)
    journal = Journal.beside(output)
    try:
        with _progress(not args.no_progress and sys.stderr.isatty()) as progress:
            result = sweep(space, setup, journal,
                           engine(args.engine, workers=args.workers, address=args.address),
                           sampler=args.sampler, samples=args.samples, seed=args.seed,
                           batch_size=args.batch_size, constraints=constraints,
                           objectives=objectives, fresh=args.fresh, progress=progress)
    except (EngineUnavailable, EngineFailed) as exc:
        raise UsageError(str(exc)) from None
    table, on_front, base = result.table, result.front, result.base
    rows = table.to_pylist() if plots else []
    front_rows = _ranked(table.take(on_front).to_pylist(), objectives)
    if measure is not None:
        front_rows = _measure(measure, setup, front_rows, args)
        table = _with_measured(table, front_rows)
    from archspec.sweep.export import results_metadata

    try:
        write_results(table, output, metadata=results_metadata(space))
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    files = [str(output)]
    x, y = _axes(objectives)
    for path, draw in plots:
        with _extras():
            draw(rows, on_front, base, x, y, path)
        files.append(path)
    print(f"wrote {escape(', '.join(files))} ({table.num_rows:,} rows; the journal is "
          f"{escape(str(journal.directory))})", file=sys.stderr)
    statuses = table.column("status").to_pylist() if table.num_rows else []
    summary = Summary(
        results=str(output), candidates=table.num_rows,
        ok=sum(s == "ok" for s in statuses),
        feasible=sum(bool(v) for v in table.column("feasible").to_pylist()),
        objectives=[str(o) for o in objectives], constraints=[c.text for c in constraints],
        front=front_rows, base=base, files=files)

    def render(out: IO[str]) -> None:
        from archspec.report.sweep import render_json, render_text

        (render_json if args.format == "json" else render_text)(summary, out)

    return Outcome(EXIT_OK, render)


def _criteria(args: argparse.Namespace, names: list[str], *, device: bool
              ) -> tuple[list[Constraint], list[Objective]]:
    """``--constraint``s and ``--objectives`` against the rows' columns, every mistake in
    both reported at once."""
    from archspec.sweep.objectives import (
        InputError,
        default_objectives,
        parse_constraints,
        parse_objectives,
    )

    failed: list[InputError] = []
    constraints: list[Constraint] = []
    objectives = default_objectives(device=device)
    try:
        constraints = parse_constraints(args.constraint or [], names, device=device)
    except InputError as exc:
        failed.append(exc)
    try:
        if args.objectives is not None:
            objectives = parse_objectives(args.objectives, names, device=device)
    except InputError as exc:
        failed.append(exc)
    if failed:
        raise InputError([d for e in failed for d in e.diagnostics],
                         {k: v for e in failed for k, v in e.sources.items()})
    return constraints, objectives


def _device(device: str | None) -> str | None:
    """``--device``, else ``$ARCHSPEC_DEVICE`` (decision 0024), read once here so a bad profile
    is a located exit 2 before any worker starts; the path is what workers load."""
    from archspec.latency.profile import ENV_VAR, resolve_device

    path = device or os.environ.get(ENV_VAR) or None
    if path is None:
        return None
    resolve_device(path)
    return os.path.abspath(path)  # a worker's working directory need not be ours


def _selection(args: argparse.Namespace) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """``--select``/``--ignore`` as lint reads them, checked against the rules here."""
    from archspec.cli.lint import codes
    from archspec.rules.engine import UnknownSelector, prepare

    select, ignore = codes(args.select), codes(args.ignore)
    try:
        prepare(select=select, ignore=ignore)
    except UnknownSelector as exc:
        raise UsageError(f"--select/--ignore: {exc}") from None
    return (tuple(select) if select is not None else None,
            tuple(ignore) if ignore is not None else None)


def _ranked(rows: list[dict[str, Any]], objectives: list[Objective]) -> list[dict[str, Any]]:
    """Front rows best first by the first objective, then the next."""
    return sorted(rows, key=lambda r: tuple(o.key(float(r[o.column])) for o in objectives))


def _progress(enabled: bool) -> Any:
    """A rich progress bar on stderr (done/total, rate, ETA) as a context manager giving a
    :class:`~archspec.sweep.run.Progress`; nothing when stderr is not a terminal."""
    from archspec.sweep.run import QUIET, Progress

    if not enabled:
        return contextlib.nullcontext(QUIET)

    @contextlib.contextmanager
    def shown() -> Any:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as Bar,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.speed
                return Text(f"{speed:,.0f}/s" if speed else "-/s", style="cyan")

        bar = Bar(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), Rate(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=Console(file=sys.stderr), transient=False)
        task = bar.add_task("sweep", total=None)

        def start(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)
            bar.start_task(task)

        def advance(rows: int) -> None:
            bar.advance(task, rows)

        with bar:
            yield Progress(start, advance)

    return shown()


# ----------------------------------------------------------------------------- hooks


def _optional(module: str, flag: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise UsageError(f"{flag} is not available in this archspec ({module} is missing)"
                         ) from None


def _hooks(args: argparse.Namespace) -> tuple[Any, list[tuple[str, Any]]]:
    """``--measure``'s module and ``--plot``/``--html``'s (path, function), found before the
    sweep runs so a missing one costs nothing."""
    if args.measure_on is not None and (args.measure is None or args.engine != "ray"):
        raise UsageError("--measure-on RESOURCE measures on a Ray cluster's workers: give "
                         "--measure K and --engine ray (with --address)")
    measure = _optional("archspec.sweep.measure", "--measure") if args.measure else None
    plots: list[tuple[str, Any]] = []
    if args.plot or args.html:
        plot = _optional("archspec.sweep.plot", "--plot/--html")
        plots += [(args.plot, plot.plot_png)] if args.plot else []
        plots += [(args.html, plot.plot_html)] if args.html else []
    return measure, plots


def _measure(measure: Any, setup: Setup, front: list[dict[str, Any]],
             args: argparse.Namespace) -> list[dict[str, Any]]:
    """The first ``--measure`` front rows built and timed (``measured_ms`` and the like), here
    or, with ``--measure-on``, by Ray tasks on workers that offer that resource; the rest of
    the front as it is."""
    timed: list[dict[str, Any]]
    with _extras():
        if args.measure_on is None:
            timed = measure.measure(setup, front, args.measure, backend=args.backend)
        else:
            from archspec.sweep.engines import EngineUnavailable, ray_joined

            try:
                with ray_joined(args.address, args.workers):
                    timed = measure.measure_ray(setup, front, args.measure,
                                                resources={args.measure_on: 1},
                                                backend=args.backend)
            except EngineUnavailable as exc:
                raise UsageError(str(exc)) from None
    by_candidate = {r["candidate"]: r for r in timed}
    return [by_candidate.get(r["candidate"], r) for r in front]


def _with_measured(table: Any, front: list[dict[str, Any]]) -> Any:
    """The results with the columns measurement added (null for the rows not measured)."""
    import pyarrow as pa

    from archspec.sweep.journal import to_table

    added = list(dict.fromkeys(k for r in front for k in r if k not in table.column_names))
    if not added:
        return table
    by_candidate = {r["candidate"]: r for r in front}
    rows = [by_candidate.get(c, {}) for c in table.column("candidate").to_pylist()]
    extra = to_table([{k: r.get(k) for k in added} for r in rows], added)
    return pa.Table.from_arrays([*table.columns, *extra.columns],
                                names=[*table.column_names, *added])


def _axes(objectives: list[Objective]) -> tuple[str, str]:
    """The plot's x and y: the first two objectives (one objective: against params, or MACs)."""
    x = objectives[0].column
    y = objectives[1].column if len(objectives) > 1 else ("macs" if x == "params" else "params")
    return x, y


@contextlib.contextmanager
def _extras() -> Iterator[None]:
    """A helper that needs a package this install lacks, or cannot do what it was asked
    (a front row that no longer resolves), is bad input: exit 2 with its sentence."""
    from archspec.sweep.extras import MissingExtra

    try:
        yield
    except (MissingExtra, ValueError) as exc:
        raise UsageError(str(exc)) from None


# ---------------------------------------------------------------------------- export


def _export(args: argparse.Namespace) -> Outcome:
    """``--export RESULTS ROW -o FILE``: the row's spec; SPACE, when given, names the base (a
    CSV file does not record it)."""
    results, row = args.export
    if args.output is None:
        raise UsageError("--export writes a spec: give -o FILE.yaml")
    if not row.isdigit() or not row.isascii():
        raise UsageError(f"--export ROW is a candidate number (the `candidate` column), "
                         f"got {row!r}")
    module = _optional("archspec.sweep.export", "--export")
    space = None
    if args.space is not None:
        from archspec.sweep.space import load_space

        space = load_space(args.space)
    try:
        module.export(results, int(row), args.output, space=space)
    except module.ExportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {escape(args.output)}", file=sys.stderr)
    return Outcome(EXIT_OK)


def _input_errors(exc: Any, fmt: str) -> Outcome:
    """Constraint and objective errors: with the flag's text and a caret on stderr (text), or
    as diagnostics on stdout (json)."""
    diagnostics, sources = exc.diagnostics, exc.sources
    if fmt == "json":
        from archspec.cli.output import render_errors

        return Outcome(EXIT_SPEC_ERROR, lambda out: render_errors(diagnostics, fmt, out))
    from archspec.report.sweep import render_input_errors

    render_input_errors(diagnostics, sources, sys.stderr)
    return Outcome(EXIT_SPEC_ERROR)
