"""G1 and G2: the memory access of convs against the least any conv doing the same work could have.

ShuffleNet V2's guidelines 1 and 2 (Ma et al., ECCV 2018, §2), quantified: a 1×1 conv reads and
writes the least when its input and output widths are equal (G1), and a grouped conv moves more
than a dense one of the same work (G2). Each rule notes the worst conv per block at info level and
reports the network when the excess, summed, is a noticeable share of its memory access (after
the target's fusions, see :mod:`archspec.rules.kernels`). G3 is in
:mod:`archspec.rules.fragmentation`, G4 in :mod:`archspec.rules.guidelines`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import Op, OpKind, numel
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.figures import Share, num, pct, sig, times
from archspec.rules.kernels import is_depthwise
from archspec.rules.latency_figures import TimeFigure, Timing, timing
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext


# ------------------------------------------------------------------------------ G1 and G2


@dataclass(frozen=True)
class ConvFigure:
    """A stride-1 conv measured against the balanced dense minimum at its own work B."""

    node: int
    op: Op
    c1: int
    c2: int
    hw: int
    k: int
    groups: int

    @property
    def work(self) -> int:
        """B: multiply-accumulates, hw·k²·c1·c2/g."""
        return self.hw * self.k * self.k * self.c1 * self.c2 // self.groups

    @property
    def mem_access(self) -> int:
        """hw(c1 + c2) + k²·c1·c2/g: feature maps in and out, and the weights."""
        return self.hw * (self.c1 + self.c2) + self.k * self.k * self.c1 * self.c2 // self.groups

    @property
    def bound(self) -> float:
        """The least memory access of a dense conv doing the same work: 2√(hw·B)/k + B/hw."""
        b = self.work
        return 2 * math.sqrt(self.hw * b) / self.k + b / self.hw

    @property
    def ratio(self) -> float:
        return self.mem_access / self.bound

    @property
    def excess(self) -> float:
        return self.mem_access - self.bound


def conv_figures(ctx: LintContext, *, grouped: bool) -> list[ConvFigure]:
    """Stride-1 convs that keep H×W: 1×1 dense ones (G1), or grouped, non-depthwise ones (G2)."""
    out = []
    for node, op in ctx.ops():
        if op.kind != OpKind.CONV or op.attrs.get("stride", 1) != 1:
            continue
        k, groups = op.attrs["k"], op.attrs["groups"]
        c1, c2 = op.in_shapes[0][-3], op.out_shape[-3]
        if op.in_shapes[0][-2:] != op.out_shape[-2:]:
            continue
        if grouped:
            if groups == 1 or is_depthwise(op):
                continue
        elif k != 1 or groups != 1:
            continue
        out.append(ConvFigure(node, op, c1, c2, numel(op.out_shape) // c2, k, groups))
    return out


def _worst_per_block(figs: list[ConvFigure]) -> dict[str, tuple[ConvFigure, int]]:
    """Block path → (its conv of highest ratio, how many convs the block has)."""
    out: dict[str, tuple[ConvFigure, int]] = {}
    for f in figs:
        best, n = out.get(f.op.block, (f, 0))
        out[f.op.block] = (f if f.ratio > best.ratio else best, n + 1)
    return out


def _excess_share(ctx: LintContext, code: str, figs: list[ConvFigure]) -> dict[str, Any]:
    """Network figure of G1/G2: unexcused excess memory access as a share of all of it."""
    by_block: dict[str, float] = {}
    for f in figs:
        if f.excess <= 1e-9 * f.mem_access:
            continue  # at the minimum: nothing to excuse
        if not ctx.excused(code, f.op.block):
            by_block[f.op.block] = by_block.get(f.op.block, 0.0) + f.excess
    excess = sum(by_block.values())
    worst = max(by_block, key=lambda b: by_block[b]) if by_block else None
    return {"value": sig(excess / ctx.mem_access) if ctx.mem_access else 0.0,
            "excess": round(excess), "mem_access": ctx.mem_access, "convs": len(figs),
            "worst_block": worst}


class _ExcessRule(Rule):
    """Shared by G1 and G2: per-conv notes, network excess share."""

    notes_info = True
    grouped: bool = False

    def network(self, ctx: LintContext, options: Any) -> dict[str, Any]:
        figs = conv_figures(ctx, grouped=self.grouped)
        return {**_excess_share(ctx, self.code, figs), "threshold": options.network_share}

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        figs = conv_figures(ctx, grouped=self.grouped)
        worst = _worst_per_block(figs)
        time = timing(ctx)
        for block, (f, n) in worst.items():
            if f.ratio > options.op_ratio:
                message, data = self.op_message(ctx, f, n), self.op_data(ctx, f, n, options)
                if time is not None:
                    saves, rewrite = time.balanced(f.node, c1=f.c1, c2=f.c2, groups=f.groups)
                    fig = time.figure((f.node,), saves, rewrite)
                    message = f"{message}; {fig.clause(self.code)}"
                    data.update(fig.data())
                yield self.note(ctx, message=message, fix=self.op_fix, block=block,
                                span=f.op.origin.span_of("width"), data=data)
        net = {**_excess_share(ctx, self.code, figs), "threshold": options.network_share}
        if net["value"] > options.network_share and net["worst_block"] is not None:
            block = net["worst_block"]
            f, _ = worst[block]
            message = self.network_message(ctx, net, f)
            data = {**net, "worst_op": f.op.name, "worst_ratio": sig(f.ratio)}
            if time is not None:
                fig = self._network_time(ctx, time, figs)
                message = f"{message}; {fig.clause(self.code, 'they take ')}"
                data.update(fig.data())
            yield self.report(ctx, options, message=message, fix=self.network_fix, block=block,
                              span=f.op.origin.span_of("width"), data=data)

    def _network_time(self, ctx: LintContext, time: Timing,
                      figs: list[ConvFigure]) -> TimeFigure:
        """The convs the network figure counts (above the minimum, not excused), in time, and
        what balancing every one of them at equal work saves."""
        nodes: list[int] = []
        saves: float | None = 0.0
        for f in figs:
            if f.excess <= 1e-9 * f.mem_access or ctx.excused(self.code, f.op.block):
                continue
            nodes.append(f.node)
            s, _ = time.balanced(f.node, c1=f.c1, c2=f.c2, groups=f.groups)
            saves = None if s is None or saves is None else saves + s
        return time.figure(nodes, saves, "dense convs at equal work" if self.grouped else
                           "balancing them at equal work")

    op_fix = ""
    network_fix = ""

    def op_message(self, ctx: LintContext, f: ConvFigure, n: int) -> str:
        raise NotImplementedError

    def network_message(self, ctx: LintContext, net: dict[str, Any], f: ConvFigure) -> str:
        raise NotImplementedError

    def op_data(self, ctx: LintContext, f: ConvFigure, n: int, options: Any) -> dict[str, Any]:
        return {"value": sig(f.ratio), "threshold": options.op_ratio, "op": f.op.name,
                "c1": f.c1, "c2": f.c2, "hw": f.hw, "k": f.k, "groups": f.groups,
                "mem_access": f.mem_access, "bound": sig(f.bound), "work": f.work,
                "convs_in_block": n}


class G1Options(RuleOptions):
    op_ratio: float = Field(
        default=1.07, gt=1, description="Note a 1×1 conv whose memory access exceeds the balanced "
        "minimum by this factor (c2/c1 = 2 gives 1.06, 3 gives 1.15, 6 gives 1.43).")
    network_share: Share = Field(
        default=0.02, ge=0, le=1, description="Report when the excess over the minimum, summed over "
        "1×1 convs, exceeds this share of the network's memory access.")


@register
class UnequalChannelWidth(_ExcessRule):
    """1×1 convs whose input and output widths differ (ShuffleNet V2 guideline G1).

    ## What it does
    Measures every stride-1 1×1 conv against the least memory access any 1×1 conv doing the
    same work could have, which is reached when input and output widths are equal. It notes, per
    block, the conv furthest from that minimum, and reports the network when the excess, summed
    over all 1×1 convs, is a noticeable share of everything the network reads and writes.

    ## Why is this bad?
    For a fixed number of multiply-accumulates B, a 1×1 conv reads and writes the least memory
    when c1 = c2. Widening 24→144 (an inverted residual's expansion) costs 1.43× that minimum.
    Ma et al. measured it (Table 1, 10 blocks of two 1×1 convs at 56×56, equal work): c1:c2 = 1:2,
    1:6 and 1:12 ran 1.14×, 1.69× and 1.98× slower than 1:1 on a GTX 1080Ti and 1.05×, 1.10×
    and 1.32× slower on a Snapdragon 810.

    ## Formula
    For a 1×1 conv on an h×w map with c1 inputs and c2 outputs (paper Eq. 1), counting elements:

    ```
    B          = hw·c1·c2                      multiply-accumulates
    mem_access = hw·(c1 + c2) + c1·c2          feature maps in and out, weights
    minimum    = 2·√(hw·B) + B/(hw)            equality iff c1 = c2
    ratio      = mem_access / minimum          ≈ (1 + r)/(2√r), r = c2/c1, when hw ≫ c
    network    = Σ (mem_access − minimum) / memory access of the whole network
    ```

    The ratio is exact (the weights term included): 1.00, 1.06, 1.43 and 1.88 for c2/c1 = 1,
    2, 6 and 12 when activations dominate. The network figure divides by the memory access of
    every op after the target's fusions; blocks with `noqa: {G1: ...}` do not count.

    ## Example
    ```yaml
    stages:
      - name: b2
        out: 24
        depth: 2
        block: {block: mmb, exp: 6}     # 24 → 144 → 24: 1.43× the minimum, twice per block
    ```

    ## Use instead
    Keep every 1×1 conv near c1 = c2: expansions of 4 or less, or split the channels and process
    one half at equal width as ShuffleNet V2 does.

    ```yaml
    stages:
      - {name: stage2, out: 116, depth: 4, block: {block: shuffle}, first: {stride: 2}}
    ```

    ## With a device
    With `lint --device DEVICE.json`, each finding adds what its 1×1 convs take on that device
    (predicted from the profile, in ms and as a share of the network's predicted latency), so
    findings rank by what they cost there, and what the paper's own comparison predicts: the same
    convs balanced at equal work, c1→c2 becoming c→c with c = √(c1·c2) (same multiply-accumulates):

    ```
    1×1 conv `expand` widens 16→96 (…); 1.98 ms (3.8%) on cpu-1t; the balanced form at equal
    work (39→39) saves 0.473 ms (0.9%)
    ```

    Where the device runs the balanced form no faster, the finding says so instead of repeating
    the paper: `…; the balanced form at equal work (39→39) predicts 0.05 ms slower: G1 does not
    hold on this device`. The rewrite is priced by itself (the norm and activation after the conv
    keep their widths).

    The figures are also in the finding's `data`: `latency_ms`, `share`, `total_ms`, `saves_ms`,
    `saves_share`, `holds` and `device` (in JSON and SARIF). Whether a finding is emitted, and at
    what severity, stays the target's decision; see docs/decisions/0025-findings-in-time.md.
    """

    code = "G1"
    name = "unequal-channel-width"
    severity = Severity.WARNING
    Options = G1Options
    grouped = False
    op_fix = "keep the expansion ≤ 4, or split channels as ShuffleNet V2 does"
    network_fix = ("balance the 1×1 convs (c1 ≈ c2): smaller expansions, or ShuffleNet V2's "
                   "channel split")

    def op_message(self, ctx: LintContext, f: ConvFigure, n: int) -> str:
        verb, r = ("widens", f.c2 / f.c1) if f.c2 >= f.c1 else ("narrows", f.c1 / f.c2)
        sym = "c2/c1" if f.c2 >= f.c1 else "c1/c2"
        more = f"; the worst of {n} 1×1 convs in this block" if n > 1 else ""
        return (f"1×1 conv `{ctx.local_name(f.op)}` {verb} {f.c1}→{f.c2} ({sym} = {num(r)}; "
                f"memory access {times(f.ratio)} the balanced minimum{more})")

    def network_message(self, ctx: LintContext, net: dict[str, Any], f: ConvFigure) -> str:
        return (f"1×1 convs spend {pct(net['value'])} of the network's memory access above the "
                f"balanced minimum (threshold {pct(net['threshold'])}); the most in "
                f"`{net['worst_block']}` ({f.c1}→{f.c2}, {times(f.ratio)})")


class G2Options(RuleOptions):
    op_ratio: float = Field(
        default=1.2, gt=1, description="Note a grouped conv whose memory access exceeds the dense "
        "minimum at its own work by this factor (g = 2 at equal widths gives 1.41).")
    network_share: Share = Field(
        default=0.02, ge=0, le=1, description="Report when the excess of grouped convs over the dense "
        "minimum exceeds this share of the network's memory access.")


@register
class GroupConvolution(_ExcessRule):
    """Grouped convs that read and write more than a dense conv of the same work (guideline G2).

    ## What it does
    Measures every stride-1 grouped conv that is not depthwise (1 < g, one input channel per
    group excluded) against the least memory access a dense conv doing the same work could have.
    It notes the worst grouped conv per block and reports the network when their excess is a
    noticeable share of the network's memory access. Depthwise convs are judged by G4.

    ## Why is this bad?
    Groups cut multiply-accumulates, and the widths a network buys back with them raise memory
    access: at fixed work, a g-group conv with equal widths moves about √g times the dense
    minimum. Ma et al. (Table 2, ten 1×1 convs at 56×56, equal work) measured g = 2, 4, 8 as
    1.42×, 2.39× and 3.87× slower than g = 1 on a GTX 1080Ti and 1.14×, 1.22×, 1.44× slower on a
    Snapdragon 810.

    ## Formula
    For a k×k conv with g groups on an h×w map (paper Eq. 2 is k = 1):

    ```
    B          = hw·k²·c1·c2/g
    mem_access = hw·(c1 + c2) + k²·c1·c2/g
    minimum    = 2·√(hw·B)/k + B/(hw)           a dense conv with equal widths, same B
    ratio      = mem_access / minimum
    network    = Σ (mem_access − minimum) / memory access of the whole network
    ```

    Table 2's configurations (c = 128, 180, 256, 360 for g = 1, 2, 4, 8) give 1.00, 1.41, 1.99
    and 2.81: about √g.

    ## Example
    ```yaml
    stages:
      - name: s1
        blocks:
          - {block: conv, out: 360, k: 1, groups: 8, norm: none, act: none}
    ```

    ## Use instead
    Use dense 1×1 convs (g = 1) and pay for width elsewhere; ShuffleNet V2 replaced ShuffleNet
    v1's grouped 1×1 convs with a channel split. Choose g per platform, not because groups allow
    more channels.

    ```yaml
    stages:
      - name: s1
        blocks:
          - {block: conv, out: 128, k: 1, norm: none, act: none}
    ```

    ## With a device
    With `lint --device DEVICE.json`, each finding adds what its grouped convs take on that device
    (ms and share of the network's predicted latency) and what a dense conv at equal work takes:
    c1→c2 with g groups becomes c→c with c = √(c1·c2/g), the comparison of the paper's Table 2:

    ```
    1×1 conv `pw` with 4 groups (16→16): …; 1.02 ms (12.0%) on cpu-1t; the dense form at
    equal work (8→8) saves 0.512 ms (6.0%)
    ```

    Where the device runs the dense form no faster (a backend with fast grouped kernels), the
    finding says `… predicts 0.2 ms slower: G2 does not hold on this device`.

    The figures are also in the finding's `data`: `latency_ms`, `share`, `total_ms`, `saves_ms`,
    `saves_share`, `holds` and `device` (in JSON and SARIF). Whether a finding is emitted, and at
    what severity, stays the target's decision; see docs/decisions/0025-findings-in-time.md.
    """

    code = "G2"
    name = "group-convolution"
    severity = Severity.WARNING
    Options = G2Options
    grouped = True
    op_fix = "use a dense conv (groups: 1), or fewer groups"
    network_fix = "replace grouped convs with dense ones, or split channels as ShuffleNet V2 does"

    def op_message(self, ctx: LintContext, f: ConvFigure, n: int) -> str:
        kind = "1×1" if f.k == 1 else f"{f.k}×{f.k}"
        more = f"; the worst of {n} grouped convs in this block" if n > 1 else ""
        return (f"{kind} conv `{ctx.local_name(f.op)}` with {f.groups} groups ({f.c1}→{f.c2}): "
                f"memory access {times(f.ratio)} the dense minimum at equal work{more}")

    def network_message(self, ctx: LintContext, net: dict[str, Any], f: ConvFigure) -> str:
        return (f"grouped convs spend {pct(net['value'])} of the network's memory access above "
                f"the dense minimum (threshold {pct(net['threshold'])}); the most in "
                f"`{net['worst_block']}` (g = {f.groups}, {times(f.ratio)})")
