"""Quantisation through onnxruntime: each mode on a small network, its figures recomputed here
with numpy from the two models' outputs, and the CLI's flags and refusals."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from PIL import Image

from archspec.nn.calibration_images import Inputs, generated_inputs
from archspec.nn.quantize import quantize

from .conftest import TINY


def _outputs(path, data: np.ndarray) -> np.ndarray:  # noqa: ANN001
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: data[i:i + 1]})[0] for i in range(len(data))])


def _figures(ref: np.ndarray, got: np.ndarray) -> tuple[float, float, float]:
    """Cosine (mean over samples), max |got - ref| / max |ref|, top-1 agreement."""
    cos = [float(r @ g / np.linalg.norm(r) / np.linalg.norm(g)) for r, g in zip(ref, got, strict=True)]
    return (float(np.mean(cos)), float(np.abs(got - ref).max() / np.abs(ref).max()),
            float(np.mean(ref.argmax(1) == got.argmax(1))))


def _weight_ops(path) -> dict[str, int]:  # noqa: ANN001
    nodes = onnx.load(str(path)).graph.node
    return {op: sum(n.op_type == op for n in nodes) for op in ("Conv", "MatMul", "Gemm")}


@pytest.mark.parametrize("mode", ["dynamic", "int8", "fp16"])
def test_mode_figures_match_numpy(tiny_onnx, tmp_path, mode) -> None:  # noqa: ANN001
    rng = np.random.default_rng(5)
    inputs = Inputs(rng.standard_normal((12, 3, 32, 32), dtype=np.float32), True, "12 images")
    out = tmp_path / f"{mode}.onnx"
    report = quantize(tiny_onnx, out, mode, inputs=inputs)
    cosine, max_rel, top1 = _figures(_outputs(tiny_onnx, inputs.data), _outputs(out, inputs.data))
    a = report.agreement
    assert a.count == 12 and a.inputs == "12 images"
    assert a.cosine == pytest.approx(cosine, abs=1e-6)
    assert a.max_rel_error == pytest.approx(max_rel, rel=1e-5)
    assert a.top1_agreement == pytest.approx(top1)
    assert 0.9 < cosine <= 1.0 + 1e-6 and max_rel < 0.5  # a conversion, not a different model
    assert report.fp32_bytes == tiny_onnx.stat().st_size and report.bytes == out.stat().st_size
    assert report.bytes < report.fp32_bytes
    weights = _weight_ops(tiny_onnx)
    if mode == "fp16":
        model = onnx.load(str(out))
        halves = sum(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer)
        assert report.converted == {"initializers": halves} and halves > 0
        assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    elif mode == "dynamic":  # Conv → ConvInteger, MatMul/Gemm with a weight → MatMulInteger
        nodes = [n.op_type for n in onnx.load(str(out)).graph.node]
        assert report.converted["Conv"] == weights["Conv"] == nodes.count("ConvInteger")
        assert "DynamicQuantizeLinear" in nodes
    else:  # QDQ: every weight op keeps its type and reads DequantizeLinear outputs
        assert report.converted == {op: n for op, n in weights.items() if n}
        nodes = [n.op_type for n in onnx.load(str(out)).graph.node]
        assert nodes.count("QuantizeLinear") > 0 and nodes.count("DequantizeLinear") > 0
    assert report.nodes_before == dict(sorted(report.nodes_before.items(),
                                              key=lambda kv: -kv[1]))


def test_top1_only_for_real_images(tiny_onnx, tmp_path) -> None:  # noqa: ANN001
    report = quantize(tiny_onnx, tmp_path / "d.onnx", "dynamic",
                      inputs=generated_inputs(4, (3, 32, 32)))
    assert report.agreement.top1_agreement is None
    assert not any("top-1" in line for line in report.lines())
    assert any("generated inputs" in line for line in report.lines())


def test_quantised_runs_at_batch_1_and_4(tiny_onnx, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "q.onnx"
    quantize(tiny_onnx, out, "int8", inputs=generated_inputs(8, (3, 32, 32)))
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 4):
        (y,) = session.run(None, {"x": np.zeros((batch, 3, 32, 32), np.float32)})
        assert y.shape == (batch, 10)


# ------------------------------------------------------------------------------------ CLI
def _images(folder, n: int = 6) -> None:  # noqa: ANN001
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / (f"{i}.png" if i % 2 else f"{i}.jpg"))


def test_cli_int8_on_images(cli, tmp_path) -> None:  # noqa: ANN001
    _images(tmp_path / "cal")
    out = tmp_path / "q.onnx"
    result = cli("build", TINY, "-o", str(out), "--quantize", "int8", "--calibration",
                 str(tmp_path / "cal"), "--calibration-count", "4", "--mean", "0.5,0.5,0.5",
                 "--std", "0.25,0.25,0.25")
    assert result.rc == 0, result.err
    assert f"on 4 images from {tmp_path / 'cal'}" in result.out
    assert "top-1 agreement" in result.out and "quantised" in result.out
    assert "checked       onnxruntime at batch 1 and 4" in result.out
    assert any(n.op_type == "DequantizeLinear" for n in onnx.load(str(out)).graph.node)


def test_cli_dynamic_on_generated_inputs(cli, tmp_path) -> None:  # noqa: ANN001
    result = cli("build", TINY, "-o", str(tmp_path / "q.onnx"), "--quantize", "dynamic",
                 "--calibration-count", "3")
    assert result.rc == 0, result.err
    assert "on 3 generated inputs" in result.out and "top-1" not in result.out


def test_cli_quantize_int3(cli, tmp_path) -> None:  # noqa: ANN001
    result = cli("build", TINY, "-o", str(tmp_path / "q.onnx"), "--quantize", "int3")
    assert result.rc == 2
    assert "invalid choice: 'int3'" in result.err  # argparse lists the choices, quoted or not
    assert "dynamic" in result.err.split("int3")[-1] and "int8" in result.err


@pytest.mark.parametrize(("flags", "message"), [
    (["--quantize", "int8"], "apply to ONNX files: give -o MODEL.onnx (not {tmp}/m.pt2)"),
    (["--half"], "apply to ONNX files"),
    (["--opset", "20"], "apply to ONNX files"),
])
def test_cli_onnx_flags_need_onnx_output(cli, tmp_path, flags, message) -> None:  # noqa: ANN001
    result = cli("build", TINY, "-o", str(tmp_path / "m.pt2"), *flags)
    assert result.rc == 2 and message.format(tmp=tmp_path) in result.err


@pytest.mark.parametrize(("flags", "message"), [
    (["--calibration", "."], "--calibration is for static quantisation: add --quantize int8"),
    (["--quantize", "dynamic", "--calibration", "."], "add --quantize int8"),
    (["--quantize", "int8", "--half"], "pick one"),
    (["--quantize", "int8", "--mean", "0,0,0"], "--mean normalises calibration images"),
])
def test_cli_flag_combinations(cli, tmp_path, flags, message) -> None:  # noqa: ANN001
    result = cli("build", TINY, "-o", str(tmp_path / "m.onnx"), *flags)
    assert result.rc == 2 and message in result.err
    assert not (tmp_path / "m.onnx").exists()


def test_cli_bad_calibration_folders(cli, tmp_path) -> None:  # noqa: ANN001
    out = str(tmp_path / "m.onnx")
    (tmp_path / "empty").mkdir()
    result = cli("build", TINY, "-o", out, "--quantize", "int8", "--calibration",
                 str(tmp_path / "empty"))
    assert result.rc == 2 and "holds no images" in result.err
    result = cli("build", TINY, "-o", out, "--quantize", "int8", "--calibration",
                 str(tmp_path / "nowhere"))
    assert result.rc == 2 and "does not exist" in result.err
    _images(tmp_path / "bad", 2)
    (tmp_path / "bad" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = cli("build", TINY, "-o", out, "--quantize", "int8", "--calibration",
                 str(tmp_path / "bad"))
    assert result.rc == 2 and "broken.jpg" in result.err
    assert not (tmp_path / "m.onnx").exists()


def test_cosine_of_tiny_logits() -> None:
    """An untrained network's logits can be ~1e-22: the cosine must not collapse to 0."""
    from archspec.nn.quantize import agreement

    rng = np.random.default_rng(0)
    ref = rng.standard_normal((3, 10)) * 1e-22
    got = ref + rng.standard_normal((3, 10)) * 1e-24
    a = agreement(list(ref[:, None]), list(got[:, None]), inputs=generated_inputs(3, (3, 2, 2)))
    assert a.cosine == pytest.approx(_figures(ref, got)[0], abs=1e-9) and a.cosine > 0.99
