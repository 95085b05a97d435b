"""``archspec build``: resolve and trace once, check the memory estimate, then (only then) import
torch, build the module, run a zero input through it, print a summary and export it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from archspec.cli.output import Outcome, UsageError
from archspec.cli.profile import blame_input, check_channels
from archspec.diagnostics import SpecError
from archspec.report.escape import escape
from archspec.report.model import EXIT_OK

if TYPE_CHECKING:
    import torch
    from torch import nn

    from archspec.spec.document import Document

EXPORT_SUFFIXES = (".pt2", ".onnx", ".pt")


def cmd_build(args: argparse.Namespace) -> Outcome:
    from archspec.graph import memory

    if args.output is not None:
        if Path(args.output).suffix not in EXPORT_SUFFIXES:
            raise UsageError(f"cannot tell the format of {args.output}: the suffix must be one "
                             f"of {', '.join(EXPORT_SUFFIXES)}")
        check_output(args.output)
    if args.channels_last and not args.deploy:
        raise UsageError("--channels-last is an option of the deploy form: add --deploy")
    try:
        budget = memory.budget(args.max_memory, option="--max-memory")
    except memory.SizeError as exc:
        raise UsageError(str(exc)) from None
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise UsageError("`archspec build` needs torch: pip install 'archspec[torch]'")
    from archspec.pipeline import run
    from archspec.spec.document import load
    from archspec.spec.zoo import locate

    args.spec, args.variant = locate(args.spec, args.variant)
    document = load(args.spec)
    batch, size = 1, None
    if args.input is not None:
        batch, _, h, w = args.input
        size = (h, w)
    try:  # at --input's size when given: the network must fit it
        result = run(document, [args.variant], num_classes=args.num_classes,
                     input_size=size, deploy=args.deploy).variants[0]
        net, graph = result.require()
    except SpecError as exc:
        raise exc if size is None else blame_input(exc, document, args) from None
    channels, h, w = net.input_shape
    if args.input is not None:
        check_channels(args.input[1], channels, f"{args.spec} ({net.label})")
    fmt = Path(args.output).suffix if args.output is not None else None
    memory.check(memory.estimate(graph, batch=batch, fmt=fmt), budget, net=net,
                 action="build" + (f" -o {args.output}" if args.output else ""),
                 override=f"--max-memory SIZE (or ${memory.ENV_VAR}); --max-memory none "
                          "turns the check off")
    import torch  # only now: the check above runs before torch takes its half gigabyte

    from archspec.nn.build import build_module

    model: nn.Module = build_module(net)
    model.eval()
    example = torch.zeros(batch, channels, h, w)
    if args.deploy:
        from archspec.nn.deploy import to_deploy

        model = to_deploy(model, channels_last=args.channels_last)
        if args.channels_last:
            example = example.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        out = model(example)
    params = sum(p.numel() for p in model.parameters())
    analysed = graph.totals().params  # the parity tests hold them equal; here only a label
    shapes = [tuple(t.shape) for t in (out if isinstance(out, list | tuple) else [out])]
    print(f"{escape(document.file)}  {net.label}")  # a file name is the user's text
    print(f"  parameters    {params:,}" + (" (as analysed)" if params == analysed else ""))
    print(f"  modules       {sum(1 for _ in model.modules()):,}")
    info = getattr(model, "deploy_info", None)
    if info is not None:
        layout = ", channels-last" if info.channels_last else ""
        print(f"  form          deploy form{layout}: {info.folded} BNs folded, "
              f"{info.reparameterised} branch groups re-parameterised, params "
              f"{info.params_before:,} → {info.params_after:,}")
    print(f"  input         {'×'.join(map(str, example.shape))}")
    print("  output        " + ", ".join("×".join(map(str, s)) for s in shapes))
    if args.output is not None:
        export(model, example, args.output, document)
    return Outcome(EXIT_OK)


def check_output(output: str) -> None:
    """Refuse an ``-o`` path that cannot be written, before anything is built: its directory
    must exist and take a new file (tried with a temporary file, which also refuses /proc and
    /sys), and the path must not be a directory or another non-regular file."""
    import stat
    import tempfile

    path = Path(output)
    where = f"-o/--output {output}"
    parent = path.parent
    if not parent.exists():
        raise UsageError(f"{where}: the directory {parent} does not exist; create it first")
    if not parent.is_dir():
        raise UsageError(f"{where}: {parent} is not a directory")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UsageError(f"{where}: cannot use this path: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"{where}: is a directory; give a file name such as "
                         f"{path / ('model' + path.suffix)}")
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"{where}: exists and is not a regular file (a device, FIFO or "
                         "socket); give the path of a new or regular file")
    try:  # a real attempt, without touching the target: permissions, read-only or virtual fs
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".archspec-", suffix=".probe")
    except OSError as exc:
        raise UsageError(f"{where}: cannot create a file in {parent}: "
                         f"{exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    if mode is not None and not os.access(path, os.W_OK):
        raise UsageError(f"{where}: the file exists and is not writable")


def export(model: nn.Module, example: torch.Tensor, output: str, document: Document) -> None:
    from archspec.nn.export import export as _export

    try:
        _export(model, example, output, spec_text=document.source.text)
    except ImportError as exc:  # onnx, onnxruntime, onnxscript
        raise UsageError(f"writing {Path(output).suffix} needs {exc.name or exc}: "
                         "pip install 'archspec[export]'") from None
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {escape(output)}")
