"""Load a reference implementation's weights into a built model, matched by position.

archspec registers every submodule in the reference's order (see :mod:`archspec.nn.mmb`), so
the i-th state_dict entry of torchvision's or EMO's model is the i-th entry of ours, whatever
the names. Counts and every shape are checked before anything is copied. Shapes do not prove an
equal function (a residual in another place has the same shapes), so when the source is a module
both run on one seeded input afterwards and must agree within :data:`VERIFY_RTOL`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from archspec.diagnostics import WeightTransferError

__all__ = ["VERIFY_BATCH", "VERIFY_RTOL", "WeightTransferError", "transfer_weights"]

VERIFY_RTOL = 1e-5  # max |model - source| allowed, relative to max |source output|
VERIFY_BATCH = 2
VERIFY_SEED = 0


def _describe(key: str | None, shape: tuple[int, ...] | None) -> str:
    return "(nothing)" if key is None else f"{key!r} {list(shape or ())}"


def transfer_weights(source: Mapping[str, torch.Tensor] | nn.Module, model: nn.Module, *,
                     verify: bool = True,
                     input_shape: Sequence[int] | None = None) -> nn.Module:
    """Copy ``source`` (a state_dict or a module) into ``model`` entry by entry (parameters and
    buffers, in order). Raises :class:`WeightTransferError` on a count or shape mismatch, copying
    nothing. Target dtypes are kept.

    When ``source`` is a module and ``verify`` is true, both then run in eval mode on one seeded
    input of batch 2 (``input_shape`` C×H×W, default the spec's input of an archspec Network),
    each on its own device (the model's for the model); their training flags are restored, and outputs of other shapes or
    differing by more than ``VERIFY_RTOL`` × max|source output| raise WeightTransferError with
    the ratio (the weights stay copied).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    reference = source if isinstance(source, nn.Module) else None
    if reference is not None:
        state: Mapping[str, Any] = reference.state_dict()
    elif isinstance(source, Mapping):
        state = source
    else:
        raise TypeError(f"source: expected a state_dict (a mapping of name to tensor) or a "
                        f"torch.nn.Module, got {type(source).__name__}")
    _copy(state, model)
    if reference is not None and verify:
        verify_outputs(reference, model, input_shape=input_shape)
    return model


def _copy(state: Mapping[str, Any], model: nn.Module) -> None:
    source = list(state.items())
    target = list(model.state_dict().items())
    for i, (key, value) in enumerate(source):
        if not isinstance(value, torch.Tensor):
            raise WeightTransferError(
                f"state_dict entry {i} ({key!r}) is a {type(value).__name__}, not a tensor",
                position=i, source_key=str(key))
    skey: str | None
    tkey: str | None
    for i in range(max(len(source), len(target))):
        skey, sval = source[i] if i < len(source) else (None, None)
        tkey, tval = target[i] if i < len(target) else (None, None)
        sshape = tuple(sval.shape) if sval is not None else None
        tshape = tuple(tval.shape) if tval is not None else None
        if skey is None or tkey is None or sshape != tshape:
            counts = ("" if len(source) == len(target) else
                      f" (source has {len(source)} entries, model {len(target)})")
            raise WeightTransferError(
                f"state_dict entry {i} does not match{counts}: source "
                f"{_describe(skey, sshape)}, model {_describe(tkey, tshape)}",
                position=i, source_key=skey, source_shape=sshape, target_key=tkey,
                target_shape=tshape)
    with torch.no_grad():
        for (_, sval), (_, tval) in zip(source, target, strict=True):
            tval.copy_(sval)


def output_list(y: Any) -> list[torch.Tensor]:
    """A module's output as a list of tensors (a features_only Network returns several)."""
    return list(y) if isinstance(y, list | tuple) else [y]


def verify_outputs(reference: nn.Module, model: nn.Module, *,
                   input_shape: Sequence[int] | None = None) -> float:
    """Run both modules in eval mode on one seeded input (batch 2) and return
    max|Δ| / max|reference output|; raise WeightTransferError past ``VERIFY_RTOL``."""
    if input_shape is None:
        net = getattr(model, "resolved", None)
        if net is None:
            raise TypeError("input_shape: needed (C, H, W) to check the outputs of a model that "
                            "archspec did not build; or pass verify=False")
        input_shape = net.input_shape
    generator = torch.Generator().manual_seed(VERIFY_SEED)  # the global RNG is left alone
    x = torch.randn(VERIFY_BATCH, *input_shape, generator=generator)
    flags = [(m, m.training) for m in (reference, model)]
    try:
        reference.eval()
        model.eval()
        with torch.no_grad():
            want, got = output_list(reference(_like(x, reference))), output_list(model(_like(x, model)))
    finally:
        for m, training in flags:
            m.train(training)
    shapes = [tuple(t.shape) for t in want], [tuple(t.shape) for t in got]
    if shapes[0] != shapes[1]:
        raise WeightTransferError(
            f"the weights were copied, but the model's outputs have shape {_shapes(shapes[1])} "
            f"where the source's have {_shapes(shapes[0])}: the spec describes another network")
    ratio = 0.0
    for ref, out in zip(want, got, strict=True):
        ref = ref.detach().to(out.device, torch.float64)
        scale = ref.abs().max().item() if ref.numel() else 0.0
        diff = (out.detach().to(torch.float64) - ref).abs().max().item() if ref.numel() else 0.0
        ratio = max(ratio, diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf")))
    if not ratio <= VERIFY_RTOL:  # also NaN
        raise WeightTransferError(
            f"the weights were copied, but the model computes another function: on a seeded "
            f"input ({VERIFY_BATCH}×{'×'.join(map(str, input_shape))}) its output differs from "
            f"the source's by max|Δ|/max|ref| = {ratio:.3g} (allowed {VERIFY_RTOL:g}); equal "
            f"shapes, different structure: check the spec's skips, order and activations "
            f"against the source, or pass verify=False", ratio=ratio)
    return ratio


def _like(x: torch.Tensor, module: nn.Module) -> torch.Tensor:
    """``x`` on the device (and in the floating dtype) of ``module``'s first parameter."""
    param = next(iter(module.parameters()), None)
    if param is None:
        return x
    return x.to(param.device, param.dtype if param.is_floating_point() else x.dtype)


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join("×".join(map(str, s)) for s in shapes)
