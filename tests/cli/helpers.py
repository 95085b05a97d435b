"""Shared by the command-line tests: paths, running ``archspec`` as a subprocess, a stand-in rule."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from archspec.diagnostics import Diagnostic, Severity, Span
from archspec.rules.base import Rule

ROOT = Path(__file__).resolve().parents[2]
EMO = "specs/emo.yaml"


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


def subprocess_cli(*argv: str, code: str | None = None, env: dict[str, str] | None = None,
                   ) -> Run:
    """``python -m archspec ARGV`` (or ``python -c CODE``) from the repository root."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environ.pop("ARCHSPEC_TRACEBACK", None)
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "archspec", *argv]
    proc = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


class StubRule(Rule):
    """Flags 1×1 convs whose output width differs from their input width.

    ## What it does
    A stand-in for the real G1 in the command-line tests.
    """

    code = "G1"
    name = "unequal-channel-width"
    severity = Severity.WARNING


def finding(variant: str | None, *, severity: Severity = Severity.WARNING, code: str = "G1",
            line: int = 34, col: int = 5, file: str = EMO) -> Diagnostic:
    return Diagnostic(
        code=code, severity=severity, span=Span(file, line, col), variant=variant,
        message="1×1 conv widens 24→144 (c2/c1 = 6.0; memory access 1.4× the G1 minimum)",
        fix="keep the expansion ≤ 4 or split channels", expected="c2/c1 ≤ 4",
        block="stages.s3[0]", rule="unequal-channel-width", key_path=("stages", 2, "block"),
        data={"ratio": 6.0, "widths": (24, 144)})
