"""A representative set of shipped networks exports with a dynamic batch (verified in
onnxruntime at batch 1 and 4 inside ``export``) and quantises to static int8 that runs at both
batches. Every shipped variant is covered by benchmarks/deploy_agreement.py (docs/deployment.md),
too slow for the suite: an export takes 20–40 s per network on an idle 2-core machine."""

from __future__ import annotations

import pytest
import torch

import archspec
from archspec.nn.calibration_images import generated_inputs
from archspec.nn.quantize import quantize

# channel split + shuffle; attention in windows; SE + hard-swish
NETWORKS = ["shufflenet_v2_x0_5", "emo_1m", "mobilenet_v3_small"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NETWORKS)
def test_exports_and_quantises(name, tmp_path) -> None:  # noqa: ANN001
    from archspec.nn.export import export

    torch.manual_seed(0)
    model = archspec.build(name).eval()
    shape = tuple(model.resolved.input_shape)
    fp32 = export(model, torch.zeros(1, *shape), tmp_path / "fp32.onnx")  # raises on mismatch
    report = quantize(fp32, tmp_path / "int8.onnx", "int8", inputs=generated_inputs(4, shape))
    assert report.converted["Conv"] > 0 and report.bytes < report.fp32_bytes / 2  # emo: 0.38×
    assert report.checked_batches == (1, 4)


#: the deploy form: MobileOne's branches fused into one conv each; ShuffleNet's BNs folded
DEPLOY_NETWORKS = ["mobileone_s0", "shufflenet_v2_x0_5"]


@pytest.mark.slow
@pytest.mark.parametrize("name", DEPLOY_NETWORKS)
def test_the_deploy_form_exports_and_quantises(name, tmp_path) -> None:  # noqa: ANN001
    from archspec.nn.export import export

    torch.manual_seed(0)
    model = archspec.build(name, deploy=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    shape = tuple(model.resolved.input_shape)
    fp32 = export(model, torch.zeros(1, *shape), tmp_path / "fp32.onnx")  # batch 1 and 4
    report = quantize(fp32, tmp_path / "int8.onnx", "int8", inputs=generated_inputs(4, shape))
    assert report.converted["Conv"] > 0 and report.checked_batches == (1, 4)
