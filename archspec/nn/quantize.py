"""Quantise an exported fp32 ONNX model with ONNX Runtime, or convert it to fp16, and measure
what changed and how far the outputs moved.

Modes (decision 0036):

- ``dynamic``: ``onnxruntime.quantization.quantize_dynamic``: uint8 weights (ORT's CPU provider
  has a ``ConvInteger`` kernel only for uint8), activations quantised at run time per tensor;
  no calibration.
- ``int8``: ``quantize_static`` in QDQ format (QuantizeLinear/DequantizeLinear pairs around
  each quantised op, which every backend that reads ONNX int8 understands), int8 weights per
  channel, int8 activations with ranges calibrated (MinMax) on the given inputs.
- ``fp16``: ``onnxruntime.transformers.float16.convert_float_to_float16`` with fp32 inputs and
  outputs kept (a Cast at each end), so callers feed the same arrays.

Agreement against the fp32 model, on the same inputs (each run at batch 1, since a dynamic
quantiser's ranges depend on the batch): ``cosine`` is the mean over samples of the cosine
similarity of the flattened outputs; ``max_rel_error`` is max |q - f| over all samples and
outputs divided by max |f| (the convention of ``ONNX_RTOL``); ``top1_agreement`` is the share of
samples whose argmax matches, reported only for real images (on noise it means nothing).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from archspec.nn.calibration_images import Inputs

if TYPE_CHECKING:
    import onnx

Mode = Literal["dynamic", "int8", "fp16"]
MODES: tuple[Mode, ...] = ("dynamic", "int8", "fp16")
#: ops whose weights a quantiser converts; counted before and after
WEIGHT_OPS = ("Conv", "MatMul", "Gemm")
#: a quantised model is run at these batch sizes and must give outputs of the fp32 shapes
CHECK_BATCHES = (1, 4)
CALIBRATION_BATCH = 8


class QuantizeError(RuntimeError):
    """A quantised model that onnxruntime cannot run, or whose outputs have the wrong shape."""


@dataclass(frozen=True)
class Agreement:
    """How a converted model's outputs compare with the fp32 model's on ``inputs``."""

    inputs: str
    count: int
    cosine: float
    max_rel_error: float
    top1_agreement: float | None  # None unless the inputs were real images


@dataclass(frozen=True)
class QuantizeReport:
    """What one conversion changed, its size on disk, and how well it agrees with fp32."""

    mode: Mode
    path: Path
    fp32_bytes: int
    bytes: int
    nodes_before: dict[str, int]
    nodes_after: dict[str, int]
    converted: dict[str, int]  # op type → nodes quantised (fp16: tensors converted)
    agreement: Agreement
    checked_batches: tuple[int, ...] = field(default=CHECK_BATCHES)

    def lines(self) -> list[str]:
        """The report as printed by ``archspec build``."""
        before, after = sum(self.nodes_before.values()), sum(self.nodes_after.values())
        what = ("quantised " if self.mode != "fp16" else "converted to fp16 ") + ", ".join(
            f"{n} {op}" for op, n in self.converted.items())
        a = self.agreement
        out = [f"  {self.mode:<13} {what}",
               f"  nodes         {before:,} → {after:,}",
               f"  size          {_mib(self.fp32_bytes)} fp32 → {_mib(self.bytes)} "
               f"({self.bytes / self.fp32_bytes:.2f}×)",
               f"  agreement     on {a.inputs}",
               f"                cosine {a.cosine:.6f}, max relative error "
               f"{a.max_rel_error:.3g}" + ("" if a.top1_agreement is None else
                                         f", top-1 agreement {a.top1_agreement:.1%}"),
               f"  checked       onnxruntime at batch {' and '.join(map(str, self.checked_batches))}"]
        return out


def _mib(n: int) -> str:
    return f"{n / 2**20:.2f} MiB"


def op_counts(model: onnx.ModelProto) -> dict[str, int]:
    """Node count per op type of the main graph, most frequent first."""
    return dict(Counter(node.op_type for node in model.graph.node).most_common())


def quantized_counts(before: onnx.ModelProto, after: onnx.ModelProto) -> dict[str, int]:
    """Per op type of ``WEIGHT_OPS``: nodes in ``before`` that ``after`` no longer runs in
    float. A node counts as still float when an op of that type remains whose second input (the
    weight) is not produced by a DequantizeLinear: the dynamic quantiser replaces nodes
    (ConvInteger, MatMulInteger), the QDQ one keeps them and feeds them dequantised int8."""
    dequantised = {out for node in after.graph.node if node.op_type == "DequantizeLinear"
                   for out in node.output}
    counts: dict[str, int] = {}
    for op in WEIGHT_OPS:
        total = sum(1 for node in before.graph.node if node.op_type == op)
        if not total:
            continue
        still_float = sum(1 for node in after.graph.node if node.op_type == op
                          and (len(node.input) < 2 or node.input[1] not in dequantised))
        counts[op] = total - still_float
    return counts


def agreement(reference: list[np.ndarray], candidate: list[np.ndarray], *, inputs: Inputs
              ) -> Agreement:
    """Figures for per-sample outputs (each a list entry of shape 1×…), see the module doc."""
    ref = np.stack([r.reshape(-1).astype(np.float64) for r in reference])
    got = np.stack([c.reshape(-1).astype(np.float64) for c in candidate])
    # scale-invariant: rows are scaled to unit max first (an untrained network's logits can be
    # ~1e-22, whose squared norms a fixed floor would swamp); two zero rows agree fully
    ref_n = ref / np.maximum(np.abs(ref).max(axis=1, keepdims=True), np.finfo(np.float64).tiny)
    got_n = got / np.maximum(np.abs(got).max(axis=1, keepdims=True), np.finfo(np.float64).tiny)
    norms = np.linalg.norm(ref_n, axis=1) * np.linalg.norm(got_n, axis=1)
    dots = np.sum(ref_n * got_n, axis=1)
    zero = norms == 0
    cosine = float(np.mean(np.where(zero, (np.abs(ref).max(axis=1) == np.abs(got).max(axis=1)),
                                    dots / np.where(zero, 1.0, norms))))
    max_rel = float(np.abs(got - ref).max() / max(float(np.abs(ref).max()), 1e-30))
    top1 = None
    if inputs.real:
        top1 = float(np.mean(ref.argmax(axis=1) == got.argmax(axis=1)))
    return Agreement(inputs.source, len(reference), cosine, max_rel, top1)


def run_each(path: Path, data: np.ndarray) -> list[np.ndarray]:
    """The first output of ``path`` for each sample of ``data``, run one at a time."""
    return _each(_session(path), data)


def _each(session: Any, data: np.ndarray) -> list[np.ndarray]:
    name = session.get_inputs()[0].name
    return [session.run(None, {name: data[i:i + 1]})[0] for i in range(len(data))]


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_batches(reference: Any, session: Any, converted: Path,
                  shape: tuple[int, int, int]) -> None:
    """Run ``session`` (of the file ``converted``) at each of ``CHECK_BATCHES``;
    :class:`QuantizeError` when it fails or its outputs' shapes or finiteness differ from those
    of ``reference`` (the fp32 model's session)."""
    generator = np.random.default_rng(1)
    for batch in CHECK_BATCHES:
        x = generator.standard_normal((batch, *shape), dtype=np.float32)
        want = reference.run(None, {reference.get_inputs()[0].name: x})
        try:
            got = session.run(None, {session.get_inputs()[0].name: x})
        except Exception as exc:  # onnxruntime raises its own exception types
            raise QuantizeError(f"{converted}: onnxruntime cannot run it at batch {batch}: "
                                f"{str(exc).splitlines()[0][:300]}") from None
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            if w.shape != g.shape:
                raise QuantizeError(f"{converted}: output {i} at batch {batch} has shape "
                                    f"{g.shape}, the fp32 model's {w.shape}")
            if not np.isfinite(g).all():
                raise QuantizeError(f"{converted}: output {i} at batch {batch} is not finite")


class _Reader:
    """An onnxruntime CalibrationDataReader over a batch of inputs, CALIBRATION_BATCH at a time."""

    def __init__(self, name: str, data: np.ndarray) -> None:
        self._batches: Iterator[np.ndarray] = iter(
            [data[i:i + CALIBRATION_BATCH] for i in range(0, len(data), CALIBRATION_BATCH)])
        self._name = name

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        return None if batch is None else {self._name: batch}


def convert(fp32: Path, output: Path, mode: Mode, *, calibration: Inputs | None = None,
            input_name: str = "") -> None:
    """Write ``fp32`` converted by ``mode`` to ``output`` (``int8`` only: ``calibration``, fed
    to the model's input ``input_name``)."""
    import onnx

    if mode == "fp16":
        from onnxruntime.transformers.float16 import convert_float_to_float16

        model = convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True)
        onnx.save(model, str(output))
        return
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.calibrate import CalibrationDataReader

    if mode == "dynamic":
        quantize_dynamic(str(fp32), str(output), weight_type=QuantType.QUInt8,
                         op_types_to_quantize=list(WEIGHT_OPS))
        return
    if calibration is None or not input_name:
        raise ValueError("int8 (static) quantisation needs calibration inputs and the input's "
                         "name")
    reader = type("Reader", (_Reader, CalibrationDataReader), {})(input_name, calibration.data)
    quantize_static(str(fp32), str(output), reader, quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, op_types_to_quantize=None)


