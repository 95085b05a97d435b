"""The cost model: one entry per op kind, so no kind is ever silently free.

Conventions, stated once:

* ``macs``: multiply-accumulates of conv, linear and matmul only (attention's q·kᵀ and attn·v
  included); ``flops = 2 × macs``. Norms, activations, softmax, pooling and element-wise ops
  count 0 macs, as ``torch.utils.flop_counter.FlopCounterMode`` does; so does a resize (bilinear
  interpolation's four weighted reads per output are arithmetic, but no multiply-accumulate of a
  learned weight, and FlopCounterMode counts none).
* ``mem_access``: elements read and written per image, ShuffleNet V2 §2 (Ma et al., 2018):
  inputs + outputs + weights, each touched once (the paper's infinite-cache assumption). A view
  (split, flatten, non-copy reshape, eval dropout) costs 0; a layout copy costs its read and write.
* ``fvcore_extra``: what fvcore adds for norms on top of macs: eval BatchNorm 2 per element,
  LayerNorm 5 per element (how EMO's published "FLOPs" were counted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archspec.graph.op import Op, OpKind, numel


@dataclass(frozen=True)
class Cost:
    params: int = 0
    macs: int = 0
    mem_access: int = 0
    fvcore_extra: int = 0


def _io(op: Op) -> int:
    return op.in_elems + op.out_elems


def _conv(op: Op) -> Cost:
    a = op.attrs
    cin = op.in_shapes[0][-3]  # shapes are (..., C, H, W): windows may lead
    cout, k, groups = op.out_shape[-3], a["k"], a["groups"]
    weights = cout * (cin // groups) * k * k
    params = weights + (cout if a["bias"] else 0)
    macs = numel(op.out_shape) * (cin // groups) * k * k
    return Cost(params, macs, _io(op) + params)


def _linear(op: Op) -> Cost:
    a = op.attrs
    cin, cout = op.in_shapes[0][0], op.out_shape[0]
    params = cin * cout + (cout if a["bias"] else 0)
    return Cost(params, cin * cout, _io(op) + params)


def _norm(op: Op) -> Cost:
    c = op.in_shapes[0][-3] if len(op.in_shapes[0]) >= 3 else op.in_shapes[0][0]
    params = 2 * c  # weight and bias, one each per channel
    per_elem = {"bn": 2, "ln": 5}[op.attrs["type"]]
    return Cost(params, 0, _io(op) + params, per_elem * op.out_elems)


def _matmul(op: Op) -> Cost:
    *batch, m, k = op.in_shapes[0]
    n = op.in_shapes[1][-1]
    return Cost(0, numel(tuple(batch)) * m * k * n, _io(op))


def _free(op: Op) -> Cost:
    return Cost()


def _copy(op: Op) -> Cost:
    return Cost(0, 0, _io(op))


def _mul(op: Op) -> Cost:
    """An element-wise product; a learnable operand (layer scale's γ: ``attrs["params"]``
    elements) is the op's parameters, read once as weights."""
    params = int(op.attrs.get("params", 0))
    return Cost(params, 0, _io(op) + params)


def _reshape(op: Op) -> Cost:
    return _copy(op) if op.attrs.get("copy", False) else Cost()


COST_TABLE: dict[OpKind, Callable[[Op], Cost]] = {
    OpKind.INPUT: _free,
    OpKind.OUTPUT: _free,
    OpKind.CONV: _conv,
    OpKind.LINEAR: _linear,
    OpKind.NORM: _norm,
    OpKind.MATMUL: _matmul,
    OpKind.ACT: _copy,
    OpKind.SOFTMAX: _copy,
    OpKind.ADD: _copy,
    OpKind.MUL: _mul,
    OpKind.PAD: _copy,
    OpKind.CROP: _copy,
    OpKind.RESIZE: _copy,
    OpKind.CONCAT: _copy,
    OpKind.SHUFFLE: _copy,
    OpKind.POOL: _copy,
    OpKind.RESHAPE: _reshape,
    OpKind.FLATTEN: _free,
    OpKind.SPLIT: _free,
    OpKind.DROPOUT: _free,
}


def cost_of(op: Op) -> Cost:
    """Cost of one op; a kind without an entry is a bug, never a silent zero."""
    try:
        rule = COST_TABLE[op.kind]
    except KeyError:  # pragma: no cover - guarded by a test over OpKind
        raise AssertionError(f"no cost model for op kind {op.kind!r}") from None
    return rule(op)
