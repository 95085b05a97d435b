"""``archspec graph``: one variant's block-level diagram (decision 0037), with its lint findings
from the one pipeline, as DOT or Mermaid text (nothing to install) or drawn by Graphviz (svg,
png: the ``graphviz`` binding and ``dot``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO

from archspec.cli.output import Outcome, UsageError, text_outcome
from archspec.diagnostics import SpecError
from archspec.report.escape import escape
from archspec.report.model import EXIT_OK


def cmd_graph(args: argparse.Namespace) -> Outcome:
    from archspec.latency.profile import resolve_device
    from archspec.pipeline import LintRequest, run
    from archspec.report.diagram import build_diagram, to_dot, to_mermaid
    from archspec.spec.document import load
    from archspec.spec.zoo import locate

    binary_to_terminal = args.diagram_format == "png" and args.output in (None, "-") and \
        sys.stdout.isatty()
    if binary_to_terminal:  # before the work: a PNG on a terminal is noise
        raise UsageError("--format png writes binary data: give -o FILE.png, or redirect "
                         "stdout to a file")
    device = resolve_device(args.device)  # before the spec: a bad profile is exit 2, located
    args.spec, args.variant = locate(args.spec, args.variant)
    document = load(args.spec)
    result = run(document, [args.variant], device=device,
                 lint=LintRequest(config_dir=Path(args.spec).resolve().parent))
    [variant] = result.variants
    net, graph = variant.require()
    if result.lint_errors:  # the pyproject.toml's [tool.archspec] cannot be read
        raise SpecError(list(result.lint_errors))
    diagram = build_diagram(net, graph, variant.findings or (), expand=args.expand,
                            latency=variant.latency)
    dot = to_dot(diagram)
    if args.diagram_format in ("dot", "mermaid"):
        text = dot if args.diagram_format == "dot" else to_mermaid(diagram)
        return text_outcome(text, args.output)
    from archspec.report.diagram_render import GraphvizMissing, RenderFailed, render

    try:
        data = render(dot, args.diagram_format)
    except (GraphvizMissing, RenderFailed) as exc:
        raise UsageError(str(exc)) from None
    if args.output not in (None, "-"):
        try:
            Path(args.output).write_bytes(data)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {escape(args.output)}", file=sys.stderr)
        return Outcome(EXIT_OK)

    def write(out: IO[str]) -> None:
        if args.diagram_format == "svg":
            out.write(data.decode("utf-8"))
        else:
            out.flush()
            out.buffer.write(data)  # type: ignore[attr-defined]

    return Outcome(EXIT_OK, write)
