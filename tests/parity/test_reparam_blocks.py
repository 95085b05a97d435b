"""Re-parameterisable blocks written as they train equal timm's: MobileOne's block and RepViT's
token mixer as a `parallel` add of linear branches with BatchNorm (a BN-only identity branch, an
empty identity branch), weights moved by position, eval outputs within 1e-5.

Whole networks are specs/mobileone.yaml and specs/repvit.yaml (tests/parity/test_zoo.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import archspec

from .conftest import randomise, relative_error

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")


def one_block(*, out: int, k: int, stride: int, depthwise: bool, branches: int,
              identity: bool) -> list[dict[str, Any]]:
    """timm's MobileOneBlock: identity BN, ``branches`` k×k conv+BN, a 1×1 conv+BN when k > 1,
    summed in that (registration) order, then ReLU."""
    conv = {"block": "conv", "out": out, "stride": stride, "act": "none"}
    if depthwise:
        conv["groups"] = "depthwise"
    written = [[{"block": "norm", "norm": "bn"}]] if identity else []
    written += [[{**conv, "k": k}] for _ in range(branches)]
    if k > 1:
        written.append([{**conv, "k": 1}])
    return [{"block": "parallel", "merge": "add", "branches": written},
            {"block": "act", "act": "relu"}]


def repvgg_dw(*, out: int, legacy: bool) -> list[dict[str, Any]]:
    """timm's RepVggDw: BN(dw 3×3+BN + dw 1×1 + x); legacy: the 1×1 has a BN, no BN after."""
    k1 = {"block": "conv", "out": out, "groups": "depthwise", "act": "none"}
    if not legacy:
        k1.update(bias=True, norm="none")
    mixer = {"block": "parallel", "merge": "add", "branches": [
        [{"block": "conv", "out": out, "k": 3, "groups": "depthwise", "act": "none"}], [k1], []]}
    return [mixer] if legacy else [mixer, {"block": "norm", "norm": "bn"}]


def stage(blocks: list[dict[str, Any]], channels: int, size: int = 12) -> torch.nn.Module:
    text = f"""\
archspec: 1
name: one
input: {{channels: {channels}, size: {size}}}
stages:
  - name: s1
    blocks: {json.dumps(blocks)}
"""
    return archspec.build(archspec.loads(text, "one.yaml")).stages[0]


def check(ref: torch.nn.Module, model: torch.nn.Module, channels: int) -> None:
    torch.manual_seed(0)
    randomise(ref)
    archspec.transfer_weights(ref, model, verify=False)
    model.eval()
    x = torch.randn(2, channels, 12, 12)
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-5


MOBILEONE = {  # in, out, k, stride, group_size (0: dense, 1: depthwise), num_conv_branches
    "depthwise 3×3, identity, 4 branches": (16, 16, 3, 1, 1, 4),
    "depthwise 3×3 stride 2, no identity": (16, 16, 3, 2, 1, 1),
    "pointwise widening, no identity": (16, 32, 1, 1, 0, 4),
    "pointwise, identity, 2 branches": (16, 16, 1, 1, 0, 2),
    "dense 3×3, identity": (16, 16, 3, 1, 0, 1),
}


@pytest.mark.parametrize("case", sorted(MOBILEONE))
def test_mobileone_block_equals_timm(case: str) -> None:
    from timm.models.byobnet import MobileOneBlock

    cin, out, k, stride, group_size, branches = MOBILEONE[case]
    ref = MobileOneBlock(cin, out, kernel_size=k, stride=stride, group_size=group_size or None,
                         num_conv_branches=branches)
    identity = cin == out and stride == 1
    assert (ref.identity is not None) == identity
    model = stage(one_block(out=out, k=k, stride=stride, depthwise=group_size == 1,
                            branches=branches, identity=identity), cin)
    check(ref, model, cin)


@pytest.mark.parametrize("legacy", [False, True])
def test_repvgg_dw_equals_timm(legacy: bool) -> None:
    from timm.models.repvit import RepVggDw

    ref = RepVggDw(24, 3, legacy=legacy)
    check(ref, stage(repvgg_dw(out=24, legacy=legacy), 24), 24)
