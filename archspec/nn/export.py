"""Write a built model as ``.pt2`` (torch.export), ``.onnx`` (checked in onnxruntime) or ``.pt``
(an archspec checkpoint: state_dict + the spec text it was built from), and load checkpoints.

ONNX files have a dynamic batch axis (named ``batch``) and are run in onnxruntime at batch 1 and
at batch 4 on seeded random inputs, each compared with the eager module (``ONNX_RTOL``). The
opset must lie in :func:`opset_range`: the dynamo exporter's own operator table is written for
opset 18 (lower opsets go through onnx's version converter, which fails on these networks'
Reshape/Squeeze axes), and torch states 23 as the highest it exports (decision 0036).

A checkpoint is a plain dict that ``torch.load(path, weights_only=True)`` reads::

    {"format": "archspec-checkpoint", "version": 1, "state_dict": ..., "spec_text": str,
     "spec_file": str, "variant": str | None, "overrides": {"num_classes": int, ...},
     "form": "train" | "deploy", "channels_last": bool}

``form`` says whether the weights are the training form's or the deploy form's (decision 0035:
:func:`archspec.nn.deploy.to_deploy`); a checkpoint written before it had one is ``train``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from archspec.nn.transfer import output_list

CHECKPOINT_FORMAT = "archspec-checkpoint"
CHECKPOINT_VERSION = 1
ONNX_RTOL = 1e-4  # max |onnxruntime - eager| allowed, relative to max |eager|
ONNX_VERIFY_BATCHES = (1, 4)  # a dynamic batch axis is checked at these batch sizes
ONNX_BATCH_AXIS = "batch"


class ExportError(RuntimeError):
    """An export failed, or its result does not reproduce the eager model."""


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(training)


def opset_range() -> tuple[int, int]:
    """(lowest, highest) ONNX opset the installed exporter writes (torch 2.14: 18, 23)."""
    from torch.onnx import _constants
    from torch.onnx._internal.exporter import _constants as _exporter_constants

    return int(_exporter_constants.TORCHLIB_OPSET), int(_constants.ONNX_MAX_OPSET)


def default_opset() -> int:
    """The opset written when none is asked for: torch's default (20 in torch 2.14)."""
    from torch.onnx import _constants

    low, high = opset_range()
    return min(max(int(_constants.ONNX_DEFAULT_OPSET), low), high)


def check_opset(opset: int) -> None:
    """:class:`ValueError` naming the supported range when ``opset`` lies outside it."""
    low, high = opset_range()
    if not low <= opset <= high:
        raise ValueError(f"ONNX opset {opset} is outside the range this torch "
                         f"{torch.__version__.split('+')[0]} exports ({low} to {high}); "
                         f"pick one in {low}..{high} (default {default_opset()})")


def export(model: nn.Module, example_input: torch.Tensor, path: str | os.PathLike[str], *,
           spec_text: str | None = None, opset: int | None = None) -> Path:
    """Write ``model`` to ``path``; the suffix picks the format. Exports run in eval mode.

    ``.pt2``: ``torch.export`` program. ``.onnx``: ONNX with a dynamic batch axis at ``opset``
    (default :func:`default_opset`), then run in onnxruntime at each of ``ONNX_VERIFY_BATCHES``
    and compared with the eager output (:class:`ExportError` past ``ONNX_RTOL``). ``.pt``:
    checkpoint of an archspec :class:`~archspec.nn.network.Network`; ``spec_text`` defaults
    to the spec file the network was resolved from.
    """
    path = Path(path)
    if path.suffix not in (".pt2", ".onnx", ".pt"):
        raise ValueError(f"unknown export format {path.suffix!r} for {path}; "
                         "expected .pt2, .onnx or .pt")
    if opset is not None:
        if path.suffix != ".onnx":
            raise ValueError(f"an opset applies to .onnx files only, not {path.suffix}")
        check_opset(opset)
    with _eval_mode(model):
        if path.suffix == ".pt2":
            _export_pt2(model, example_input, path)
        elif path.suffix == ".onnx":
            export_onnx(model, example_input, path, opset=opset)
            verify_onnx(model, path, example_input)
        else:
            _save_checkpoint(model, path, spec_text=spec_text)
    return path


