"""H104: operators a target lacks, and the operator a device needs to run each op of the graph."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import Op, OpKind
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.kernels import is_depthwise
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext


Operator = Literal[
    "conv", "depthwise_conv", "group_conv", "linear", "matmul", "batchnorm", "layernorm",
    "relu", "relu6", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu", "gelu_tanh",
    "softmax", "avgpool", "maxpool", "global_avgpool", "pad", "slice", "resize", "transpose",
    "concat", "channel_shuffle", "add", "mul",
]
OPERATORS: tuple[str, ...] = get_args(Operator)

DISPLAY = {"layernorm": "LayerNorm", "batchnorm": "BatchNorm", "gelu": "GELU",
           "gelu_tanh": "GELU (tanh)", "softmax": "Softmax", "hardswish": "hard-swish",
           "hardsigmoid": "hard-sigmoid", "silu": "SiLU", "relu": "ReLU", "relu6": "ReLU6",
           "sigmoid": "sigmoid", "matmul": "MatMul", "channel_shuffle": "channel shuffle",
           "depthwise_conv": "depthwise conv", "group_conv": "grouped conv",
           "global_avgpool": "global average pool", "avgpool": "average pool",
           "maxpool": "max pool", "transpose": "transpose (layout copy)"}


def operator_of(op: Op) -> str | None:
    """The operator a device needs to run ``op`` (None for views and graph ends)."""
    kind = op.kind
    if kind == OpKind.CONV:
        if is_depthwise(op):
            return "depthwise_conv"
        return "group_conv" if op.attrs.get("groups", 1) > 1 else "conv"
    if kind == OpKind.NORM:
        return "layernorm" if op.attrs.get("type") == "ln" else "batchnorm"
    if kind == OpKind.ACT:
        return str(op.attrs.get("type"))
    if kind == OpKind.POOL:
        if op.attrs.get("global_pool"):
            return "global_avgpool" if op.attrs.get("mode") == "avg" else "maxpool"
        return "avgpool" if op.attrs.get("mode") == "avg" else "maxpool"
    if kind == OpKind.RESHAPE:
        return "transpose" if op.attrs.get("copy") else None
    simple = {OpKind.LINEAR: "linear", OpKind.MATMUL: "matmul", OpKind.SOFTMAX: "softmax",
              OpKind.PAD: "pad", OpKind.CROP: "slice", OpKind.RESIZE: "resize",
              OpKind.CONCAT: "concat",
              OpKind.SHUFFLE: "channel_shuffle", OpKind.ADD: "add", OpKind.MUL: "mul"}
    return simple.get(kind)


class OperatorOptions(RuleOptions):
    lacks: list[Operator] = Field(
        default_factory=list, description="Operators the target cannot run (a BatchNorm "
        "folded into its conv needs none).")


@register
class UnsupportedOperator(Rule):
    """Operators the target lacks (e.g. an int8 NPU without LayerNorm, GELU, Softmax, hard-swish).

    ## What it does
    Maps every op of the network to the operator a device needs to run it (a BatchNorm folded
    into its conv needs none) and reports, once per missing operator, how many ops and blocks
    need it, anchored at the first of them.

    ## Why is this bad?
    A graph with an operator the accelerator lacks is split: the op runs on the CPU, with a copy
    and a synchronisation on each side, or the model does not compile for the device at all.
    For an int8 NPU, LayerNorm, GELU, Softmax and hard-swish are the usual gaps — exactly what
    attention-based mobile blocks and MobileNetV3 use.

    ## Formula
    The paper gives no formula; this rule defines one: an operator is reported when the target's
    `lacks` lists it; the data counts the ops and blocks that need it.

    ## Example
    ```yaml
    block: {block: mmb, exp: 3, f: attn, pre_norm: ln, expand_act: gelu}   # LayerNorm, Softmax, GELU
    ```

    ## Use instead
    Operators the target has: BatchNorm after a conv (folds away), ReLU or ReLU6 instead of
    GELU and hard-swish, and convolutional blocks (`f: dwconv`) instead of attention on devices
    without Softmax.

    ```yaml
    block: {block: mmb, exp: 3, f: dwconv, pre_norm: bn, expand_act: relu}
    ```
    """

    code = "H104"
    name = "unsupported-operator"
    severity = Severity.WARNING
    Options = OperatorOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        lacks = set(options.lacks)
        if not lacks:
            return
        found: dict[str, list[Op]] = {}
        for node, op in ctx.ops():
            name = operator_of(op)
            if name is None or name not in lacks:
                continue
            if name == "batchnorm" and ctx.kernels.is_fused(node):
                continue  # folded into its conv's weights
            if ctx.excused(self.code, op.block):
                continue
            found.setdefault(name, []).append(op)
        for name in (n for n in OPERATORS if n in found):
            ops = found[name]
            blocks = list(dict.fromkeys(op.block for op in ops))
            first = ops[0]
            shown = DISPLAY.get(name, name)
            yield self.report(
                ctx, options,
                message=(f"the target lacks {shown}: {len(ops)} op{'s' if len(ops) > 1 else ''}"
                         f" in {len(blocks)} block{'s' if len(blocks) > 1 else ''} need it "
                         f"(first `{ctx.local_name(first)}` in `{first.block}`)"),
                fix=_operator_fix(name),
                block=first.block, span=first.origin.span_of("operator", or_field=False),
                data={"value": len(ops), "operator": name, "blocks": blocks,
                      "ops": [op.name for op in ops]})


def _operator_fix(name: str) -> str:
    fixes = {"layernorm": "use BatchNorm (pre_norm: bn), which folds into the next conv",
             "gelu": "use ReLU or ReLU6", "gelu_tanh": "use ReLU or ReLU6",
             "hardswish": "use ReLU or ReLU6", "hardsigmoid": "use sigmoid or ReLU6 gates",
             "silu": "use ReLU or ReLU6",
             "softmax": "use convolutional blocks (f: dwconv) on this target",
             "matmul": "use convolutional blocks (f: dwconv) on this target"}
    return fixes.get(name, "replace it with an operator the target supports")
