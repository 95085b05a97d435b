"""ONNX export: a dynamic batch axis that onnxruntime runs at any batch, and --opset within the
exporter's range."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from archspec.nn.export import check_opset, export, opset_range

from .conftest import TINY


def test_batch_axis_is_dynamic(tiny_onnx) -> None:  # noqa: ANN001
    dims = onnx.load(str(tiny_onnx)).graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [3, 32, 32]


@pytest.mark.parametrize("batch", [1, 3, 4])
def test_onnxruntime_matches_eager_at_each_batch(tiny, tiny_onnx, batch) -> None:  # noqa: ANN001
    """Checked here against eager directly (not through export's own verification)."""
    session = ort.InferenceSession(str(tiny_onnx), providers=["CPUExecutionProvider"])
    x = torch.randn(batch, 3, 32, 32, generator=torch.Generator().manual_seed(batch))
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        want = tiny(x).numpy()
    assert got.shape == (batch, 10)
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_opset_range_is_torchs() -> None:
    from torch.onnx import _constants

    low, high = opset_range()
    assert (low, high) == (18, _constants.ONNX_MAX_OPSET)  # 18: the exporter's own op table
    for bad in (low - 1, high + 1, 7):
        with pytest.raises(ValueError, match=f"{low} to {high}"):
            check_opset(bad)
    check_opset(low)
    check_opset(high)


def test_opset_written_as_asked(tiny, tmp_path) -> None:  # noqa: ANN001
    high = opset_range()[1]
    path = export(tiny, torch.zeros(1, 3, 32, 32), tmp_path / "t.onnx", opset=high)
    versions = {o.domain: o.version for o in onnx.load(str(path)).opset_import}
    assert versions[""] == high


def test_opset_refused_for_other_formats(tiny, tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=".onnx"):
        export(tiny, torch.zeros(1, 3, 32, 32), tmp_path / "t.pt2", opset=20)


def test_cli_opset_out_of_range_exit_2(cli, tmp_path) -> None:  # noqa: ANN001
    low, high = opset_range()
    result = cli("build", TINY, "-o", str(tmp_path / "t.onnx"), "--opset", str(high + 1))
    assert result.rc == 2 and f"{low} to {high}" in result.err
    assert not (tmp_path / "t.onnx").exists()


def test_cli_batch_4_export(cli, tmp_path) -> None:  # noqa: ANN001
    """`--input 4x3x32x32` exports (the file still takes any batch)."""
    out = tmp_path / "t.onnx"
    result = cli("build", TINY, "--input", "4x3x32x32", "-o", str(out), "--opset", "18")
    assert result.rc == 0, result.err
    assert "opset 18, dynamic batch, verified in onnxruntime at batch 1 and 4" in result.out
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {session.get_inputs()[0].name: np.zeros((2, 3, 32, 32), np.float32)})
    assert y.shape == (2, 10)
