"""Load a reference implementation's weights into a built model, matched by position.

archspec registers every submodule in the reference's order (see :mod:`archspec.nn.mmb`), so
the i-th state_dict entry of torchvision's or EMO's model is the i-th entry of ours, whatever
the names. Counts and every shape are checked before anything is copied.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


class WeightTransferError(ValueError):
    """The source state_dict does not line up with the model; names the first mismatch."""

    def __init__(self, message: str, *, position: int, source_key: str | None,
                 source_shape: tuple[int, ...] | None, target_key: str | None,
                 target_shape: tuple[int, ...] | None):
        super().__init__(message)
        self.position = position
        self.source_key, self.source_shape = source_key, source_shape
        self.target_key, self.target_shape = target_key, target_shape


def _describe(key: str | None, shape: tuple[int, ...] | None) -> str:
    return "(nothing)" if key is None else f"{key!r} {list(shape or ())}"


def transfer_weights(source_state_dict: Mapping[str, torch.Tensor], model: nn.Module) -> nn.Module:
    """Copy ``source_state_dict`` into ``model`` entry by entry (parameters and buffers, in
    order). Raises :class:`WeightTransferError` on a count or shape mismatch, copying nothing.
    Target dtypes are kept."""
    source = list(source_state_dict.items())
    target = list(model.state_dict().items())
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
    return model
