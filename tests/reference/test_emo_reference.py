"""Self-checks of the EMO reference implementation against figures of the official code.

Expected numbers: shared/research/reference_nets.md section 1.4 (parameters and per-part
parameters equal the official training logs; MACs are FlopCounterMode totals / 2 with attention
done by explicit matmuls).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .emo_reference import (
    EMO_CONFIGS,
    IRMB,
    DropPath,
    emo_reference,
    grid_partition,
    grid_unpartition,
)

VARIANTS = ["emo_1m", "emo_2m", "emo_5m", "emo_6m"]

PARAMS = {"emo_1m": 1_361_168, "emo_2m": 2_377_472, "emo_5m": 5_108_848, "emo_6m": 6_168_496}
STATE_DICT_LEN = {"emo_1m": 217, "emo_2m": 258, "emo_5m": 258, "emo_6m": 258}
MACS_224_M = {"emo_1m": 255.24, "emo_2m": 431.92, "emo_5m": 892.22, "emo_6m": 950.25}
EMO_1M_PARTS = {
    "stage0": 2_760,
    "stage1": 11_504,
    "stage2": 27_840,
    "stage3": 452_704,
    "stage4": 697_024,
    "norm": 336,
    "head": 169_000,
}


@pytest.fixture(scope="module")
def models() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {name: emo_reference(name).eval() for name in VARIANTS}


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("name", VARIANTS)
def test_param_count(models, name):
    assert n_params(models[name]) == PARAMS[name]


@pytest.mark.parametrize("name", VARIANTS)
def test_state_dict_length(models, name):
    assert len(models[name].state_dict()) == STATE_DICT_LEN[name]


def test_emo_1m_params_per_part(models):
    parts = {k: n_params(c) for k, c in models["emo_1m"].named_children() if n_params(c)}
    assert parts == EMO_1M_PARTS


def test_official_key_names(models):
    sd = models["emo_1m"].state_dict()
    keys = list(sd)
    assert keys[:7] == [
        "stage0.0.convs.0.0.weight",
        "stage0.0.convs.0.0.bias",
        "stage0.0.convs.0.1.weight",
        "stage0.0.convs.0.1.bias",
        "stage0.0.convs.0.1.running_mean",
        "stage0.0.convs.0.1.running_var",
        "stage0.0.convs.0.1.num_batches_tracked",
    ]
    assert keys[-4:] == ["norm.norm.weight", "norm.norm.bias", "head.weight", "head.bias"]
    block = [k.removeprefix("stage3.1.") for k in keys if k.startswith("stage3.1.")]
    assert block == [
        "norm.norm.weight", "norm.norm.bias",
        "qk.conv.weight", "qk.conv.bias",
        "v.conv.weight", "v.conv.bias",
        "conv_local.conv.weight",
        "conv_local.norm.weight", "conv_local.norm.bias", "conv_local.norm.running_mean",
        "conv_local.norm.running_var", "conv_local.norm.num_batches_tracked",
        "proj.conv.weight",
    ]  # fmt: skip
    # stem iRMB: no v, SE with ratio 1 on 24 channels
    assert sd["stage0.1.se.conv_reduce.weight"].shape == (24, 24, 1, 1)
    assert "stage0.1.se.conv_expand.bias" in sd
    assert not any(k.startswith("stage0.1.v.") for k in keys)
    # first block of a stage: norm over the input width, expansion 2*exp_ratio, stride-2 DW
    assert sd["stage3.0.norm.norm.weight"].shape == (48,)
    assert sd["stage3.0.v.conv.weight"].shape == (288, 48, 1, 1)
    assert sd["stage3.0.conv_local.conv.weight"].shape == (288, 1, 5, 5)
    assert models["emo_1m"].stage3[0].conv_local.conv.stride == (2, 2)
    assert "stage3.0.qk.conv.weight" not in sd
    # proj never has a bias
    assert not any(".proj.conv.bias" in k for k in keys)


def test_block_skips_and_drop_path(models):
    m = models["emo_1m"]
    assert not m.stage0[1].has_skip
    rates = []
    for i in range(1, 5):
        stage = getattr(m, f"stage{i}")
        assert not stage[0].has_skip and not stage[0].attn
        assert all(b.has_skip for b in stage[1:])
        assert all(b.attn == (i >= 3) for b in stage[1:])
        rates += [b.drop_path.p if isinstance(b.drop_path, DropPath) else 0.0 for b in stage]
    expected = torch.linspace(0, EMO_CONFIGS["emo_1m"].drop_path, len(rates)).tolist()
    assert rates == pytest.approx(expected)


@pytest.mark.parametrize("name", VARIANTS)
def test_macs_224_and_finite(models, name):
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = models[name](x)
    assert y.shape == (1, 1000)
    assert torch.isfinite(y).all()
    assert counter.get_total_flops() / 2 / 1e6 == pytest.approx(MACS_224_M[name], abs=0.01)


@pytest.mark.parametrize("size", [100, 32])
@pytest.mark.parametrize("name", VARIANTS)
def test_finite_on_padded_sizes(models, name, size):
    # 100 -> stage3 13x13, stage4 7x7 (pad 1); 32 -> 2x2 and 1x1 (pad to one 7x7 window)
    with torch.no_grad():
        y = models[name](torch.randn(2, 3, size, size))
    assert y.shape == (2, 1000)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("size", [100, 64])
def test_batch_independence(models, size):
    m = models["emo_1m"]
    x = torch.randn(3, 3, size, size)
    with torch.no_grad():
        batched = m(x)
        alone = m(x[1:2])
    torch.testing.assert_close(alone, batched[1:2], rtol=1e-5, atol=1e-5)


def test_grid_partition_matches_einops_pattern():
    einops = pytest.importorskip("einops")
    x = torch.randn(2, 3, 14, 21)
    n1, n2 = 2, 3
    ref = einops.rearrange(x, "b c (h1 n1) (w1 n2) -> (b n1 n2) c h1 w1", n1=n1, n2=n2)
    got = grid_partition(x, n1, n2)
    assert torch.equal(got, ref)
    assert torch.equal(grid_unpartition(got, n1, n2), x)
    # strided, not contiguous: window (0, 0) holds rows 0, n1, 2*n1, ...
    assert torch.equal(got[0], x[0, :, ::n1, ::n2])


def test_window_attention_support_is_a_strided_grid():
    """A block's attention output at one pixel depends only on pixels of its grid window."""
    torch.manual_seed(0)
    blk = IRMB(
        20, 20, norm_in=True, has_skip=True, exp=1.0, norm="ln_2d", act="gelu", v_proj=True,
        dw_k=5, stride=1, se=0.0, dim_head=10, window=7, attn=True, qkv_bias=True,
        attn_drop=0.0, drop=0.0, drop_path=0.0, attn_pre=True,
    ).eval()  # fmt: skip
    x = torch.randn(1, 20, 14, 14, requires_grad=True)
    y = blk.window_attention(blk.norm(x))
    y[0, :, 0, 0].sum().backward()
    touched = x.grad[0].abs().sum(0) > 0
    expected = torch.zeros(14, 14, dtype=torch.bool)
    expected[::2, ::2] = True  # 14x14 -> 2x2 grid of strided 7x7 windows
    assert torch.equal(touched, expected)


def test_num_classes_and_unknown_name():
    m = emo_reference("emo_1m", num_classes=10).eval()
    with torch.no_grad():
        assert m(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    with pytest.raises(ValueError):
        emo_reference("emo_3m")
