"""specs/mobilenet_v4.yaml's blocks equal timm 1.0.31's: one UIB at a time against
``UniversalInvertedResidual``. Whole networks (parameters, MACs, outputs after
``transfer_weights``) are checked with the rest of the zoo in test_zoo.py."""

from __future__ import annotations

import pytest

import archspec

from .conftest import SPECS, randomise, relative_error

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

VARIANTS = ["conv_small", "conv_medium", "conv_large"]


def reference(variant: str) -> torch.nn.Module:
    return timm.create_model(f"mobilenetv4_{variant}", pretrained=False).eval()


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_published_parameter_counts() -> None:
    """timm's model cards: 3.8M, 9.7M, 32.6M."""
    params = [archspec.analyze(SPECS / "mobilenet_v4.yaml", variant=v).total.params
              for v in VARIANTS]
    assert [round(p / 1e6, 1) for p in params] == [3.8, 9.7, 32.6]


BLOCKS = {  # our fields → timm UniversalInvertedResidual's arguments
    "start_dw_k: 3, dw_k: 5, stride: 2": dict(dw_kernel_size_start=3, dw_kernel_size_mid=5,
                                              stride=2),
    "start_dw_k: 5, stride: 2": dict(dw_kernel_size_start=5, dw_kernel_size_mid=0, stride=2),
    "end_dw_k: 3, stride: 2": dict(dw_kernel_size_mid=0, dw_kernel_size_end=3, stride=2),
    "dw_k: 3, end_dw_k: 5": dict(dw_kernel_size_mid=3, dw_kernel_size_end=5),
    "": dict(dw_kernel_size_mid=0),
    "dw_k: 3, se: 0.25": dict(dw_kernel_size_mid=3, se=0.25),
    "start_dw_k: 3, dw_k: 3, layer_scale: 0.5": dict(dw_kernel_size_mid=3,
                                                      dw_kernel_size_start=3,
                                                      layer_scale_init_value=0.5),
    "dw_k: 3, skip: false": dict(dw_kernel_size_mid=3, noskip=True),
    "dw_k: 3, exp: 2.3": dict(dw_kernel_size_mid=3, exp_ratio=2.3),
}


@pytest.mark.parametrize("fields", sorted(BLOCKS))
def test_one_block_equals_timms_universal_inverted_residual(fields: str) -> None:
    from functools import partial

    from timm.models._efficientnet_blocks import SqueezeExcite, UniversalInvertedResidual

    kwargs = {"exp_ratio": 4.0, "layer_scale_init_value": None, **BLOCKS[fields]}
    se = kwargs.pop("se", 0)
    ref = UniversalInvertedResidual(
        24, 24, se_layer=partial(SqueezeExcite, rd_ratio=se) if se else None, **kwargs)
    written = ("exp: 4, " if "exp:" not in fields else "") + fields
    text = f"""\
archspec: 1
name: one
input: {{channels: 24, size: 14}}
stem: []
stages:
  - name: s1
    blocks:
      - {{block: uib, out: 24, {written.rstrip(", ")}}}
head: []
"""
    model = archspec.build(archspec.loads(text, "one.yaml")).stages[0][0]
    torch.manual_seed(0)
    randomise(ref)
    archspec.transfer_weights(ref, model, verify=False)
    ref.eval()
    model.eval()
    x = torch.randn(2, 24, 14, 14)
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-5
