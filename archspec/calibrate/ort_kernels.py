"""ONNX Runtime: each op of an archspec graph as a one-kernel ONNX model, whole networks as
exported ONNX files, and what ORT runs as one kernel (its fusions and layout reorders).

A micro-kernel model has the op's input shapes (batch 1; a leading window axis is the batch)
and the nodes ``torch.onnx.export`` writes for archspec's module of that op (opset 20, float32):

=============  ===========================================================================
class          nodes
=============  ===========================================================================
conv.*         ``Conv`` (weights, bias as initializers)
norm.bn        ``BatchNormalization`` (a BN after a conv is folded into it at export)
norm.ln        ``Transpose → LayerNormalization(axis=-1) → Transpose`` (LayerNorm2d)
act.*          ``Relu``, ``Clip(0, 6)``, ``HardSwish``, ``HardSigmoid(1/6, 1/2)``, ``Sigmoid``,
               ``Sigmoid → Mul`` (SiLU), ``Gelu`` (exact or tanh)
add, mul       ``Add``; ``Mul`` (SE's gate, a scalar, layer scale's γ as (1, C, 1, 1))
matmul         ``MatMul``; softmax: ``Softmax(axis=-1)``
copy           ``Reshape → Transpose → Reshape`` (window partition / reverse, heads)
pad, crop      ``Pad``; ``Slice``
pool.*         SE's ``ReduceMean(2, 3)``; ``GlobalAveragePool`` / ``GlobalMaxPool``;
               ``AveragePool`` / ``MaxPool``
concat         ``Concat(axis=1)``; shuffle: ``Reshape → Transpose → Reshape``
linear         ``Gemm(transB=1)``; view: ``Slice`` (a split piece), ``Flatten``, ``Reshape``
=============  ===========================================================================

Timing is :mod:`archspec.calibrate.ort_runner`'s (the same code a remote bundle runs): kernels
by ORT's node profiler, networks end to end.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.calibrate.samples import KernelTiming, NetworkTiming
from archspec.calibrate.timing import unique_ops as _unique_ops
from archspec.graph.op import Op, OpKind
from archspec.latency.kernels import FusionRule, class_totals, features, kernel_class, kernels

if TYPE_CHECKING:
    import onnx

    from archspec.calibrate.nets import CalibNet

OPSET = 20
IR_VERSION = 10


def variant(op: Op) -> str:
    """Which node a graph op exports to where its class alone does not say."""
    if op.kind == OpKind.POOL and op.attrs.get("global_pool") and op.origin.field == "se":
        return "mean"
    if op.kind == OpKind.MUL and "scalar" in op.attrs and op.attrs.get("params"):
        return "learnable"
    return ""


def unique_ops(ops: Sequence[Op]) -> list[Op]:
    """One op per distinct ONNX Runtime micro-kernel."""
    return _unique_ops(ops, variant)


def _batched(shape: tuple[int, ...]) -> tuple[int, ...]:
    return shape if len(shape) >= 4 else (1, *shape)


class _Graph:
    """Nodes and initializers of one micro-kernel model, written with ``onnx.helper``."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.n = 0

    def name(self, stem: str) -> str:
        self.n += 1
        return f"{stem}{self.n}"

    def init(self, array: Any, stem: str = "w") -> str:
        from onnx import numpy_helper

        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def weights(self, *shape: int, value: float = 0.01) -> str:
        """A constant tensor as ``ConstantOfShape``: ORT folds it into an initializer when the
        session is made (so a conv's weights are prepacked as a network's are), and the model
        file stays a few hundred bytes (a bundle of thousands of kernels stays small). The
        kernels' time does not depend on the weights' values."""
        from onnx import TensorProto, helper

        return self.node("ConstantOfShape", [self.ints(*shape)],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [value]))

    def ints(self, *values: int) -> str:
        import numpy as np

        return self.init(np.asarray(values, dtype=np.int64), "c")

    def node(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        from onnx import helper

        out = self.name("t")
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def reshape(self, x: str, shape: Sequence[int]) -> str:
        return self.node("Reshape", [x, self.ints(*shape)])


def kernel_model(op: Op) -> onnx.ModelProto:
    """A one-kernel ONNX model of ``op`` (inputs ``x0``, ``x1``…, output ``y``)."""
    import onnx
    from onnx import TensorProto, helper

    if kernel_class(op) is None:
        raise ValueError(f"{op.name}: a {op.kind} op runs no kernel")
    g = _Graph()
    ins = [f"x{i}" for i in range(len(op.in_shapes))]
    shapes = [_batched(s) for s in op.in_shapes]
    if op.kind == OpKind.MATMUL:
        shapes = [tuple(s) for s in op.in_shapes]
    make = _NODES.get(op.kind)
    if make is None:
        raise ValueError(f"{op.name}: no ONNX kernel for op kind {op.kind}")
    last = make(op, g, ins, shapes)
    g.nodes.append(helper.make_node("Identity", [last], ["y"]))
    graph = helper.make_graph(
        g.nodes, "kernel",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s))
         for n, s in zip(ins, shapes, strict=True)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(_out_shape(op)))], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="archspec-calibrate")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def _out_shape(op: Op) -> tuple[int, ...]:
    """The output's shape as the model computes it (batch axis as its inputs have it)."""
    out = op.out_shape
    if op.kind == OpKind.MATMUL or len(out) >= 4:
        return out
    if op.kind == OpKind.RESHAPE and op.attrs.get("copy") and len(op.in_shapes[0]) == 4 \
            and len(out) == 3 and not op.attrs.get("pattern"):
        return out  # heads split: (nw heads) t d
    return (1, *out)