def quantize(fp32: str | os.PathLike[str], output: str | os.PathLike[str], mode: Mode, *,
             inputs: Inputs, calibration: Inputs | None = None,
             shape: tuple[int, int, int] | None = None) -> QuantizeReport:
    """Convert the fp32 ONNX file ``fp32`` by ``mode`` into ``output``, check it in onnxruntime
    at batch 1 and 4, and compare it with ``fp32`` on ``inputs``. int8 calibrates on
    ``calibration`` (default: ``inputs`` themselves; pass a separate set to measure on held-out
    inputs)."""
    import onnx

    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    fp32, output = Path(fp32), Path(output)
    shape = shape or (inputs.data.shape[1], inputs.data.shape[2], inputs.data.shape[3])
    calibration = calibration or inputs
    reference = _session(fp32)  # one session per file: the check, calibration and figures share it
    with _quiet_quantiser():
        convert(fp32, output, mode, calibration=calibration if mode == "int8" else None,
                input_name=reference.get_inputs()[0].name)
    session = _session(output)
    check_batches(reference, session, output, shape)
    before, after = onnx.load(str(fp32)), onnx.load(str(output))
    if mode == "fp16":
        converted = {"initializers": sum(1 for t in after.graph.initializer
                                         if t.data_type == onnx.TensorProto.FLOAT16)}
    else:
        converted = quantized_counts(before, after)
    figures = agreement(_each(reference, inputs.data), _each(session, inputs.data),
                        inputs=inputs)
    return QuantizeReport(mode, output, fp32.stat().st_size, output.stat().st_size,
                          op_counts(before), op_counts(after), converted, figures)


