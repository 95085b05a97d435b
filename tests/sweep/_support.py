"""Small space files written inside a test, and where a word of their text is."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EMO = ROOT / "specs" / "emo.yaml"
#: a hang detector, never a timing: far above what any call here takes
HANG_BOUND = 60


def write_space(tmp_path: Path, body: str, *, base: str | None = None,
                name: str = "space.yaml") -> Path:
    """A space file over specs/emo.yaml (relative to the file, as users write it)."""
    if base is None:
        base = os.path.relpath(EMO, tmp_path)
    text = textwrap.dedent(body).replace("BASE", base)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def at(path: Path, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the ``nth`` occurrence of ``needle`` in the file."""
    found = -1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        col = line.find(needle)
        while col >= 0:
            found += 1
            if found == nth:
                return number, col + 1
            col = line.find(needle, col + 1)
    raise AssertionError(f"{needle!r} not in {path}")


def bounded(call: Callable[[], Any]) -> Any:
    """``call()``, failing the test instead of hanging it."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call).result(timeout=HANG_BOUND)
    finally:
        pool.shutdown(wait=False)  # a hung call fails the test instead of blocking it
