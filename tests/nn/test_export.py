"""export(): .pt2 round trip, .onnx checked in onnxruntime, .pt checkpoints and load_model."""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest
import torch

from archspec.nn import ExportError, build_module, export, load_model

from .test_network import tiny_net

SPEC_TEXT = "archspec: 1\nname: tiny\n"  # stands in for the spec file; resolution is faked


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_module(tiny_net()).eval()


@pytest.fixture(scope="module")
def x():
    return torch.randn(2, 3, 36, 44)


def test_pt2_round_trip(model, x, tmp_path):
    path = export(model, x, tmp_path / "tiny.pt2")
    program = torch.export.load(str(path))
    with torch.no_grad():
        torch.testing.assert_close(program.module()(x), model(x))


def test_onnx_verified_in_onnxruntime(model, x, tmp_path):
    import onnxruntime as ort

    model.train()  # export runs in eval mode and restores the caller's mode
    path = export(model, x, tmp_path / "tiny.onnx")
    assert model.training
    model.eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(y), model(x), rtol=1e-4, atol=1e-4)


def test_onnx_mismatch_raises(model, x, tmp_path, monkeypatch):
    # archspec.nn.export is the function; the module is in sys.modules
    monkeypatch.setattr(sys.modules["archspec.nn.export"], "ONNX_RTOL", -1.0)  # any difference is too much
    with pytest.raises(ExportError, match="onnxruntime"):
        export(model, x, tmp_path / "tiny.onnx")


def test_unknown_suffix(model, x, tmp_path):
    with pytest.raises(ValueError, match=r"\.pt2"):
        export(model, x, tmp_path / "tiny.tflite")


def test_pt_checkpoint_loads_weights_only(model, x, tmp_path):
    path = export(model, x, tmp_path / "tiny.pt", spec_text=SPEC_TEXT)
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["format"] == "archspec-checkpoint" and checkpoint["version"] == 1
    assert checkpoint["spec_text"] == SPEC_TEXT and checkpoint["spec_file"] == "tiny.yaml"
    assert checkpoint["variant"] is None and checkpoint["overrides"] == {}
    assert list(checkpoint["state_dict"]) == list(model.state_dict())


def test_pt_spec_text_from_file(x, tmp_path):
    """A net that does not carry its text (resolved before it did) reads it from its file."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC_TEXT)
    model = build_module(dataclasses.replace(tiny_net(), file=str(spec), text=""))
    export(model, x, tmp_path / "a.pt")
    assert torch.load(tmp_path / "a.pt", weights_only=True)["spec_text"] == SPEC_TEXT
    missing = build_module(dataclasses.replace(tiny_net(), file=str(tmp_path / "gone.yaml"),
                                               text=""))
    with pytest.raises(ValueError, match="spec_text"):
        export(missing, x, tmp_path / "b.pt")
    with pytest.raises(ValueError, match="features_only"):
        export(build_module(tiny_net(), features_only=True), x, tmp_path / "c.pt",
               spec_text=SPEC_TEXT)


def test_load_model(model, x, tmp_path, monkeypatch):
    """load_model re-resolves the stored spec text (faked here) and loads the weights."""
    net = dataclasses.replace(tiny_net(), variant="v1", overrides={"num_classes": 10})
    saved = build_module(net).eval()
    saved.load_state_dict(model.state_dict())
    path = export(saved, x, tmp_path / "tiny.pt", spec_text=SPEC_TEXT)
    calls = {}

    def loads(text, name="<string>"):
        calls["loads"] = (text, name)
        return "document"

    def resolve(document, variant, num_classes=None, in_channels=None):
        calls["resolve"] = (document, variant, num_classes, in_channels)
        return net

    import archspec.spec.document

    monkeypatch.setattr(archspec.spec.document, "loads", loads)
    monkeypatch.setitem(sys.modules, "archspec.spec.resolve",
                        types.SimpleNamespace(resolve=resolve))
    loaded = load_model(path).eval()
    assert calls == {"loads": (SPEC_TEXT, "tiny.yaml"),
                     "resolve": ("document", "v1", 10, None)}
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_load_model_rejects_other_files(tmp_path):
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an archspec checkpoint"):
        load_model(tmp_path / "other.pt")