@contextmanager
def _quiet_quantiser() -> Iterator[None]:
    """ORT's quantiser logs a "consider pre-processing" advice through the root logger on every
    call; archspec's export is already shape-inferred and optimised by the exporter."""
    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def quantize_module(model: Any, example_input: Any, output: str | os.PathLike[str], mode: Mode,
                    *, inputs: Inputs, opset: int | None = None,
                    fp32_path: str | os.PathLike[str] | None = None) -> QuantizeReport:
    """Export ``model`` (any ``nn.Module`` taking one NCHW tensor) to fp32 ONNX, verified at
    batch 1 and 4, then :func:`quantize` it into ``output``. The fp32 file goes to
    ``fp32_path`` when given, else to a temporary folder that is removed."""
    from archspec.nn.export import export

    with tempfile.TemporaryDirectory(prefix="archspec-quantize-") as tmp:
        fp32 = Path(fp32_path) if fp32_path is not None else Path(tmp) / "fp32.onnx"
        export(model, example_input, fp32, opset=opset)
        return quantize(fp32, output, mode, inputs=inputs,
                        shape=tuple(example_input.shape[1:]))


def summary(reports: Sequence[QuantizeReport]) -> list[dict[str, Any]]:
    """JSON-ready records of ``reports`` (benchmarks write them)."""
    return [{"mode": r.mode, "bytes": r.bytes, "fp32_bytes": r.fp32_bytes,
             "converted": r.converted, "nodes_before": sum(r.nodes_before.values()),
             "nodes_after": sum(r.nodes_after.values()), "inputs": r.agreement.inputs,
             "count": r.agreement.count, "cosine": r.agreement.cosine,
             "max_rel_error": r.agreement.max_rel_error,
             "top1_agreement": r.agreement.top1_agreement} for r in reports]
