"""specs/emo.yaml equals the official EMO code, through an independent reference written in the
tests (tests/reference/emo_reference.py) from the paper and the official code's behaviour."""

from __future__ import annotations

import pytest
from reference.emo_reference import emo_reference

import archspec

from .conftest import SPECS, randomise, relative_error

torch = pytest.importorskip("torch")

VARIANTS = ["emo_1m", "emo_2m", "emo_5m", "emo_6m"]
PARAMS = {"emo_1m": 1_361_168, "emo_2m": 2_377_472, "emo_5m": 5_108_848, "emo_6m": 6_168_496}
STATE_DICT_ENTRIES = {"emo_1m": 217, "emo_2m": 258, "emo_5m": 258, "emo_6m": 258}


@pytest.mark.parametrize("variant", VARIANTS)
def test_parameters_and_state_dict_match(variant: str) -> None:
    model = archspec.build(SPECS / "emo.yaml", variant=variant)
    reference = emo_reference(variant)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[variant]
    assert len(model.state_dict()) == len(reference.state_dict()) == STATE_DICT_ENTRIES[variant]
    shapes = [tuple(t.shape) for t in model.state_dict().values()]
    assert shapes == [tuple(t.shape) for t in reference.state_dict().values()]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("size", [224, 100, 32])
def test_outputs_match_after_weight_transfer(variant: str, size: int) -> None:
    """224 uses no padding; 100 and 32 force window padding in the attention stages."""
    torch.manual_seed(1)
    reference = randomise(emo_reference(variant), seed=size)
    model = archspec.build(SPECS / "emo.yaml", variant=variant).eval()
    archspec.transfer_weights(reference.state_dict(), model)
    x = torch.randn(2, 3, size, size)
    with torch.inference_mode():
        assert relative_error(model(x), reference(x)) <= 1e-5


def test_features_only_returns_stage_maps() -> None:
    model = archspec.build(SPECS / "emo.yaml", features_only=True, out_indices=(1, 2, 3)).eval()
    with torch.inference_mode():
        feats = model(torch.randn(1, 3, 224, 224))
    assert [tuple(f.shape) for f in feats] == [(1, 48, 28, 28), (1, 80, 14, 14), (1, 168, 7, 7)]


def test_torch_compile_matches_eager() -> None:
    torch.manual_seed(2)
    model = randomise(archspec.build(SPECS / "emo.yaml", variant="emo_1m"))
    x = torch.randn(2, 3, 224, 224)
    with torch.inference_mode():
        eager = model(x)
        compiled = torch.compile(model)(x)
    assert relative_error(compiled, eager) <= 1e-4


def test_init_scheme_emo() -> None:
    model = archspec.build(SPECS / "emo.yaml")
    head = model.head[-1].linear if hasattr(model.head[-1], "linear") else model.head[-1]
    weight = next(p for n, p in head.named_parameters() if n.endswith("weight"))
    # EMO: trunc_normal_(std=0.02) with timm's absolute bounds ±2, i.e. practically N(0, 0.02)
    assert 0.018 < float(weight.detach().std()) < 0.022
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    # convs keep PyTorch's default (kaiming_uniform with a=√5): bound = 1/√fan_in
    stem = convs[0]
    bound = 1 / (stem.weight[0].numel() ** 0.5)
    assert float(stem.weight.detach().abs().max()) <= bound
