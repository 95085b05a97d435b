"""SVG and PNG from DOT text, through the ``graphviz`` Python binding and Graphviz's ``dot``.

Both are optional (``pip install 'archspec[graph]'``, ``apt install graphviz``): ``archspec graph
--format dot|mermaid`` needs neither. The binding builds the ``dot`` command line and runs it
(``graphviz.pipe`` does the same, but takes no time limit); the layout is bounded in time by
``timeout`` (the process is killed when it runs past it), so a huge expanded network ends in a
clear error rather than a hang. The same DOT text gives the same bytes: ``dot`` writes no date.
"""

from __future__ import annotations

import subprocess
from typing import Literal

#: Seconds ``dot`` may take to lay out and draw one diagram. An expanded 100-block network
#: takes well under a second; one that needs more than this should be drawn collapsed.
RENDER_TIMEOUT = 60.0

BINDING_HINT = "pip install 'archspec[graph]' (the `graphviz` Python package)"
DOT_HINT = "apt install graphviz (Graphviz's `dot` program; brew install graphviz on macOS)"


class GraphvizMissing(Exception):  # noqa: N818 - the agreed name (docs/notes brief 13)
    """The ``graphviz`` Python binding or the ``dot`` program is missing; the message names
    what to install."""


class RenderFailed(Exception):
    """``dot`` ran past the time limit or refused the input."""


def render(dot_source: str, fmt: Literal["svg", "png"], *,
           timeout: float = RENDER_TIMEOUT) -> bytes:
    """``dot_source`` drawn by ``dot -T<fmt>``: the file's bytes."""
    try:
        from graphviz.backend import dot_command, execute
    except ImportError:
        raise GraphvizMissing(f"drawing {fmt} needs the graphviz binding: {BINDING_HINT}; "
                              "or use --format dot or mermaid") from None
    import graphviz

    cmd = dot_command.command("dot", fmt)
    try:
        proc = execute.run_check(cmd, input=dot_source.encode("utf-8"), capture_output=True,
                                 quiet=True, timeout=timeout)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(f"drawing {fmt} needs Graphviz's `dot`, which is not on PATH: "
                              f"{DOT_HINT}; or use --format dot or mermaid") from None
    except subprocess.TimeoutExpired:
        raise RenderFailed(f"`dot` took longer than {timeout:g} s to draw the diagram; draw it "
                           "without --expand, or write --format dot and lay it out yourself"
                           ) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
        raise RenderFailed(f"`dot` failed (exit {exc.returncode}): {stderr.strip()[:500]}"
                           ) from None
    out: bytes = proc.stdout
    return out
