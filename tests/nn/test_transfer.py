"""transfer_weights: by position, every shape checked, nothing copied on a mismatch."""

from __future__ import annotations

import pytest
import torch

from archspec.nn import WeightTransferError, build_module, transfer_weights

from ._factory import make_net

STEM = [{"block": "conv", "out": 8, "k": 3, "stride": 2}]
HEAD = [{"block": "pool", "global": True}, {"block": "linear", "out": 5}]


def net(width: int = 16, depth: int = 2):
    blocks = [{"block": "mmb", "out": width, "exp": 2.0}] * depth
    return make_net(input_shape=(3, 16, 16), stem=STEM, stages={"s1": blocks}, head=HEAD)


def test_transfer_by_position():
    torch.manual_seed(0)
    src, dst = build_module(net()).eval(), build_module(net()).eval()
    renamed = {f"ref.{i}": t for i, t in enumerate(src.state_dict().values())}
    assert transfer_weights(renamed, dst) is dst
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(src(x), dst(x))


def test_transfer_keeps_target_dtype():
    src, dst = build_module(net()).double(), build_module(net())
    transfer_weights(src.state_dict(), dst)
    assert all(p.dtype == torch.float32 for p in dst.parameters())
    assert torch.equal(dst.stem[0].conv.weight, src.stem[0].conv.weight.float())


def test_shape_mismatch_names_first_difference():
    src, dst = build_module(net(width=24)), build_module(net(width=16))
    before = {k: v.clone() for k, v in dst.state_dict().items()}
    with pytest.raises(WeightTransferError) as info:
        transfer_weights(src.state_dict(), dst)
    err = info.value
    assert isinstance(err, ValueError)
    # stem conv (0) + BN (1-5), expand (6) + BN (7-11), dw (12) + BN (13-17): proj differs
    assert err.position == 18
    assert (err.source_key, err.source_shape) == ("stages.0.0.proj.conv.weight", (24, 16, 1, 1))
    assert (err.target_key, err.target_shape) == ("stages.0.0.proj.conv.weight", (16, 16, 1, 1))
    msg = str(err)
    assert "entry 18" in msg and "[24, 16, 1, 1]" in msg and "[16, 16, 1, 1]" in msg
    assert err.source_key in msg and err.target_key in msg
    assert all(torch.equal(before[k], v) for k, v in dst.state_dict().items())


def test_count_mismatch():
    src, dst = build_module(net(depth=3)), build_module(net(depth=2))
    with pytest.raises(WeightTransferError, match="source has") as info:
        transfer_weights(src.state_dict(), dst)
    assert info.value.source_key is not None
