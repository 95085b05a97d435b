"""Every spec under specs/ and every variant exports to torch.export (.pt2) and ONNX (.onnx, run in
ONNX Runtime and compared with the eager output within 1e-4 of the output scale); checkpoints
(.pt) load with ``torch.load(weights_only=True)`` and rebuild the same model."""

from __future__ import annotations

import pytest

import archspec

from .conftest import SPECS, randomise, relative_error
from .test_analysis_truth import CASES

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "variant"), CASES, ids=[f"{s}:{v}" for s, v in CASES])
def test_exports_pt2_and_onnx(spec: str, variant: str | None, tmp_path) -> None:
    from archspec.nn.export import export

    torch.manual_seed(0)
    model = randomise(archspec.build(SPECS / spec, variant=variant))
    x = torch.randn(1, *model.resolved.input_shape)
    with torch.inference_mode():
        eager = model(x)
    export(model, x, tmp_path / "model.onnx")  # raises past 1e-4 relative in ONNX Runtime
    program_path = export(model, x, tmp_path / "model.pt2")
    program = torch.export.load(str(program_path))
    with torch.inference_mode():
        assert relative_error(program.module()(x), eager) <= 1e-5


def test_checkpoint_round_trip(tmp_path) -> None:
    from archspec.nn.export import export

    model = randomise(archspec.build(SPECS / "emo.yaml", variant="emo_2m", num_classes=7))
    path = export(model, torch.randn(1, 3, 224, 224), tmp_path / "emo.pt")
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["variant"] == "emo_2m"
    assert checkpoint["overrides"] == {"num_classes": 7}
    assert isinstance(checkpoint["spec_text"], str) and "emo_2m" in checkpoint["spec_text"]
    rebuilt = archspec.load_model(path).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        assert torch.equal(rebuilt(x), model(x))
