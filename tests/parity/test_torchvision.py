"""The shipped torchvision specs equal torchvision 0.29's networks: parameters and eval outputs."""

from __future__ import annotations

import pytest

import archspec

from .conftest import SPECS, randomise, relative_error

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
models = torchvision.models

CASES = [
    ("mobilenet_v2", "x1_0", lambda: models.mobilenet_v2(), 3_504_872),
    ("mobilenet_v2", "x0_5", lambda: models.mobilenet_v2(width_mult=0.5), None),
    ("mobilenet_v2", "x0_75", lambda: models.mobilenet_v2(width_mult=0.75), None),
    ("mobilenet_v2", "x1_4", lambda: models.mobilenet_v2(width_mult=1.4), None),
    ("mobilenet_v3", "large", lambda: models.mobilenet_v3_large(), 5_483_032),
    ("mobilenet_v3", "small", lambda: models.mobilenet_v3_small(), 2_542_856),
    ("shufflenet_v2", "x0_5", lambda: models.shufflenet_v2_x0_5(), 1_366_792),
    ("shufflenet_v2", "x1_0", lambda: models.shufflenet_v2_x1_0(), 2_278_604),
    ("shufflenet_v2", "x1_5", lambda: models.shufflenet_v2_x1_5(), 3_503_624),
    ("shufflenet_v2", "x2_0", lambda: models.shufflenet_v2_x2_0(), 7_393_996),
]


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("spec", "variant", "make", "published"), CASES,
                         ids=[f"{s}-{v}" for s, v, _, _ in CASES])
def test_parameters_equal_torchvision(spec, variant, make, published) -> None:
    reference = make()
    analysis = archspec.analyze(SPECS / f"{spec}.yaml", variant=variant)
    model = archspec.build(SPECS / f"{spec}.yaml", variant=variant)
    assert analysis.total.params == count(reference) == count(model)
    if published is not None:
        assert count(reference) == published  # torchvision's meta["num_params"]
    assert len(model.state_dict()) == len(reference.state_dict())


@pytest.mark.parametrize(("spec", "variant", "make", "published"), CASES,
                         ids=[f"{s}-{v}" for s, v, _, _ in CASES])
def test_outputs_equal_torchvision_after_weight_transfer(spec, variant, make, published) -> None:
    torch.manual_seed(0)
    reference = randomise(make())
    model = archspec.build(SPECS / f"{spec}.yaml", variant=variant).eval()
    archspec.transfer_weights(reference.state_dict(), model)
    x = torch.randn(2, 3, 224, 224)
    with torch.inference_mode():
        assert relative_error(model(x), reference(x)) <= 1e-5


def test_num_classes_passes_through_to_the_classifier() -> None:
    reference = models.mobilenet_v2(num_classes=10)
    model = archspec.build(SPECS / "mobilenet_v2.yaml", num_classes=10)
    assert count(model) == count(reference)
    assert archspec.analyze(SPECS / "mobilenet_v2.yaml", num_classes=10).total.params == count(model)


def test_macs_equal_torchvisions_published_ops() -> None:
    """torchvision's `_ops` ("GFLOPS" in its docs) are multiply-accumulates."""
    published = {("mobilenet_v2", "x1_0"): 0.301, ("mobilenet_v3", "large"): 0.217,
                 ("mobilenet_v3", "small"): 0.057, ("shufflenet_v2", "x0_5"): 0.04,
                 ("shufflenet_v2", "x1_0"): 0.145, ("shufflenet_v2", "x1_5"): 0.296,
                 ("shufflenet_v2", "x2_0"): 0.583}
    for (spec, variant), gmacs in published.items():
        macs = archspec.analyze(SPECS / f"{spec}.yaml", variant=variant).total.macs
        assert round(macs / 1e9, 3) == pytest.approx(gmacs, abs=0.0011), (spec, variant)
