"""``archspec calibrate``: time this machine's kernels and networks on a backend and write a
device profile (or a bundle for a remote device, or a profile from a bundle's timings).

The thread and oneDNN cache variables are set before torch or onnxruntime is imported (by
:func:`archspec.calibrate.run.calibrate`, first thing); nothing heavy is imported to parse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archspec.cli.output import Outcome, UsageError
from archspec.report.escape import escape
from archspec.report.model import EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> Outcome:
    from archspec.calibrate.bundle import TimingsError
    from archspec.calibrate.run import Progress, Request, calibrate, save

    if args.bundle is None and args.output is None:
        raise UsageError("calibrate writes a profile: give -o DEVICE.json (or --bundle DIR)")
    if args.bundle is not None and args.timings is not None:
        raise UsageError("--bundle writes a bundle and --from reads its timings: give one")
    if args.bundle is not None and args.backend != "onnxruntime":
        raise UsageError("a bundle is for ONNX Runtime: add --backend onnxruntime")
    request = Request(backend=args.backend, threads=args.threads, quick=args.quick,
                      bundle=Path(args.bundle) if args.bundle else None,
                      timings=Path(args.timings) if args.timings else None,
                      output=Path(args.output) if args.output else None, name=args.name,
                      spec_dir=Path(args.specs) if args.specs else None,
                      cache_dir=Path(args.cache_dir) if args.cache_dir else None)
    try:
        result = calibrate(request, Progress(enabled=not args.no_progress))
    except TimingsError as exc:
        raise UsageError(str(exc)) from None
    if isinstance(result, Path):
        print(f"wrote the bundle to {escape(str(result))}; on the device run `python "
              f"runner.py --threads {args.threads} -o timings.json` there, then `archspec "
              "calibrate --from timings.json -o DEVICE.json`", file=sys.stderr)
        return Outcome(EXIT_OK)
    assert request.output is not None
    try:
        save(result, request.output)
    except OSError as exc:
        raise UsageError(f"cannot write {request.output}: {exc.strerror or exc}") from None
    n = result.noise
    flag = "" if n.trusted else f" — TOO NOISY to trust (p90 > {n.limit:.0%})"
    print(f"wrote {escape(str(request.output))}: {result.backend}, {result.threads} thread(s), "
          f"{result.details.get('kernels_timed')} kernels, "
          f"{result.details.get('networks_timed')} networks in "
          f"{result.details.get('seconds')} s; noise IQR/median median {n.median_iqr:.1%}, "
          f"p90 {n.p90_iqr:.1%}{flag}", file=sys.stderr)
    return Outcome(EXIT_OK)
