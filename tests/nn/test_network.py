"""Network assembly, features_only, and the init schemes."""

from __future__ import annotations

import copy

import pytest
import torch
from resolved_blocks import resolve_net
from torch import nn

from archspec.blocks.trace import trace
from archspec.nn import Network, build_module, init_weights

ATTN = {"block": "mmb", "out": 24, "exp": 2.0, "f": "attn", "partition": "grid", "window": 4,
        "dim_head": 8, "pre_norm": "ln", "expand_act": "gelu", "dw_skip": True}


def tiny_net(init: str = "torchvision", drop_path: float = 0.0):
    """3×36×44 → stem s2 → s1 (mmb s2, attention on a padded 9×11 map) → s2 (shuffle) → head."""
    return resolve_net(
        input_shape=(3, 36, 44), init=init, drop_path=drop_path,
        stem=[{"block": "conv", "out": 16, "k": 3, "stride": 2}],
        stages={"s1": [{"block": "mmb", "out": 24, "exp": 4.0, "stride": 2}, ATTN],
                "s2": [{"block": "shuffle", "out": 48, "stride": 2},
                       {"block": "shuffle", "out": 48}]},
        head=[{"block": "conv", "out": 64}, {"block": "pool", "global": True},
              {"block": "dropout", "p": 0.2}, {"block": "linear", "out": 10}])


def test_sections_and_forward():
    net = tiny_net()
    model = build_module(net)
    assert isinstance(model, Network) and model.resolved is net
    assert model.stage_names == ["s1", "s2"]
    assert [len(s) for s in model.stages] == [2, 2] and len(model.stem) == 1
    assert len(model.head) == 4
    assert sum(p.numel() for p in model.parameters()) == trace(net).totals().params
    assert next(iter(model.state_dict())) == "stem.0.conv.weight"
    y = model.eval()(torch.randn(2, 3, 36, 44))
    assert y.shape == (2, *net.output_shape)


def test_features_only():
    net = tiny_net()
    model = build_module(net, features_only=True).eval()
    assert len(model.head) == 0 and not any(isinstance(m, nn.Linear) for m in model.modules())
    x = torch.randn(2, 3, 36, 44)
    feats = model(x)
    stage_out = [b.out_shape for b in net.blocks if b.origin.path.endswith("[1]")
                 and b.origin.section == "stages"]
    assert [tuple(f.shape[1:]) for f in feats] == stage_out == [(24, 9, 11), (48, 5, 6)]
    last = build_module(net, features_only=True, out_indices=(-1,)).eval()
    last.load_state_dict(model.state_dict())
    first = build_module(net, features_only=True, out_indices=[0]).eval()
    first.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(last(x)[0], feats[1])
        assert torch.equal(first(x)[0], feats[0]) and len(first(x)) == 1
    with pytest.raises(ValueError, match="out_indices"):
        build_module(net, features_only=True, out_indices=(2,))


def test_train_mode_with_drop_path_and_deepcopy():
    model = build_module(tiny_net(drop_path=0.3))  # the attention block's rate: 0.1
    y = model.train()(torch.randn(4, 3, 36, 44))
    y.sum().backward()
    twin = copy.deepcopy(model).eval()
    x = torch.randn(1, 3, 36, 44)
    with torch.no_grad():
        assert torch.equal(twin(x), model.eval()(x))


def test_init_torchvision():
    torch.manual_seed(0)
    model = build_module(tiny_net("torchvision"))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert (m.weight == 1).all() and (m.bias == 0).all()
        if isinstance(m, nn.Conv2d) and m.bias is not None:
            assert (m.bias == 0).all()
    linear = model.head[-1].linear
    assert (linear.bias == 0).all() and 0.005 < linear.weight.std() < 0.015
    conv = model.stages[1][1].branch2.pw1  # 24→24 1×1: fan_out 24, std sqrt(2/24)
    assert 0.2 < conv.weight.std() < 0.4


def test_init_emo_keeps_conv_defaults():
    torch.manual_seed(0)
    net = tiny_net("emo")
    model = Network(net)
    convs = {n: m.weight.clone() for n, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    init_weights(model, "emo")
    for n, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            assert torch.equal(m.weight, convs[n])
        if isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
            assert (m.weight == 1).all() and (m.bias == 0).all()
    linear = model.head[-1].linear
    assert (linear.bias == 0).all() and 0.01 < linear.weight.std() < 0.03  # trunc_normal_(std=.02)


def test_init_pytorch_touches_nothing():
    model = Network(tiny_net("pytorch"))
    before = copy.deepcopy(model.state_dict())
    init_weights(model, "pytorch")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match="unknown init scheme"):
        init_weights(model, "xavier")
