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

    from archspec.nn.calibration_images import Inputs
    from archspec.nn.quantize import Mode
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
    check_onnx_flags(args)
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
    if args.output is None:
        return Outcome(EXIT_OK)
    opset = check_opset(args.opset)
    mode: Mode | None = "fp16" if args.half else args.quantize
    if mode is None:
        export(model, example, args.output, document, opset=opset)
        return Outcome(EXIT_OK)
    inputs = quantisation_inputs(args, (channels, h, w))  # bad images fail before the export
    from archspec.nn.quantize import QuantizeError, quantize_module

    try:
        report = quantize_module(model, example, args.output, mode, inputs=inputs, opset=opset)
    except ImportError as exc:
        raise UsageError(f"--quantize/--half need {exc.name or exc}: "
                         "pip install 'archspec[export]'") from None
    except QuantizeError as exc:
        raise UsageError(str(exc)) from None
    print("  onnx          fp32, dynamic batch, verified in onnxruntime at batch 1 and 4")
    for line in report.lines():
        print(escape(line))  # the inputs' description names the user's folder
    print(f"wrote {escape(args.output)}")
    return Outcome(EXIT_OK)


def check_onnx_flags(args: argparse.Namespace) -> None:
    """The flag combinations that need no torch to refuse (exit 2, before anything is built)."""
    onnx_only = [flag for flag, on in (("--opset", args.opset is not None),
                                       ("--quantize", args.quantize is not None),
                                       ("--half", args.half)) if on]
    if onnx_only and (args.output is None or Path(args.output).suffix != ".onnx"):
        raise UsageError(f"{' and '.join(onnx_only)} apply to ONNX files: give -o MODEL.onnx"
                         + ("" if args.output is None else f" (not {args.output})"))
    if args.quantize is not None and args.half:
        raise UsageError("--quantize and --half are two different conversions; pick one")
    if args.calibration is not None and args.quantize != "int8":
        raise UsageError("--calibration is for static quantisation: add --quantize int8 (dynamic "
                         "quantisation and --half need no calibration)")
    if args.calibration_count is not None and args.quantize is None and not args.half:
        raise UsageError("--calibration-count needs --quantize dynamic|int8 or --half")
    for flag, value in (("--mean", args.mean), ("--std", args.std)):
        if value is not None and args.calibration is None:
            raise UsageError(f"{flag} normalises calibration images: add --calibration DIR")
    if args.std is not None and min(args.std) <= 0:
        raise UsageError(f"--std must be positive, got {','.join(map(str, args.std))}")


def check_opset(opset: int | None) -> int | None:
    from archspec.nn.export import check_opset as _check

    if opset is not None:
        try:
            _check(opset)
        except ValueError as exc:
            raise UsageError(f"--opset: {exc}") from None
    return opset


def quantisation_inputs(args: argparse.Namespace, shape: tuple[int, int, int]) -> Inputs:
    """The user's images (``--calibration``), else generated inputs, ``--calibration-count`` of
    them (default 64)."""
    from archspec.nn.calibration_images import (
        IMAGENET_MEAN,
        IMAGENET_STD,
        CalibrationError,
        generated_inputs,
        load_images,
    )

    count = args.calibration_count or 64
    if args.calibration is None:
        return generated_inputs(count, shape)
    try:
        return load_images(args.calibration, shape, count=count, mean=args.mean or IMAGENET_MEAN,
                           std=args.std or IMAGENET_STD)
    except CalibrationError as exc:
        raise UsageError(str(exc)) from None


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


def export(model: nn.Module, example: torch.Tensor, output: str, document: Document, *,
           opset: int | None = None) -> None:
    from archspec.nn.export import export as _export

    try:
        _export(model, example, output, spec_text=document.source.text, opset=opset)
    except ImportError as exc:  # onnx, onnxruntime, onnxscript
        raise UsageError(f"writing {Path(output).suffix} needs {exc.name or exc}: "
                         "pip install 'archspec[export]'") from None
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    if Path(output).suffix == ".onnx":
        from archspec.nn.export import default_opset

        print(f"  onnx          opset {opset or default_opset()}, dynamic batch, verified in "
              "onnxruntime at batch 1 and 4")
    print(f"wrote {escape(output)}")
