"""Shared helpers for parity tests: reference models with randomised weights and BN statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


def randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random affine and running statistics in every norm, so eval-mode parity tests them too."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
                mod.running_mean.copy_(torch.rand(mod.num_features, generator=gen) - 0.5)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=gen) + 0.5)
            if isinstance(mod, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d | torch.nn.LayerNorm) \
                    and mod.weight is not None:
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) + 0.5)
                mod.bias.copy_(torch.rand(mod.bias.shape, generator=gen) - 0.5)
    return model.eval()


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |actual − expected| relative to the output scale (max |expected|)."""
    return float((actual - expected).abs().max() / expected.abs().max())