Maker = Callable[[Op, _Graph, list[str], list[tuple[int, ...]]], str]


def _conv(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    a = op.attrs
    cin, cout, k = s[0][1], op.out_shape[-3], a["k"]
    inputs = [x[0], g.weights(cout, cin // a["groups"], k, k)]
    if a["bias"]:
        inputs.append(g.weights(cout))
    p, st, d = a["padding"], a["stride"], a["dilation"]
    return g.node("Conv", inputs, kernel_shape=[k, k], strides=[st, st], pads=[p, p, p, p],
                  dilations=[d, d], group=a["groups"])


def _norm(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    c, eps = s[0][1], float(op.attrs["eps"])
    if op.attrs["type"] == "bn":
        return g.node("BatchNormalization", [x[0], g.weights(c, value=1.0), g.weights(c),
                                             g.weights(c), g.weights(c, value=1.0)],
                      epsilon=eps)
    t = g.node("Transpose", [x[0]], perm=[0, 2, 3, 1])
    t = g.node("LayerNormalization", [t, g.weights(c, value=1.0), g.weights(c)], axis=-1,
               epsilon=eps)
    return g.node("Transpose", [t], perm=[0, 3, 1, 2])


def _act(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    import numpy as np

    kind = op.attrs["type"]
    if kind == "relu":
        return g.node("Relu", x)
    if kind == "relu6":
        lo = g.init(np.asarray(0.0, dtype=np.float32))
        hi = g.init(np.asarray(6.0, dtype=np.float32))
        return g.node("Clip", [x[0], lo, hi])
    if kind == "hardswish":
        return g.node("HardSwish", x)
    if kind == "hardsigmoid":
        return g.node("HardSigmoid", x, alpha=1.0 / 6, beta=0.5)
    if kind == "sigmoid":
        return g.node("Sigmoid", x)
    if kind == "silu":
        return g.node("Mul", [x[0], g.node("Sigmoid", x)])
    if kind in ("gelu", "gelu_tanh"):
        return g.node("Gelu", x, approximate="tanh" if kind == "gelu_tanh" else "none")
    raise ValueError(f"{op.name}: no ONNX node for activation {kind!r}")


def _add(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    return g.node("Add", x)


def _mul(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    import numpy as np

    if "scalar" not in op.attrs:
        return g.node("Mul", x)
    if op.attrs.get("params"):
        return g.node("Mul", [x[0], g.weights(1, s[0][-3], 1, 1)])
    scale = g.init(np.asarray(op.attrs["scalar"], dtype=np.float32))
    return g.node("Mul", [x[0], scale])


def _matmul(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    return g.node("MatMul", x)


def _softmax(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    return g.node("Softmax", x, axis=-1)


def _copy(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    src, out = op.in_shapes[0], op.out_shape
    pattern = op.attrs.get("pattern", "")
    if not op.attrs.get("copy"):
        return g.reshape(x[0], _batched(out))
    if pattern and len(src) == 3 and len(out) == 4:  # partition: c H W -> nw c wh ww
        c, (h1, w1) = src[0], out[2:]
        n1, n2 = src[1] // h1, src[2] // w1
        if pattern == "local":  # b c (n1 h1) (n2 w1)
            t = g.reshape(x[0], (1, c, n1, h1, n2, w1))
            t = g.node("Transpose", [t], perm=[0, 2, 4, 1, 3, 5])
        else:  # grid: b c (h1 n1) (w1 n2)
            t = g.reshape(x[0], (1, c, h1, n1, w1, n2))
            t = g.node("Transpose", [t], perm=[0, 3, 5, 1, 2, 4])
        return g.reshape(t, out)
    if pattern and len(src) == 4 and len(out) == 3:  # reverse: nw c wh ww -> c H W
        c, h1, w1 = src[1:]
        n1, n2 = out[1] // h1, out[2] // w1
        t = g.reshape(x[0], (1, n1, n2, c, h1, w1))
        perm = [0, 3, 1, 4, 2, 5] if pattern == "local" else [0, 3, 4, 1, 5, 2]
        t = g.node("Transpose", [t], perm=perm)
        return g.reshape(t, (1, *out))
    if len(src) == 4 and len(out) == 3:  # heads split: nw c wh ww -> (nw heads) t d
        bh, t_, d = out
        return g.node("Transpose", [g.reshape(x[0], (bh, d, t_))], perm=[0, 2, 1])
    if len(src) == 3 and len(out) == 4:  # heads merge: (nw heads) t d -> nw c wh ww
        t = g.node("Transpose", [g.reshape(x[0], src)], perm=[0, 2, 1])
        return g.reshape(t, out)
    return g.node("Identity", [g.reshape(x[0], _batched(out))])


def _pad(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    return g.node("Pad", [x[0], g.ints(0, 0, 0, 0, 0, 0, op.attrs["bottom"],
                                       op.attrs["right"])])


def _crop(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    h, w = op.out_shape[-2:]
    return g.node("Slice", [x[0], g.ints(0, 0), g.ints(h, w), g.ints(2, 3)])


def _resize(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    """ONNX Resize to the output's size: linear with half-pixel centres (torch's
    align_corners false), or nearest."""
    linear = op.attrs["mode"] == "bilinear"
    return g.node("Resize", [x[0], "", "", g.ints(*s[0][:2], *op.out_shape[-2:])],
                  mode="linear" if linear else "nearest",
                  coordinate_transformation_mode="half_pixel" if linear else "asymmetric",
                  nearest_mode="floor")


def _pool(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    a = op.attrs
    if a.get("global_pool"):
        if variant(op) == "mean":
            return g.node("ReduceMean", [x[0], g.ints(2, 3)], keepdims=1)
        return g.node("GlobalAveragePool" if a["mode"] == "avg" else "GlobalMaxPool", x)
    k, st, p = a["k"], a["stride"], a["padding"]
    common: dict[str, Any] = {"kernel_shape": [k, k], "strides": [st, st],
                              "pads": [p, p, p, p], "ceil_mode": int(a["ceil_mode"])}
    if a["mode"] == "avg":
        return g.node("AveragePool", x, count_include_pad=1, **common)
    return g.node("MaxPool", x, **common)


def _concat(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    return g.node("Concat", x, axis=1)


def _shuffle(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    _, c, h, w = s[0]
    groups = op.attrs["groups"]
    t = g.reshape(x[0], (1, groups, c // groups, h, w))
    t = g.node("Transpose", [t], perm=[0, 2, 1, 3, 4])
    return g.reshape(t, (1, c, h, w))


def _linear(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    cin, cout = s[0][1], op.out_shape[0]
    inputs = [x[0], g.weights(cout, cin)]
    if op.attrs["bias"]:
        inputs.append(g.weights(cout))
    return g.node("Gemm", inputs, transB=1)


def _split(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    start = op.attrs["start"]
    return g.node("Slice", [x[0], g.ints(start), g.ints(start + op.out_shape[0]), g.ints(1)])


def _flatten(op: Op, g: _Graph, x: list[str], s: list[tuple[int, ...]]) -> str:
    return g.node("Flatten", x, axis=1)


_NODES: dict[OpKind, Maker] = {
    OpKind.CONV: _conv, OpKind.NORM: _norm, OpKind.ACT: _act, OpKind.ADD: _add,
    OpKind.MUL: _mul, OpKind.MATMUL: _matmul, OpKind.SOFTMAX: _softmax, OpKind.RESHAPE: _copy,
    OpKind.PAD: _pad, OpKind.CROP: _crop, OpKind.RESIZE: _resize, OpKind.POOL: _pool, OpKind.CONCAT: _concat,
    OpKind.SHUFFLE: _shuffle, OpKind.LINEAR: _linear, OpKind.SPLIT: _split,
    OpKind.FLATTEN: _flatten,
}


# --------------------------------------------------------------------------- files


def write_kernels(ops: Sequence[Op], root: Path) -> list[dict[str, Any]]:
    """One model per distinct kernel of ``ops`` under ``root/kernels``; the manifest entries
    (id, file, class, features, op name)."""
    import onnx

    (root / "kernels").mkdir(parents=True, exist_ok=True)
    entries = []
    for i, op in enumerate(unique_ops(ops)):
        kid = f"k{i:04d}"
        file = f"kernels/{kid}.onnx"
        onnx.save(kernel_model(op), str(root / file))
        entries.append({"id": kid, "file": file, "cls": kernel_class(op),
                        "features": list(features(op)), "op": op.name})
    return entries


def _nn_digest() -> str:
    """A hash of archspec's torch modules: an export made by other module code is stale."""
    import hashlib

    from archspec.nn import build

    digest = hashlib.sha256()
    for path in sorted(Path(build.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def export_network(net: CalibNet, cache_dir: Path) -> Path:
    """``net`` exported by archspec's exporter (:func:`archspec.nn.export.export`: torch's
    dynamo exporter, checked in ORT against eager), cached under ``cache_dir`` by its spec's
    hash, torch's version and archspec's module code."""
    import os

    import torch

    from archspec.nn.build import build_module
    from archspec.nn.export import export

    cache_dir.mkdir(parents=True, exist_ok=True)
    tag = f"{net.key}-{_nn_digest()}-torch{torch.__version__.split('+')[0]}"
    path = cache_dir / f"{tag}.onnx"
    if path.is_file():
        return path
    model = build_module(net.net).eval()
    x = torch.randn((1, *net.net.input_shape), generator=torch.Generator().manual_seed(0))
    tmp = path.with_suffix(f".{os.getpid()}.onnx")
    export(model, x, tmp)
    tmp.replace(path)
    return path


def write_networks(nets: Sequence[CalibNet], root: Path, *, cache_dir: Path,
                   fusion: Sequence[FusionRule],
                   on_export: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Each network's ONNX file under ``root/networks`` (exports cached in ``cache_dir``),
    with its per-class totals under ``fusion``: the manifest entries."""
    (root / "networks").mkdir(parents=True, exist_ok=True)
    entries = []
    for i, net in enumerate(nets):
        if on_export is not None:
            on_export(net.name)
        src = export_network(net, cache_dir)
        nid = f"n{i:03d}"
        file = f"networks/{nid}.onnx"
        shutil.copyfile(src, root / file)
        ks = list(kernels(net.graph, fusion))
        entries.append({"id": nid, "file": file, "name": net.name,
                        "totals": dict(class_totals(ks)), "kernels": len(ks)})
    return entries


def write_manifest(root: Path, *, kernels: list[dict[str, Any]],
                   networks: list[dict[str, Any]], threads: int, repeats: int, rounds: int,
                   warmup: int, network_repeats: int, fusion: Sequence[FusionRule],
                   details: dict[str, Any]) -> Path:
    from archspec.calibrate import ort_runner

    path = root / ort_runner.MANIFEST
    doc = {"format": ort_runner.MANIFEST_FORMAT, "version": ort_runner.VERSION,
           "threads": threads, "repeats": repeats, "rounds": rounds, "warmup": warmup,
           "network_repeats": network_repeats,
           "fusion": [{"into": r.into, "absorbs": list(r.absorbs)} for r in fusion],
           "details": details, "kernels": kernels, "networks": networks}
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- timing


def kernel_timings(records: Sequence[dict[str, Any]]) -> list[KernelTiming]:
    return [KernelTiming(r["cls"], tuple(float(v) for v in r["features"]), float(r["ms"]),
                         float(r["iqr"])) for r in records]


def network_timings(records: Sequence[dict[str, Any]]) -> list[NetworkTiming]:
    return [NetworkTiming(r["name"], {c: [float(v) for v in t] for c, t in r["totals"].items()},
                          int(r["kernels"]), float(r["ms"]), float(r["iqr"])) for r in records]


def time_kernels(ops: Sequence[Op], *, workdir: Path, threads: int = 1, repeats: int = 5,
                 rounds: int = 5, warmup: int = 2,
                 on_round: Callable[[int, int], None] | None = None) -> list[KernelTiming]:
    """One timing per distinct kernel among ``ops`` (:func:`unique_ops` order), each model
    written under ``workdir`` and timed by ORT's node profiler, interleaved."""
    from archspec.calibrate import ort_runner

    entries = write_kernels(ops, workdir)
    records = ort_runner.time_kernels(workdir, entries, threads=threads, repeats=repeats,
                                      rounds=rounds, warmup=warmup, on_round=on_round)
    return kernel_timings(records)


def time_networks(nets: Sequence[CalibNet], *, workdir: Path, cache_dir: Path,
                  fusion: Sequence[FusionRule] = (), threads: int = 1, repeats: int = 3,
                  rounds: int = 5, warmup: int = 2,
                  on_round: Callable[[int, int], None] | None = None) -> list[NetworkTiming]:
    """Each network exported (cached) and timed end to end in ORT, interleaved; totals under
    the backend's ``fusion``."""
    from archspec.calibrate import ort_runner

    entries = write_networks(nets, workdir, cache_dir=cache_dir, fusion=fusion)
    records = ort_runner.time_networks(workdir, entries, threads=threads, repeats=repeats,
                                       rounds=rounds, warmup=warmup, on_round=on_round)
    return network_timings(records)


# --------------------------------------------------------------------------- fusion


#: Activations archspec's specs use, each probed behind a conv + BN and behind a linear layer.
PROBE_ACTS = ("relu", "relu6", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu")
#: Nodes that move or relabel data without computing (not counted as kernels of a chain).
_PLUMBING = frozenset({"ReorderInput", "ReorderOutput", "Reshape", "Squeeze", "Unsqueeze",
                       "Flatten", "Identity"})


@dataclass(frozen=True)
class Fusion:
    """What ORT runs as one kernel on this machine: ``rules`` for prediction, ``details`` (the
    chains probed and the nodes each became, the NCHWc reorders) for the profile."""

    rules: tuple[FusionRule, ...]
    details: dict[str, Any]


def _probe_module(acts: Sequence[str]) -> Any:
    """One torch module with a chain per probe, all fed by the same input: conv → BN → act
    (1×1 and depthwise 3×3), conv → BN, linear → act, attention scores (matmul → scale →
    softmax), a LayerNorm over channels; it returns every chain's output."""
    import torch
    from torch import nn

    from archspec.core.norm import Norm
    from archspec.nn.conv import ConvNormAct
    from archspec.nn.layers import LayerNorm2d, make_act

    bn = Norm("bn", 1e-5)

    class Probe(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pw = nn.ModuleList(ConvNormAct(in_ch=32, out=32, k=1, stride=1, padding=0,
                                                groups=1, dilation=1, bias=False, norm=bn,
                                                act=a) for a in (*acts, "none"))
            self.dw = nn.ModuleList(ConvNormAct(in_ch=32, out=32, k=3, stride=1, padding=1,
                                                groups=32, dilation=1, bias=False, norm=bn,
                                                act=a) for a in acts)
            self.fc = nn.ModuleList(nn.Sequential(nn.Linear(32, 32), make_act(a))
                                    for a in acts)
            self.ln = LayerNorm2d(32, eps=1e-6)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            outs = [m(x) for m in self.pw] + [m(x) for m in self.dw]
            v = x.mean((2, 3))  # b c
            outs += [m(v) for m in self.fc]
            t = x.flatten(2).transpose(1, 2)  # b t c
            outs.append(((t @ t.transpose(1, 2)) * 0.125).softmax(-1))
            outs.append(self.ln(x))
            return tuple(outs)

    labels = ([("conv", "norm.bn", f"act.{a}") for a in acts] + [("conv", "norm.bn")]
              + [("conv.dw", "norm.bn", f"act.{a}") for a in acts]
              + [("linear", f"act.{a}") for a in acts]
              + [("matmul", "mul.scalar", "softmax"), ("norm.ln",)])
    return Probe().eval(), labels


def _chain_nodes(graph: Any, output: str) -> list[Any]:
    """The nodes from the graph's input to ``output``, output first."""
    producer = {o: n for n in graph.node for o in n.output}
    inputs = {i.name for i in graph.input}
    out, todo, seen = [], [output], set()
    while todo:
        name = todo.pop()
        node = producer.get(name)
        if node is None or id(node) in seen or name in inputs:
            continue
        seen.add(id(node))
        out.append(node)
        todo.extend(node.input)
    return out


def _own(walks: list[list[Any]]) -> list[list[Any]]:
    """Each chain's nodes without those several chains share (the probe's common input)."""
    from collections import Counter

    shared = Counter(id(n) for w in walks for n in w)
    return [[n for n in w if shared[id(n)] == 1] for w in walks]


def detect_fusion(cache_dir: Path, *, threads: int = 1,
                  acts: Sequence[str] = PROBE_ACTS) -> Fusion:
    """Export the probe module, let ORT optimise it (``optimized_model_filepath``) and read
    which chains became one node: the fusion rules, and the nodes and reorders seen."""
    import onnx
    import onnxruntime as ort
    import torch

    from archspec.calibrate import ort_runner

    cache_dir.mkdir(parents=True, exist_ok=True)
    model, labels = _probe_module(acts)
    tag = f"probe-{len(acts)}-torch{torch.__version__.split('+')[0]}-ort{ort.__version__}"
    src = cache_dir / f"{tag}.onnx"
    if not src.is_file():
        x = torch.randn(1, 32, 16, 16)
        with torch.no_grad():
            torch.onnx.export(model, (x,), str(src.with_suffix(".tmp.onnx")), dynamo=True,
                              external_data=False, verbose=False)
        src.with_suffix(".tmp.onnx").replace(src)
    opt = cache_dir / f"{tag}.opt.onnx"
    ort.InferenceSession(str(src), ort_runner.session_options(threads, optimized_path=str(opt)),
                         providers=["CPUExecutionProvider"])
    exported, optimised = onnx.load(str(src)).graph, onnx.load(str(opt)).graph
    walks_e = [_chain_nodes(exported, o.name) for o in exported.output]
    walks_o = [_chain_nodes(optimised, o.name) for o in optimised.output]
    chains: list[dict[str, Any]] = []
    into: dict[str, list[str]] = {"conv": [], "linear": [], "matmul": []}
    for label, walk_e, walk_o in zip(labels, _own(walks_e), _own(walks_o), strict=True):
        before = [n.op_type for n in reversed(walk_e) if n.op_type not in _PLUMBING]
        after = [n.op_type for n in reversed(walk_o) if n.op_type not in _PLUMBING]
        reorders = [n.op_type for n in reversed(walk_o) if n.op_type in ort_runner.REORDER_OPS]
        chains.append({"chain": list(label), "exported": before, "optimised": after,
                       "reorders": reorders})
        head = label[0].split(".")[0]
        if head not in into or len(label) < 2:
            continue
        computing = [t for t in after if t not in ("Transpose",)]
        if "BatchNormalization" not in after and "norm.bn" in label:
            into[head].append("norm.bn")
        if len(computing) == 1:  # the whole chain is one node
            into[head].extend(c for c in label[1:] if c != "norm.bn")
        elif "mul.scalar" in label and "Mul" not in after:  # the scale went into the matmul
            into[head].append("mul.scalar")
    rules = tuple(FusionRule(k, tuple(dict.fromkeys(v))) for k, v in into.items() if v)
    reorder_sites = sum(len(c["reorders"]) for c in chains)
    details = {"probe": "conv/BN/act, depthwise, linear/act, attention scores, LayerNorm "
                        "at 32×16×16", "chains": chains,
               "reorders": {"nodes": sorted(ort_runner.REORDER_OPS), "in_probe": reorder_sites,
                            "note": "ORT moves NCHWc-capable convs to a blocked layout: a "
                                    "ReorderInput before a run of them and a ReorderOutput "
                                    "after; micro-kernel timings leave them out, networks "
                                    "pay them"}}
    return Fusion(rules, details)


def reorder_counts(paths: Sequence[Path], *, threads: int = 1) -> dict[str, int]:
    """How many reorder nodes ORT's optimised form of each network has (profile details)."""
    import onnx
    import onnxruntime as ort

    from archspec.calibrate import ort_runner

    counts = {}
    for path in paths:
        opt = path.with_suffix(".opt.onnx")
        ort.InferenceSession(str(path),
                             ort_runner.session_options(threads, optimized_path=str(opt)),
                             providers=["CPUExecutionProvider"])
        counts[path.stem] = sum(n.op_type in ort_runner.REORDER_OPS
                                for n in onnx.load(str(opt)).graph.node)
        opt.unlink()
    return counts