def _export_pt2(model: nn.Module, example_input: torch.Tensor, path: Path) -> None:
    program = torch.export.export(model, (example_input,))
    torch.export.save(program, str(path))


def export_onnx(model: nn.Module, example_input: torch.Tensor, path: Path, *,
                opset: int | None = None) -> None:
    """Write ``model`` (any module taking one NCHW tensor) as ONNX with a dynamic batch axis.

    torch.export specialises a dimension whose example size is 1, so a batch-1 example is
    repeated to batch 2 for tracing; the file takes any batch."""
    opset = default_opset() if opset is None else opset
    check_opset(opset)
    example = example_input if example_input.shape[0] > 1 else example_input.expand(
        2, *example_input.shape[1:]).contiguous()
    batch = torch.export.Dim(ONNX_BATCH_AXIS, min=1, max=2**16)
    with torch.no_grad():
        torch.onnx.export(model, (example,), str(path), dynamo=True, external_data=False,
                          opset_version=opset, dynamic_shapes=({0: batch},), verbose=False)


def verification_inputs(example_input: torch.Tensor,
                        batches: tuple[int, ...] = ONNX_VERIFY_BATCHES) -> list[torch.Tensor]:
    """Seeded standard-normal inputs of the example's C×H×W, one per batch size (a zero input
    would hide a wrong bias or scale)."""
    generator = torch.Generator().manual_seed(0)
    shape = tuple(example_input.shape[1:])
    return [torch.randn((b, *shape), generator=generator, dtype=example_input.dtype)
            for b in batches]


