"""Shared layers: norms, activations, DropPath."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from archspec.core.norm import Norm
from archspec.nn import DropPath, LayerNorm2d, make_act, make_norm


def test_make_norm():
    bn = make_norm(Norm("bn", 1e-3, 0.01), 8)
    assert isinstance(bn, nn.BatchNorm2d) and (bn.eps, bn.momentum) == (1e-3, 0.01)
    ln = make_norm(Norm("ln", 1e-6), 8)
    assert isinstance(ln, LayerNorm2d) and ln.norm.eps == 1e-6
    assert list(ln.state_dict()) == ["norm.weight", "norm.bias"]
    assert isinstance(make_norm(Norm("none"), 8), nn.Identity)
    with pytest.raises(ValueError):
        make_norm(Norm("gn"), 8)


def test_layernorm2d_normalises_channels():
    ln = LayerNorm2d(6, eps=1e-6)
    x = torch.randn(2, 6, 3, 5)
    expected = nn.functional.layer_norm(x.permute(0, 2, 3, 1), (6,), eps=1e-6).permute(0, 3, 1, 2)
    y = ln(x)
    assert y.is_contiguous()
    torch.testing.assert_close(y, expected)


@pytest.mark.parametrize("name,fn", [
    ("relu", torch.relu), ("relu6", lambda x: x.clamp(0, 6)),
    ("hardswish", nn.functional.hardswish), ("hardsigmoid", nn.functional.hardsigmoid),
    ("sigmoid", torch.sigmoid), ("silu", nn.functional.silu), ("gelu", nn.functional.gelu),
    ("gelu_tanh", lambda x: nn.functional.gelu(x, approximate="tanh")), ("none", lambda x: x),
])
def test_make_act(name, fn):
    x = torch.linspace(-8, 8, 101)
    assert torch.equal(make_act(name)(x.clone()), fn(x))
    assert torch.equal(make_act(name, inplace=True)(x.clone()), fn(x))


def test_make_act_unknown():
    with pytest.raises(ValueError, match="mish"):
        make_act("mish")


def test_drop_path():
    x = torch.randn(1000, 3, 2, 2)
    dp = DropPath(0.25)
    assert torch.equal(dp.eval()(x), x)
    y = dp.train()(x)
    kept = (y != 0).flatten(1).all(1)
    assert torch.equal(y[kept], x[kept] * torch.tensor(1.0).div_(0.75))  # timm: x * (mask / keep)
    assert (y[~kept] == 0).all()
    assert 0.6 < kept.float().mean() < 0.9
    assert torch.equal(DropPath(0.0).train()(x), x)
