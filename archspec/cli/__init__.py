"""The ``archspec`` command: lint, profile, report, graph, build, calibrate, sweep, schema, list,
rule.

Exit codes (docs/cli.md): 0 success; 1 ``lint`` found an error-severity finding; 2 a spec error
(rendered with its location) or bad command-line input; 3 a bug in archspec (a short message,
never a traceback, unless ``ARCHSPEC_TRACEBACK=1``); 130 interrupted.

Start-up is part of the interface: ``lint``, ``profile``, ``report``, ``graph``, ``schema``,
``list`` and ``rule`` never import torch, and every heavier import (rich, the rules, the
analysis) happens inside the command that needs it. Each command (one module per command or
group) parses nothing and prints nothing of its own: it calls the library and returns an
:class:`~archspec.cli.output.Outcome`, which
:func:`main` writes inside the one output guard.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence

from archspec.cli.output import (
    PROG,
    Outcome,
    OutputClosed,
    OutputFailed,
    UsageError,
    guarded,
    render_errors,
)
from archspec.diagnostics import SpecError
from archspec.report.escape import escape
from archspec.report.model import EXIT_INTERNAL, EXIT_OK, EXIT_SPEC_ERROR

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    from archspec.cli.parser import build_parser

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_SPEC_ERROR
    try:
        with _collector_for_batch_work():
            return _run(args)
    except OutputClosed as exc:  # `archspec ... | head`: the reader left; say nothing more
        _drop_stdout()
        return exc.code
    except OutputFailed as exc:  # `> /dev/full`: not a bug, and not silent
        _drop_stdout()
        print(f"{PROG}: cannot write output: {exc}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # a write outside the output guard: the exit code is unknown
        _drop_stdout()
        return EXIT_OK
    except Exception as exc:  # a bug: a short message, the traceback only on request
        if os.environ.get("ARCHSPEC_TRACEBACK"):
            raise
        print(f"{PROG} {args.command}: internal error: {type(exc).__name__}: "
              f"{escape(str(exc))}\n"
              "This is a bug in archspec; please report it with the command and the spec "
              "(set ARCHSPEC_TRACEBACK=1 to see the traceback).", file=sys.stderr)
        return EXIT_INTERNAL


#: The cyclic collector's thresholds while a command runs (Python's default is 700, 10, 10).
#: Analysis builds many small objects that live until the command ends (an Op, its shapes and
#: provenance per primitive op) and almost no cycles; at the defaults the older generations are
#: re-walked again and again: 1.5 s, a third of the CPU time of a 5,000-block lint, against
#: 0.15 s here. Young objects are still collected often. See decision 0015.
GC_THRESHOLDS = (2_000, 1_000, 1_000)


@contextlib.contextmanager
def _collector_for_batch_work() -> Iterator[None]:
    """Collect less often while a command runs; restored after (``main`` runs in tests too)."""
    saved = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _run(args: argparse.Namespace) -> int:
    """The command, with spec and usage errors rendered (text escaped); its output written
    inside the one guard (what a command printed itself is still buffered, and flushed there
    too); its exit code."""
    try:
        outcome: Outcome = args.func(args)
    except SpecError as exc:
        fmt = getattr(args, "format", "text")
        diagnostics = exc.diagnostics
        outcome = Outcome(EXIT_SPEC_ERROR,
                          lambda out: render_errors(diagnostics, fmt, out))
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {escape(str(exc))}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    with guarded(outcome.code):
        if outcome.render is not None:
            outcome.render(sys.stdout)
    return outcome.code


def _drop_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):  # not a real file (captured in tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
