"""G4: memory access spent in element-wise ops (ShuffleNet V2 guideline 4, Ma et al., ECCV 2018).

The practical guidelines of the paper's §2 are quantified one module each: G1 and G2 in
:mod:`archspec.rules.conv_memory`, G3 in :mod:`archspec.rules.fragmentation`, G4 here. Each rule
notes its figure per op or block at info level and reports a *network* aggregate at its own
severity when the aggregate crosses its threshold, so a single widening unit does not condemn a
network that is balanced everywhere else. Memory access is counted in elements as in the paper
(``mem_access``: every op reads its inputs and writes its output once, weights included), after the
fusions the target states (see :mod:`archspec.rules.kernels`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import Op, OpKind
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.figures import Share, pct, sig
from archspec.rules.kernels import is_depthwise, is_elementwise
from archspec.rules.latency_figures import TimeFigure, Timing, timing
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext


# ------------------------------------------------------------------------------ G4

_CATEGORY = {OpKind.ACT: "activations", OpKind.NORM: "norms", OpKind.ADD: "adds",
             OpKind.MUL: "multiplies", OpKind.SOFTMAX: "softmax"}


def _category(op: Op) -> str:
    return _CATEGORY.get(op.kind, "layout copies")


@dataclass
class BlockTraffic:
    path: str
    total: int = 0
    elementwise: int = 0
    depthwise: int = 0
    by_category: dict[str, int] = field(default_factory=dict)


def block_traffic(ctx: LintContext) -> dict[str, BlockTraffic]:
    """Per top-level block: memory access after fusion, element-wise and depthwise parts."""
    mem = ctx.kernels.mem_access
    out: dict[str, BlockTraffic] = {}
    for top, nodes in ctx.nodes_by_block.items():
        t = BlockTraffic(top)
        for node in nodes:
            op, m = ctx.op(node), mem[node]
            t.total += m
            if is_elementwise(op):
                t.elementwise += m
                cat = _category(op)
                t.by_category[cat] = t.by_category.get(cat, 0) + m
            elif is_depthwise(op):
                t.depthwise += m
        out[top] = t
    return out


class G4Options(RuleOptions):
    block_share: Share = Field(
        default=0.5, ge=0, le=1, description="Note a block whose element-wise ops take more than this "
        "share of its memory access.")
    network_share: Share = Field(
        default=0.5, ge=0, le=1, description="Report when element-wise ops take more than this share of "
        "the network's memory access.")
    count_depthwise: bool = Field(
        default=False, description="Count depthwise convs as element-wise, as the paper does (they are "
        "always reported beside).")


@register
class ElementwiseOperations(Rule):
    """Memory access spent in element-wise ops: activations, adds, norms, copies (guideline G4).

    ## What it does
    Sums the memory access of element-wise ops — activations, residual adds, multiplies (SE
    scaling, attention's scale), norms, softmax, pads, crops and layout copies (permutes,
    window partitions, concat, channel shuffle) — after the target's fusions, per block and for
    the network, and reports depthwise convs beside them, as the paper does. It notes blocks where
    element-wise ops move most of the data and reports the network when they do overall.

    ## Why is this bad?
    Element-wise ops do no multiply-accumulates, so FLOP counts ignore them, yet each reads and
    writes a whole tensor. Ma et al. (Table 4) removed ReLU and the shortcut from a ResNet
    bottleneck and gained about 20% on both GPU and ARM. Which ops cost anything depends on the
    runtime: BatchNorm folds into the conv before it at inference, many runtimes run an
    activation in the conv's epilogue, a fused attention kernel never writes its score matrix.
    The target states those fusions, and a fused op costs nothing extra here.

    ## Formula
    With mem_access counted in elements after the target's fusions (a fused op costs 0):

    ```
    share(block) = Σ mem_access(element-wise ops in block) / Σ mem_access(ops in block)
    network      = Σ mem_access(element-wise ops) / Σ mem_access(all ops)
    depthwise    = Σ mem_access(depthwise convs) / Σ mem_access(all ops)      reported beside
    ```

    An activation or an add over a c×h×w tensor costs 2·hwc and 3·hwc; a copy 2·hwc; a depthwise
    k×k conv 2·hwc + k²c. With `count_depthwise: true` the depthwise part is added to the
    element-wise one, the paper's convention.

    ## Example
    ```yaml
    stages:
      - name: s3       # LayerNorm, five layout copies, softmax over 49×49 scores, GELU, SiLU, adds
        out: 80
        depth: 8
        block: {block: mmb, exp: 3.0, f: attn, dim_head: 20, dw_k: 5, pre_norm: ln,
                expand_act: gelu, dw_skip: true}
    ```

    ## Use instead
    Fewer element-wise passes over thick tensors: activations only where they pay off (MobileNet
    v2's linear bottleneck, ShuffleNet V2's single-branch ReLUs), concat instead of add, norms
    that fold (BatchNorm after a conv), and a target whose runtime fuses activations and attention.

    ```yaml
    stages:
      - {name: stage3, out: 232, depth: 8, block: {block: shuffle}, first: {stride: 2}}
    ```

    ## With a device
    With `lint --device DEVICE.json`, each finding adds what the element-wise kernels take on
    that device (ms and share of the network's predicted latency; depthwise convs included with
    `count_depthwise`), and what fusing the passes that alone read a conv's, linear's or matmul's
    output (or a layout copy's) into that kernel saves:

    ```
    element-wise ops take 65.4% of this block's memory access (…); they take 2.62 ms (5.7%) on
    cpu-1t; fusing 5 passes into the kernels before them saves 2.38 ms (5.2%)
    ```

    Where the backend already runs them inside the producer (the profile's `fusion`), the saving
    is nil and the finding says `… predicts no saving: G4 does not hold on this device`. A
    LayerNorm or a pool is no epilogue: it is timed, never fused.

    The figures are also in the finding's `data`: `latency_ms`, `share`, `total_ms`, `saves_ms`,
    `saves_share`, `holds` and `device` (in JSON and SARIF). Whether a finding is emitted, and at
    what severity, stays the target's decision; see docs/decisions/0025-findings-in-time.md.

    ## The shipped specs
    The table below is generated from the shipped specs. Under `default` (the paper's accounting:
    BatchNorm folded, ShuffleNet V2's concat and shuffle merged, every other op a pass of its own)
    element-wise ops move 36–55% of every network's data, which is what the guideline is about.
    EMO is the one above half: its attention blocks add a LayerNorm, five layout copies of the
    map, a scale and a softmax over every 49×49 score matrix, on top of GELU, SiLU and two
    residual adds. MobileNetV2's 43% is ReLU6 on the 6× expanded tensors plus its adds: a runtime
    that runs ReLU6 in the conv (`mobile-cpu`) leaves about 4%, one that also fuses the adds
    (`edge-gpu`, `npu-int8`) nothing, and its depthwise convs (35%) are then what remains of the
    paper's G4 verdict on MobileNetV2 ("depthwise convs and ReLUs on thick feature maps").
    ShuffleNet V2 keeps 26–34% even with ReLU fused (`mobile-cpu`, `npu-int8`), because its concat
    and channel shuffle are copies no conv absorbs; merging them (`edge-gpu`) takes it to 15–21%.
    MobileNetV3 keeps 27–29% on `mobile-cpu` because hard-swish is not a clamp that runtime fuses.
    EMO falls to about 20% only when attention and its activations are fused (`edge-gpu`); its
    LayerNorms and window copies stay.
    """

    code = "G4"
    name = "elementwise-operations"
    severity = Severity.WARNING
    Options = G4Options
    notes_info = True

    def network(self, ctx: LintContext, options: Any) -> dict[str, Any]:
        net = self._network(ctx, block_traffic(ctx), options)
        net.pop("blocks")
        return net

    def _network(self, ctx: LintContext, traffic: dict[str, BlockTraffic],
                 options: Any) -> dict[str, Any]:
        total = ctx.mem_access or 1
        ew = dw = 0
        worst: BlockTraffic | None = None
        counted: list[str] = []
        for t in traffic.values():
            if (t.elementwise or t.depthwise) and ctx.excused(self.code, t.path):
                continue
            counted.append(t.path)
            ew += t.elementwise
            dw += t.depthwise
            if worst is None or self._figure(t, options) * t.total > \
                    self._figure(worst, options) * worst.total:
                worst = t
        value = (ew + (dw if options.count_depthwise else 0)) / total
        return {"value": sig(value), "threshold": options.network_share,
                "elementwise": ew, "depthwise": dw, "mem_access": ctx.mem_access,
                "elementwise_share": sig(ew / total), "depthwise_share": sig(dw / total),
                "worst_block": worst.path if worst else None, "blocks": counted}

    @staticmethod
    def _figure(t: BlockTraffic, options: Any) -> float:
        part = t.elementwise + (t.depthwise if options.count_depthwise else 0)
        return part / t.total if t.total else 0.0

    @staticmethod
    def _passes(ctx: LintContext, path: str, options: Any) -> list[int]:
        """The block's element-wise kernels (and depthwise convs with ``count_depthwise``)."""
        op_of = ctx.op_of
        return [n for n in ctx.nodes_by_block.get(path, ())
                if is_elementwise(op_of[n]) or (options.count_depthwise
                                                and is_depthwise(op_of[n]))]

    def _time(self, ctx: LintContext, time: Timing, paths: list[str],
              options: Any) -> TimeFigure:
        """The blocks' element-wise kernels in time, and what fusing them into their producers
        saves."""
        passes = [n for p in paths for n in self._passes(ctx, p, options)]
        nodes = [n for p in paths for n in ctx.nodes_by_block.get(p, ())]
        return time.fused_block(nodes, passes)

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        traffic = block_traffic(ctx)
        time = timing(ctx)
        for t in traffic.values():
            share = self._figure(t, options)
            if t.total and share > options.block_share:
                cats = sorted(t.by_category.items(), key=lambda kv: -kv[1])
                parts = ", ".join(f"{name} {pct(v / t.total)}" for name, v in cats[:4] if v)
                dw = (f"; depthwise convs another {pct(t.depthwise / t.total)}"
                      if t.depthwise and not options.count_depthwise else "")
                message = (f"element-wise ops take {pct(share)} of this block's memory access "
                           f"({parts}){dw}")
                data: dict[str, Any] = {
                    "value": sig(share), "threshold": options.block_share,
                    "elementwise": t.elementwise, "depthwise": t.depthwise,
                    "mem_access": t.total, "by_category": {k: v for k, v in cats}}
                if time is not None:
                    fig = self._time(ctx, time, [t.path], options)
                    message = f"{message}; {fig.clause(self.code, 'they take ')}"
                    data.update(fig.data())
                yield self.note(
                    ctx, message=message,
                    fix="drop or fuse element-wise passes on thick tensors (activations, "
                        "norms, copies)",
                    block=t.path, span=ctx.block_span(t.path), data=data)
        net = self._network(ctx, traffic, options)
        if net["value"] > options.network_share and net["worst_block"]:
            message = (f"element-wise ops take {pct(net['elementwise_share'])} of the network's "
                       f"memory access (threshold {pct(options.network_share)}; depthwise convs "
                       f"another {pct(net['depthwise_share'])}); the most in "
                       f"`{net['worst_block']}`")
            if time is not None:
                fig = self._time(ctx, time, net["blocks"], options)
                message = f"{message}; {fig.clause(self.code, 'they take ')}"
                net = {**net, **fig.data()}
            net.pop("blocks")
            yield self.report(
                ctx, options, message=message,
                fix="fewer activations, norms and copies on thick tensors, or a runtime that "
                    "fuses them (see the target's `fusion`)",
                block=net["worst_block"], span=ctx.block_span(net["worst_block"]), data=net)
