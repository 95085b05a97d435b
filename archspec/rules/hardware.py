"""H101–H103: what a device or an export path makes of a spec's shapes: vector widths, kernel
limits, shapes computed at run time. The numbers come from the target; the operators a target
lacks (H104) are :mod:`archspec.rules.operators`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import networkx as nx
from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import OpKind
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.figures import pct, sig
from archspec.rules.kernels import is_depthwise
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext


def _ceil_to(n: int, m: int) -> int:
    return -(-n // m) * m


def _pad_factor(width: int, v: int) -> float:
    """How much wider ``width`` runs on a device of vector width ``v``."""
    return _ceil_to(width, v) / width


class VectorOptions(RuleOptions):
    vector_width: int = Field(
        default=8, ge=1, le=256, description="Channels the device processes per vector or tile "
        "(8: fp16 tensor cores, NEON fp16; 16–32: int8 NPUs).")
    min_waste: float = Field(
        default=0.0, ge=0, description="Report a block only when padding its widths adds more than "
        "this share of its work.")


@register
class ChannelMultiple(Rule):
    """Channel widths or attention head dims that are not a multiple of the target's vector width.

    ## What it does
    Checks the input and output widths of every conv and linear layer (the network's input
    channels and the classifiers' class counts excepted) and the head dim of every attention block
    against the target's vector width, and reports each block with a misaligned width, with the
    work the device spends on padding lanes.

    ## Why is this bad?
    SIMD units, tensor cores and NPU multiply-accumulate arrays process channels in groups of the vector width;
    a width of 116 runs as 120, a head dim of 21 as 24, and the remaining lanes compute zeros.
    Some runtimes fall back to slower generic kernels for misaligned widths, and int8 NPUs may
    refuse them.

    ## Formula
    The paper gives no formula; this rule defines one. With v the vector width and ⌈c⌉ᵥ the
    width rounded up to a multiple of v:

    ```
    padded work(conv)   = macs · (⌈c_in⌉ᵥ/c_in) · (⌈c_out⌉ᵥ/c_out) − macs    (depthwise: one factor)
    padded work(matmul) = macs · (⌈d⌉ᵥ/d) − macs                              d: the head dim
    waste(block)        = Σ padded work / Σ macs of its convs, linears and matmuls
    ```

    EMO-1M's head dim 21 pads to 24: +14.3% work in its attention matmuls.

    ## Example
    ```yaml
    - name: s4
      out: 168
      depth: 3
      block: {block: mmb, exp: 3.5, f: attn, dim_head: 21}    # 8 heads of 21 channels
    ```

    ## Use instead
    Widths and head dims that are multiples of the vector width (`width: {divisor: 8}` rounds
    scaled widths for you).

    ```yaml
      block: {block: mmb, exp: 3.5, f: attn, dim_head: 24}    # 7 heads of 24 channels
    ```
    """

    code = "H101"
    name = "channel-multiple"
    severity = Severity.WARNING
    Options = VectorOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        v = options.vector_width
        linears = [n for n, op in ctx.ops() if op.kind == OpKind.LINEAR]
        # the classifiers: linears no other linear follows (one, or a parallel of distilled heads)
        classifiers = {n for n in linears if not any(
            ctx.op(d).kind == OpKind.LINEAR for d in nx.descendants(ctx.graph.graph, n))}
        per_block: dict[str, dict[str, Any]] = {}
        for node, op in ctx.ops():
            if op.kind not in (OpKind.CONV, OpKind.LINEAR, OpKind.MATMUL) or not op.macs:
                continue
            entry = per_block.setdefault(op.block, {"widths": set(), "heads": set(),
                                                    "waste": 0.0, "macs": 0, "from": {},
                                                    "own": set(), "span": None})
            entry["macs"] += op.macs
            if op.kind == OpKind.MATMUL:
                d = op.attrs.get("dim_head", op.in_shapes[0][-1])  # attention's: its head dim
                factor = _pad_factor(d, v)
                if factor > 1:
                    entry["heads"].add(d)
            else:
                axis = -3 if op.kind == OpKind.CONV else -1
                cin, cout = op.in_shapes[0][axis], op.out_shape[axis]
                fin = 1.0 if is_depthwise(op) or _reads_input(ctx, node) else _pad_factor(cin, v)
                fout = 1.0 if node in classifiers else _pad_factor(cout, v)
                factor = fin * fout
                entry["widths"].update(w for w, f in ((cin, fin), (cout, fout)) if f > 1)
                producer = _producer(ctx, node) if fin > 1 else None
                if producer is not None:  # a width it reads: the block that wrote it is to blame
                    entry["from"].setdefault(cin, producer)
                own = {w for w, f in ((cin, fin if producer is None else 1.0), (cout, fout))
                       if f > 1}
                if own and entry["span"] is None:  # the field the tracer says set the width
                    span = op.origin.span_of("width", or_field=False)
                    entry["span"] = span if span != op.origin.block_span else None
                entry["own"].update(own)
            entry["waste"] += op.macs * (factor - 1)
        for path, e in per_block.items():
            if not e["widths"] and not e["heads"]:
                continue
            waste = e["waste"] / e["macs"] if e["macs"] else 0.0
            if waste <= options.min_waste:
                continue
            parts = []
            if e["widths"]:
                ws = sorted(e["widths"])
                parts.append(f"width{'s' if len(ws) > 1 else ''} "
                             f"{', '.join(map(str, ws))} (→ "
                             f"{', '.join(str(_ceil_to(w, v)) for w in ws)})")
            if e["heads"]:
                hs = sorted(e["heads"])
                parts.append(f"head dim {', '.join(map(str, hs))} (→ "
                             f"{', '.join(str(_ceil_to(h, v)) for h in hs)})")
            field_name = "dim_head" if e["heads"] and not e["widths"] else "out"
            where, producer = path, None
            if e["widths"] and not e["heads"] and not e["own"]:
                where = producer = e["from"][min(e["widths"])]  # only widths other blocks wrote
                parts[0] = f"input {parts[0]} from `{producer}`"
            yield self.report(
                ctx, options,
                message=(f"{' and '.join(parts)} "
                         f"{'is' if len(e['widths']) + len(e['heads']) == 1 else 'are'} not "
                         f"a multiple of {v}, the target's vector width: padding lanes add "
                         f"{pct(waste)} to this block's work"),
                fix=f"use multiples of {v} (e.g. `width: {{divisor: {v}}}`)",
                block=path, span=e["span"] if producer is None and e["span"] is not None
                else ctx.block_span(where, field_name, "exp", "mid"),
                data={"value": sig(waste), "threshold": options.min_waste, "vector_width": v,
                      "widths": sorted(e["widths"]), "head_dims": sorted(e["heads"]),
                      "producer": producer})


#: Ops that pass their input's channel count through (the walk back to a width's producer).
_SAME_WIDTH = frozenset({OpKind.NORM, OpKind.ACT, OpKind.ADD, OpKind.MUL, OpKind.POOL,
                         OpKind.DROPOUT, OpKind.PAD, OpKind.CROP, OpKind.RESIZE,
                         OpKind.SHUFFLE, OpKind.FLATTEN})


def _producer(ctx: LintContext, node: int) -> str | None:
    """The top-level block whose op made the channel count ``node`` reads, if another block's:
    walks back through width-preserving ops (norms, activations, pools, residual adds)."""
    g = ctx.graph.graph
    own = ctx.top_of.get(ctx.op(node).block)
    width = ctx.op(node).in_shapes[0]
    while True:
        preds = [u for u in g.predecessors(node)
                 if u != ctx.graph.input_node and ctx.op(u).out_shape == width]
        if not preds:
            return None
        node = preds[0]
        op = ctx.op(node)
        if op.kind not in _SAME_WIDTH or not op.in_shapes:
            top = ctx.top_of.get(op.block)
            return top if top != own else None
        width = op.in_shapes[0]  # a pool changes the map, not the channels


def _reads_input(ctx: LintContext, node: int) -> bool:
    """Whether ``node`` reads the network input directly (its channels are not a design choice)."""
    return any(u == ctx.graph.input_node for u in ctx.graph.graph.predecessors(node))


class KernelOptions(RuleOptions):
    max_dw_kernel: int = Field(
        default=7, ge=1, description="The largest depthwise kernel side the target runs natively.")


@register
class DepthwiseKernelLimit(Rule):
    """Depthwise kernels larger than the target supports.

    ## What it does
    Reports depthwise convs whose kernel side exceeds the target's `max_dw_kernel`.

    ## Why is this bad?
    Mobile runtimes and NPUs ship hand-written depthwise kernels for a few sizes (XNNPACK: 3×3
    and 5×5; many NPUs: 3×3 to 7×7). A larger kernel falls back to a generic path many times
    slower, to another processor, or does not compile.

    ## Formula
    The paper gives no formula; this rule defines one: `k > max_dw_kernel`, reported with the
    kernel's share of the block's work.

    ## Example
    ```yaml
    block: {block: mmb, exp: 4, dw_k: 9}
    ```

    ## Use instead
    A kernel the target supports, stacked if you need the receptive field (two 5×5 cover 9×9),
    or dilation.

    ```yaml
    block: {block: mmb, exp: 4, dw_k: 5}
    ```
    """

    code = "H102"
    name = "depthwise-kernel-limit"
    severity = Severity.WARNING
    Options = KernelOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        seen: set[str] = set()
        for _, op in ctx.ops():
            if not is_depthwise(op) or op.attrs["k"] <= options.max_dw_kernel:
                continue
            if op.block in seen:
                continue
            seen.add(op.block)
            k = op.attrs["k"]
            yield self.report(
                ctx, options,
                message=(f"depthwise {k}×{k} conv `{ctx.local_name(op)}` exceeds the target's "
                         f"largest depthwise kernel ({options.max_dw_kernel}×"
                         f"{options.max_dw_kernel})"),
                fix=f"use {op.origin.field_of('k') or 'k'} ≤ {options.max_dw_kernel}, or stack "
                    "smaller kernels",
                block=op.block, span=op.origin.span_of("k"),
                data={"value": k, "threshold": options.max_dw_kernel, "op": op.name})


class DynamicOptions(RuleOptions):
    dynamic_shapes: bool = Field(
        default=False, description="The model is exported with dynamic input sizes: every window "
        "partition computes its pad and reshape at run time (not only the padded ones).")


@register
class DynamicWindowShapes(Rule):
    """Window attention whose pad and reshape are computed from the input size at run time.

    ## What it does
    Reports attention blocks with a `local` or `grid` partition that pad their map at the spec's
    input size (with `dynamic_shapes: true`, every windowed attention block).

    ## Why is this bad?
    The block computes its pad (`-H % window`) and window counts from the tensor's shape and
    branches on whether to pad at all. Traced for ONNX at one size, the branch is frozen and the
    graph is wrong at other sizes; exported with dynamic axes, the pad amounts and reshape sizes
    become shape arithmetic (Shape → Mod → Pad), which TensorRT and most NPU compilers handle
    poorly or not at all.

    ## Formula
    The paper gives no formula; this rule defines one: a block is reported when
    `H mod window ≠ 0` or `W mod window ≠ 0` at the spec's input size (or always, with
    `dynamic_shapes`); the data gives the pad.

    ## Example
    ```yaml
    input: {channels: 3, size: 32}
    stages:
      - {name: s1, out: 64, depth: 2, block: {block: mmb, exp: 2, f: attn, window: 7}}
    ```

    ## Use instead
    Windows that divide the map at every size you deploy, `partition: global` on small maps, or
    a fixed input size exported statically.

    ```yaml
      - {name: s1, out: 64, depth: 2, block: {block: mmb, exp: 2, f: attn, window: 8}}
    ```
    """

    code = "H103"
    name = "dynamic-window-shapes"
    severity = Severity.WARNING
    Options = DynamicOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        for op, hw, (wh, ww), pad, n in ctx.windowed_attention:
            if pad == (0, 0) and not options.dynamic_shapes:
                continue
            what = (f"pads {hw[0]}×{hw[1]} by {pad[0]}×{pad[1]} to fit {wh}×{ww} windows"
                    if pad != (0, 0) else f"partitions {hw[0]}×{hw[1]} into {n[0]}×{n[1]} "
                    f"windows of {wh}×{ww}")
            yield self.report(
                ctx, options,
                message=(f"attention {what}, with the pad and reshape sizes computed from the "
                         "input shape at run time (an ONNX/TensorRT export hazard)"),
                fix="choose a window dividing the map at every deployed size, or export with a "
                    "fixed input size",
                block=op.block, span=op.origin.span_of("partition"),
                data={"value": list(pad), "map": list(hw), "window": [wh, ww],
                      "windows": list(n), "dynamic_shapes": options.dynamic_shapes})
