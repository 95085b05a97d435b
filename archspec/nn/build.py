"""ResolvedNet → initialised :class:`~archspec.nn.network.Network`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from torch import nn

from archspec.nn.network import Network

if TYPE_CHECKING:
    from archspec.spec.resolved import ResolvedNet

INIT_SCHEMES = ("torchvision", "emo", "pytorch")

M = TypeVar("M", bound=nn.Module)


def build_module(net: ResolvedNet, *, features_only: bool = False,
                 out_indices: Sequence[int] | None = None) -> Network:
    """The torch module of ``net``, initialised with the spec's scheme (``net.init``)."""
    model = Network(net, features_only=features_only, out_indices=out_indices)
    return init_weights(model, net.init)


def init_weights(model: M, scheme: str) -> M:
    """Initialise ``model`` in place as the reference implementation of ``scheme`` does.

    * ``torchvision`` (MobileNetV2/V3): conv ``kaiming_normal_(mode="fan_out")``, bias 0;
      BatchNorm/GroupNorm weight 1, bias 0; Linear ``normal_(0, 0.01)``, bias 0.
    * ``emo``: convs keep PyTorch's default; Linear ``trunc_normal_(std=0.02)``, bias 0;
      BatchNorm/LayerNorm weight 1, bias 0.
    * ``pytorch``: PyTorch's defaults untouched (torchvision's ShuffleNetV2).
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; expected one of {INIT_SCHEMES}")
    if scheme == "pytorch":
        return model
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and scheme == "torchvision":
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if scheme == "torchvision":
                nn.init.normal_(m.weight, 0, 0.01)
            else:
                nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)):
            if m.weight is not None:
                nn.init.ones_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model
