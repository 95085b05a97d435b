"""What the commands share for their output: the one guard around writing stdout, the outcome a
command returns, and the few renderings several commands use."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archspec.diagnostics import Diagnostic
from archspec.report.escape import escape
from archspec.report.model import EXIT_OK

PROG = "archspec"


class UsageError(Exception):
    """Bad command-line input found after parsing (a value argparse cannot judge): exit 2."""


class OutputClosed(Exception):
    """The reader of stdout went away (``archspec ... | head``): exit, silently, with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class OutputFailed(Exception):
    """stdout cannot be written (a full disk, an I/O error): exit 2 with the reason."""


@dataclass(frozen=True)
class Outcome:
    """What a command decided: its exit code and, when it has any, the output to write, which
    :func:`archspec.cli.main` writes inside :func:`guarded`."""

    code: int
    render: Callable[[IO[str]], None] | None = None


@contextlib.contextmanager
def guarded(code: int) -> Iterator[None]:
    """Write a command's output once its exit ``code`` is decided: a reader that left ends the
    command silently with that code (1 stays 1 under ``| head``); any other failure to write
    stdout ends it with exit 2. stdout is flushed inside, so buffered output fails here too."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosed(code) from None
    except OSError as exc:
        raise OutputFailed(exc.strerror or str(exc)) from None


def display(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def text_outcome(text: str, output: str | None) -> Outcome:
    """``text`` for stdout (``output`` None or ``-``), else written to the file ``output``."""
    if output is None or output == "-":
        def write(out: IO[str]) -> None:
            out.write(text)

        return Outcome(EXIT_OK, write)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {escape(output)}", file=sys.stderr)
    return Outcome(EXIT_OK)


def render_errors(diagnostics: list[Diagnostic], fmt: str, out: IO[str]) -> None:
    """Spec errors of a command other than lint: JSON on ``out``, text on stderr."""
    from archspec.report import render_lint
    from archspec.report.model import LintReport

    report = LintReport.of_errors(diagnostics)
    if fmt == "text":
        render_lint(report, "text", sys.stderr, summary=False)
    else:
        render_lint(report, fmt, out)
