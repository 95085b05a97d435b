"""Layers every block family shares: norms, activations, stochastic depth.

Each factory takes resolved values only (a :class:`~archspec.blocks.base.Norm`, an activation
name): nothing here picks a default or rounds a width.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from archspec.core.norm import Norm


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of an NCHW map, as EMO writes it (key ``….norm.weight``).

    NCHW → NHWC (copied), ``nn.LayerNorm`` over C, → NCHW (copied): the same op sequence as the
    official code, so outputs match it bit for bit.
    """

    def __init__(self, ch: int, *, eps: float):
        super().__init__()
        self.norm = nn.LayerNorm(ch, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1).contiguous()  # b c h w -> b h w c
        x = self.norm(x)
        return x.permute(0, 3, 1, 2).contiguous()  # b h w c -> b c h w


def make_norm(norm: Norm, ch: int, *, vector: bool = False) -> nn.Module:
    """``bn`` → BatchNorm2d, ``ln`` → :class:`LayerNorm2d`, ``none`` → Identity; on a
    ``vector`` (N, C) BatchNorm1d and LayerNorm."""
    if norm.type == "bn":
        bn = nn.BatchNorm1d if vector else nn.BatchNorm2d
        return bn(ch, eps=norm.eps, momentum=norm.momentum)
    if norm.type == "ln":
        return nn.LayerNorm(ch, eps=norm.eps) if vector else LayerNorm2d(ch, eps=norm.eps)
    if norm.type == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm type {norm.type!r}")


#: Activations that may overwrite their input (after a conv or norm, whose output nobody else
#: holds); torchvision and EMO construct these in place too.
_INPLACE = {"relu": nn.ReLU, "relu6": nn.ReLU6, "hardswish": nn.Hardswish,
            "hardsigmoid": nn.Hardsigmoid, "silu": nn.SiLU}


def make_act(name: str, *, inplace: bool = False) -> nn.Module:
    """An activation module by its spec name; ``gelu`` is the exact erf form.

    ``inplace`` is honoured where PyTorch offers it; pass it only when the input is a fresh
    tensor (a conv, norm or linear output).
    """
    if name in _INPLACE:
        return _INPLACE[name](inplace=inplace)
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "gelu":
        return nn.GELU()
    if name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    if name == "none":
        return nn.Identity()
    raise ValueError(f"unknown activation {name!r}")


class DropPath(nn.Module):
    """Stochastic depth per sample (timm's op order): keep with probability 1 - rate, rescale."""

    def __init__(self, rate: float):
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = 1.0 - self.rate
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        if keep > 0.0:
            mask.div_(keep)
        return x * mask

    def extra_repr(self) -> str:
        return f"rate={self.rate:g}"


class LayerScale(nn.Module):
    """``x · γ`` with one learnable γ per channel (axis 1, a map or a vector), initialised to
    ``init`` (CaiT; timm's LayerScale2d)."""

    def __init__(self, ch: int, init: float):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((ch,), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma.view(1, -1, *([1] * (x.ndim - 2)))  # b c [h w]


def parts(**modules: nn.Module) -> OrderedDict[str, nn.Module]:
    """The named modules, in order, without absent (Identity) ones: ``nn.Sequential(parts(...))``
    costs no call for a ``none`` norm or activation."""
    return OrderedDict((name, m) for name, m in modules.items() if not isinstance(m, nn.Identity))


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (mmb, uib; traced by :mod:`archspec.blocks.squeeze_excite`): mean over H, W → reduce (1×1, bias) → act → expand (1×1, bias) → gate → rescale."""

    def __init__(self, *, ch: int, se_ch: int, act: str, gate: str, bias: bool = True):
        super().__init__()
        self.reduce = nn.Conv2d(ch, se_ch, 1, bias=bias)
        self.act = make_act(act, inplace=True)
        self.expand = nn.Conv2d(se_ch, ch, 1, bias=bias)
        self.gate = make_act(gate, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # b c 1 1
        gate: torch.Tensor = self.gate(self.expand(self.act(self.reduce(s))))
        return x * gate
