"""The mmb module: window partitions, SDPA vs explicit attention, batch independence, key order."""

from __future__ import annotations

import einops
import pytest
import torch
from resolved_blocks import resolve_block, resolve_net

from archspec.nn import build_block, set_attention_impl
from archspec.nn.mmb import grid_partition, grid_reverse, local_partition, local_reverse


def attn_block(*, partition: str, attn_pre: bool, in_shape=(16, 9, 11), window: int = 4,
               **extra):
    d = {"block": "mmb", "out": 16, "exp": 2.0, "f": "attn", "partition": partition,
         "window": window, "dim_head": 8, "attn_pre": attn_pre, "pre_norm": "ln",
         "expand_act": "gelu", "qkv_bias": True, "dw_skip": True, **extra}
    return resolve_block(d, in_shape)


def randomize_norms(module: torch.nn.Module) -> None:
    """Give BatchNorm non-trivial running statistics, so eval mode is a real test."""
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)


@pytest.mark.parametrize("n1,n2", [(1, 1), (2, 3), (3, 1)])
def test_partitions_are_the_einops_patterns(n1, n2):
    x = torch.randn(2, 5, 4 * n1, 3 * n2)
    grid = einops.rearrange(x, "b c (h1 n1) (w1 n2) -> (b n1 n2) c h1 w1", n1=n1, n2=n2)
    local = einops.rearrange(x, "b c (n1 h1) (n2 w1) -> (b n1 n2) c h1 w1", n1=n1, n2=n2)
    assert torch.equal(grid_partition(x, n1, n2), grid)
    assert torch.equal(local_partition(x, n1, n2), local)
    assert torch.equal(grid_reverse(grid, n1, n2), x)
    assert torch.equal(local_reverse(local, n1, n2), x)
    assert grid_partition(x, n1, n2).is_contiguous()


@pytest.mark.parametrize("partition", ["grid", "local", "global"])
@pytest.mark.parametrize("attn_pre", [True, False])
@pytest.mark.parametrize("in_shape", [(16, 9, 11), (16, 8, 8)])
def test_sdpa_matches_explicit(partition, attn_pre, in_shape):
    torch.manual_seed(0)
    module = build_block(attn_block(partition=partition, attn_pre=attn_pre, in_shape=in_shape))
    randomize_norms(module)
    module.eval()
    x = torch.randn(3, *in_shape)
    with torch.no_grad():
        sdpa = set_attention_impl(module, "sdpa")(x)
        explicit = set_attention_impl(module, "explicit")(x)
    torch.testing.assert_close(sdpa, explicit, rtol=0, atol=1e-5)


def test_grid_and_local_windows_differ():
    torch.manual_seed(0)
    grid = build_block(attn_block(partition="grid", attn_pre=True, in_shape=(16, 8, 8))).eval()
    local = build_block(attn_block(partition="local", attn_pre=True, in_shape=(16, 8, 8))).eval()
    local.load_state_dict(grid.state_dict())
    x = torch.randn(1, 16, 8, 8)
    with torch.no_grad():
        assert not torch.allclose(grid(x), local(x), atol=1e-4)


def test_padded_tokens_take_part():
    """No mask: a 9×11 map padded to 12×12 attends over zero tokens too (as EMO does)."""
    torch.manual_seed(0)
    module = build_block(attn_block(partition="global", attn_pre=True, in_shape=(16, 9, 11),
                                    window=4)).eval()
    module.window = 12  # one 12×12 window: 9×11 real tokens + 35 zero ones
    set_attention_impl(module, "explicit")
    x = torch.randn(1, 16, 9, 11)
    with torch.no_grad():
        y_pad = module(x)
        module.window = None  # the map itself: no padding
        y_map = module(x)
    assert y_pad.shape == y_map.shape == (1, 16, 9, 11)
    assert not torch.allclose(y_pad, y_map, atol=1e-4)


@pytest.mark.parametrize("impl", ["sdpa", "explicit"])
@pytest.mark.parametrize("partition", ["grid", "local", "global"])
def test_batch_independence_in_eval(impl, partition):
    torch.manual_seed(0)
    module = build_block(attn_block(partition=partition, attn_pre=False, se=0.25))
    randomize_norms(module)
    set_attention_impl(module, impl).eval()
    x = torch.randn(4, 16, 9, 11)
    with torch.no_grad():
        batched = module(x)
        single = torch.cat([module(x[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(batched, single)


def test_registration_order():
    """pre_norm, qk, expand (conv, norm), dw (conv, norm), se (reduce, expand), proj (conv, norm)."""
    block = attn_block(partition="grid", attn_pre=False, se=0.25, expand_norm="bn", expand_bias=True,
                       proj_norm="bn", proj_bias=True, pre_norm="bn")
    params = [name for name, _ in build_block(block).named_parameters()]
    assert params == [
        "pre_norm.weight", "pre_norm.bias", "qk.weight", "qk.bias",
        "expand.conv.weight", "expand.conv.bias", "expand.norm.weight", "expand.norm.bias",
        "dw.conv.weight", "dw.norm.weight", "dw.norm.bias",
        "se.reduce.weight", "se.reduce.bias", "se.expand.weight", "se.expand.bias",
        "proj.conv.weight", "proj.conv.bias", "proj.norm.weight", "proj.norm.bias",
    ]


def test_set_attention_impl_rejects_unknown():
    module = build_block(attn_block(partition="grid", attn_pre=True))
    with pytest.raises(ValueError, match="sdpa"):
        set_attention_impl(module, "flash")  # type: ignore[arg-type]


def test_drop_path_only_in_training():
    d = {"block": "mmb", "out": 16, "exp": 2.0}
    net = resolve_net(input_shape=(16, 4, 4), stages={"s1": [d, d]}, drop_path=0.5)
    block = net.blocks[-1]  # the network rate, linear over the stage blocks: 0, then 0.5
    assert block.drop_path == 0.5
    module = build_block(block)
    x = torch.randn(64, 16, 4, 4)
    module.eval()
    with torch.no_grad():
        assert torch.equal(module(x), module(x))
    module.train()
    torch.manual_seed(0)
    with torch.no_grad():
        a = module(x)
        torch.manual_seed(1)
        b = module(x)
    assert not torch.equal(a, b)