def verify_onnx(model: nn.Module, path: Path, example_input: torch.Tensor) -> None:
    """Run ``path`` in onnxruntime at each of ``ONNX_VERIFY_BATCHES``; :class:`ExportError`
    when an output's shape or values (past ``ONNX_RTOL``) differ from the eager module's."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    with _eval_mode(model):
        for x in verification_inputs(example_input):
            with torch.no_grad():
                expected = output_list(model(x))
            got = session.run(None, {name: x.numpy()})
            _compare(path, expected, got, batch=x.shape[0])


def _compare(path: Path, expected: list[torch.Tensor], got: list[Any], *, batch: int) -> None:
    where = f"{path} at batch {batch}"
    if len(got) != len(expected):
        raise ExportError(f"{where}: onnxruntime returned {len(got)} outputs, eager "
                          f"{len(expected)}")
    for i, (ref, out) in enumerate(zip(expected, got, strict=True)):
        out_t = torch.from_numpy(out)
        ref = ref.detach().cpu().to(out_t.dtype)
        if out_t.shape != ref.shape:
            raise ExportError(f"{where}: output {i} has shape {tuple(out_t.shape)} in "
                              f"onnxruntime, {tuple(ref.shape)} eager")
        scale = ref.abs().max().item() if ref.numel() else 0.0
        diff = (out_t - ref).abs().max().item() if ref.numel() else 0.0
        if diff > ONNX_RTOL * max(scale, 1e-12):
            raise ExportError(f"{where}: onnxruntime output {i} differs from eager by "
                              f"{diff:.3g} (max |eager| = {scale:.3g}, allowed {ONNX_RTOL:g} "
                              "relative)")


def _save_checkpoint(model: nn.Module, path: Path, *, spec_text: str | None) -> None:
    net = getattr(model, "resolved", None)
    if net is None:
        raise ValueError("a .pt checkpoint needs an archspec Network (built by build_module)")
    if getattr(model, "features_only", False):
        raise ValueError("a .pt checkpoint holds a whole classifier network; this one was built "
                         "with features_only=True (export .pt2/.onnx instead)")
    info = getattr(model, "deploy_info", None)
    if spec_text is None:
        spec_text = getattr(net, "text", "") or None
    if spec_text is None:
        from archspec.spec.source import read_file

        file = Path(net.file)
        if not file.is_file():
            raise ValueError(f"the spec text of {net.label} is unknown (no file {net.file!r}); "
                             "pass spec_text=")
        spec_text = read_file(file).decode("utf-8")
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "state_dict": model.state_dict(),
        "spec_text": spec_text,
        "spec_file": str(net.file),
        "variant": net.variant,
        "overrides": {str(k): int(v) for k, v in net.overrides.items()},
        "form": "deploy" if info is not None else "train",
        "channels_last": bool(info is not None and info.channels_last),
    }
    torch.save(checkpoint, str(path))


#: key → (type, what) of every entry a checkpoint must have
_CHECKPOINT_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "state_dict": (dict, "the weights"),
    "spec_text": (str, "the spec text"),
    "spec_file": (str, "the spec's file name"),
    "variant": ((str, type(None)), "the variant"),
    "overrides": (dict, "the overrides"),
}


def _check_checkpoint(path: str | os.PathLike[str], checkpoint: dict[str, Any]) -> None:
    for key, (kind, what) in _CHECKPOINT_KEYS.items():
        if key not in checkpoint:
            raise ValueError(f"{path} is not a complete archspec checkpoint: {what} "
                             f"({key!r}) is missing")
        if not isinstance(checkpoint[key], kind):
            raise ValueError(f"{path}: {what} ({key!r}) is a {type(checkpoint[key]).__name__} "
                             "in this checkpoint")


def load_model(path: str | os.PathLike[str]) -> nn.Module:
    """Rebuild the Network a ``.pt`` checkpoint was saved from and load its weights."""
    from archspec.nn.build import build_module
    from archspec.spec.document import loads
    from archspec.spec.resolve import resolve
    from archspec.spec.source import open_regular

    with open_regular(path, what=".pt checkpoint") as handle:  # E100 for a FIFO, device, dir
        try:
            checkpoint = torch.load(handle, map_location="cpu", weights_only=True)
        except Exception as exc:  # pickle, zip and torch's own errors: all mean "not ours"
            raise ValueError(f"{path} is not an archspec checkpoint: torch.load(weights_only="
                             f"True) cannot read it ({type(exc).__name__}); write one with "
                             "`archspec build SPEC -o model.pt`") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not an archspec checkpoint (a torch file without "
                         f"format={CHECKPOINT_FORMAT!r}; write one with `archspec build -o "
                         "model.pt`)")
    if checkpoint.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {checkpoint.get('version')!r} is not "
                         f"supported (expected {CHECKPOINT_VERSION})")
    _check_checkpoint(path, checkpoint)
    overrides = dict(checkpoint["overrides"])
    unknown = set(overrides) - {"num_classes", "in_channels"}
    if unknown:
        raise ValueError(f"{path}: unknown overrides {sorted(unknown)}")
    document = loads(checkpoint["spec_text"], name=checkpoint["spec_file"])
    net = resolve(document, checkpoint["variant"], num_classes=overrides.get("num_classes"),
                  in_channels=overrides.get("in_channels"))
    model: nn.Module = build_module(net)
    form = checkpoint.get("form", "train")
    if form not in ("train", "deploy"):
        raise ValueError(f"{path}: unknown form {form!r} (expected 'train' or 'deploy')")
    if form == "deploy":  # the training form, rewritten as it was before saving
        from archspec.nn.deploy import to_deploy

        model = to_deploy(model, channels_last=checkpoint.get("channels_last") is True)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as exc:
        raise ValueError(f"{path}: the stored weights do not fit the network its spec text "
                         f"builds: {str(exc).splitlines()[0][:300]}") from None
    return model
