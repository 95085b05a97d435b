"""Write a built model as ``.pt2`` (torch.export), ``.onnx`` (checked in onnxruntime) or ``.pt``
(an archspec checkpoint: state_dict + the spec text it was built from), and load checkpoints.

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


def export(model: nn.Module, example_input: torch.Tensor, path: str | os.PathLike[str], *,
           spec_text: str | None = None) -> Path:
    """Write ``model`` to ``path``; the suffix picks the format. Exports run in eval mode.

    ``.pt2``: ``torch.export`` program. ``.onnx``: ONNX, then run in onnxruntime and compared
    with the eager output (:class:`ExportError` past ``ONNX_RTOL``). ``.pt``: checkpoint of an
    archspec :class:`~archspec.nn.network.Network`; ``spec_text`` defaults to the spec file
    the network was resolved from.
    """
    path = Path(path)
    if path.suffix not in (".pt2", ".onnx", ".pt"):
        raise ValueError(f"unknown export format {path.suffix!r} for {path}; "
                         "expected .pt2, .onnx or .pt")
    with _eval_mode(model):
        if path.suffix == ".pt2":
            _export_pt2(model, example_input, path)
        elif path.suffix == ".onnx":
            _export_onnx(model, example_input, path)
        else:
            _save_checkpoint(model, path, spec_text=spec_text)
    return path


def _export_pt2(model: nn.Module, example_input: torch.Tensor, path: Path) -> None:
    program = torch.export.export(model, (example_input,))
    torch.export.save(program, str(path))


def _export_onnx(model: nn.Module, example_input: torch.Tensor, path: Path) -> None:
    import onnxruntime as ort

    with torch.no_grad():
        expected = output_list(model(example_input))
    torch.onnx.export(model, (example_input,), str(path), dynamo=True, external_data=False,
                      verbose=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: example_input.detach().cpu().numpy()}
    got = session.run(None, feed)
    if len(got) != len(expected):
        raise ExportError(f"{path}: onnxruntime returned {len(got)} outputs, eager "
                          f"{len(expected)}")
    for i, (ref, out) in enumerate(zip(expected, got, strict=True)):
        out_t = torch.from_numpy(out)
        ref = ref.detach().cpu().to(out_t.dtype)
        if out_t.shape != ref.shape:
            raise ExportError(f"{path}: output {i} has shape {tuple(out_t.shape)} in "
                              f"onnxruntime, {tuple(ref.shape)} eager")
        scale = ref.abs().max().item() if ref.numel() else 0.0
        diff = (out_t - ref).abs().max().item() if ref.numel() else 0.0
        if diff > ONNX_RTOL * max(scale, 1e-12):
            raise ExportError(f"{path}: onnxruntime output {i} differs from eager by {diff:.3g} "
                              f"(max |eager| = {scale:.3g}, allowed {ONNX_RTOL:g} relative)")


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
