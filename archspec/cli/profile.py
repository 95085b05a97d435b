"""``archspec profile``: one variant's figures from :func:`archspec.analyze`, and what to blame
when ``--input`` does not fit the network."""

from __future__ import annotations

import argparse
from typing import IO, TYPE_CHECKING

from archspec.cli.output import Outcome, UsageError
from archspec.diagnostics import SpecError
from archspec.report.model import EXIT_OK

if TYPE_CHECKING:
    from archspec.spec.document import Document


def check_channels(channels: int, expected: int, where: str) -> None:
    if channels != expected:
        raise UsageError(f"--input has {channels} channels but {where} takes {expected}; "
                         f"the channels must match the spec's `input.channels`")


def cmd_profile(args: argparse.Namespace) -> Outcome:
    from archspec import analyze
    from archspec.latency.profile import resolve_device
    from archspec.spec.document import load

    device = resolve_device(args.device)  # before the spec: a bad profile is exit 2, located
    from archspec.spec.zoo import locate

    args.spec, args.variant = locate(args.spec, args.variant)
    document = load(args.spec)
    batch, channels, size = 1, None, None
    if args.input is not None:
        batch, channels, h, w = args.input
        size = (h, w)
    try:
        analysis = analyze(document, variant=args.variant, input_size=size, batch=batch,
                           dtype=args.dtype, convention=args.convention,
                           num_classes=args.num_classes, device=device, deploy=args.deploy)
    except SpecError as exc:
        raise exc if size is None else blame_input(exc, document, args) from None
    if channels is not None:
        check_channels(channels, analysis.net.input_shape[0],
                       f"{args.spec} ({analysis.net.label})")

    def render(out: IO[str]) -> None:
        if args.format == "json":
            from archspec.report.json import dumps
            from archspec.report.profile import profile_dict

            out.write(dumps(profile_dict(analysis)))
        else:
            from archspec.report.text import render_profile

            render_profile(analysis, out)

    return Outcome(EXIT_OK, render)


def blame_input(exc: SpecError, document: Document, args: argparse.Namespace
                ) -> SpecError | UsageError:
    """What to raise when the network failed at ``--input``'s size. Errors located at the file's
    `input:` (a tensor too large, say) are the flag's: a usage error naming ``--input``. Errors
    in blocks (a stage that collapses the map) keep their place, and a spec that fails at its
    own size too gets its own errors."""
    from archspec import resolve

    try:
        resolve(document, args.variant, num_classes=args.num_classes)
    except SpecError as own:
        return own
    at_input = {document.source.span_of(p) for p in (("input",), ("input", "size"))}
    flagged = [f"{d.code} {d.message}" for d in exc.diagnostics if d.span in at_input]
    if not flagged:
        return exc
    more = f"; and {len(flagged) - 3} more" if len(flagged) > 3 else ""
    return UsageError(f"--input {'x'.join(map(str, args.input))}: the network does not fit this "
                      f"input ({'; '.join(flagged[:3])}{more}); it does at the spec's own size")
