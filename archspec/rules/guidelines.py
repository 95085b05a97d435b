"""G1–G4: the practical guidelines of ShuffleNet V2 (Ma et al., ECCV 2018, §2), quantified.

Each rule notes its figure per op or block at info level and reports a *network* aggregate at its
own severity when the aggregate crosses its threshold, so a single widening unit does not condemn a
network that is balanced everywhere else. Memory access is counted in elements as in the paper
(``mem_access``: every op reads its inputs and writes its output once, weights included), after the
fusions the target states (see :mod:`archspec.rules.kernels`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import Op, OpKind, numel
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.figures import count, fig, num, pct, sig, times
from archspec.rules.kernels import is_depthwise, is_elementwise
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext

Share = float


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
        for block, (f, n) in worst.items():
            if f.ratio > options.op_ratio:
                yield self.note(ctx, message=self.op_message(ctx, f, n), fix=self.op_fix,
                                block=block, span=f.op.origin.span_of("width"),
                                data=self.op_data(ctx, f, n, options))
        net = {**_excess_share(ctx, self.code, figs), "threshold": options.network_share}
        if net["value"] > options.network_share and net["worst_block"] is not None:
            block = net["worst_block"]
            f, _ = worst[block]
            yield self.report(ctx, options, message=self.network_message(ctx, net, f),
                              fix=self.network_fix, block=block,
                              span=f.op.origin.span_of("width"),
                              data={**net, "worst_op": f.op.name, "worst_ratio": sig(f.ratio)})

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


# ------------------------------------------------------------------------------ G3


@dataclass(frozen=True)
class BlockFragments:
    path: str
    kernels: int
    fragments: float  # effective fragments: Σ F/(F + w) over kernels + (branches − 1)
    branches: int
    macs: int
    time: float  # modelled: Σ (w + F), in multiply-accumulate equivalents


def _producer(ctx: LintContext, node: int) -> int:
    """The op that really produced ``node``'s value (views looked through)."""
    g = ctx.graph.graph
    while ctx.op(node).is_view:
        preds = list(g.predecessors(node))
        if not preds:
            break
        node = preds[0]
    return node


def _branches(ctx: LintContext, top: str, nodes: list[int]) -> int:
    """The most branches with kernels that one merge (concat/add/mul) in the block waits for.

    An input of a merge counts when a kernel of this block produced it and it is not an
    ancestor of another input (an identity branch such as a residual or SE's scaled input is not
    a branch of its own).
    """
    g = ctx.graph.graph
    position = {n: i for i, n in enumerate(nodes)}  # ``nodes`` is in topological order
    best = 1
    for node in nodes:
        op = ctx.op(node)
        if op.kind not in (OpKind.CONCAT, OpKind.ADD, OpKind.MUL) or len(op.in_shapes) < 2:
            continue
        inputs = [_producer(ctx, u) for u, _ in g.in_edges(node)]
        inputs = [u for u in inputs
                  if u in position and ctx.kernels.kernel_of.get(u) is not None]
        if inputs:
            targets, last = set(inputs), max(position[u] for u in inputs)
            best = max(best, sum(1 for u in inputs
                                 if not _reaches(g, u, targets, last, position)))
    return best


def _reaches(g: Any, start: int, targets: set[int], last: int,
             position: dict[int, int]) -> bool:
    """Whether a path inside the block leads from ``start`` to another of ``targets``.

    Searched forward and only up to ``last``, the last target's position (``position`` is
    topological), so a merge costs the part of the span between its inputs that ``start``
    reaches, not the whole block: a parallel ``add`` of n branches, traced as a chain of n - 1
    adds, stays linear (the backward search it replaces was quadratic there).
    """
    seen = {start}
    stack = [start]
    while stack:
        for s in g.successors(stack.pop()):
            if s in targets and s != start:
                return True
            if s not in seen and position.get(s, last + 1) <= last:
                seen.add(s)
                stack.append(s)
    return False


def block_fragments(ctx: LintContext, launch: float) -> dict[str, BlockFragments]:
    """Per top-level block: kernels, effective fragments, branches, work and modelled time."""
    km = ctx.kernels
    acc: dict[str, list[float]] = {}
    for k in km.kernels.values():
        top = ctx.top_of.get(k.block)
        if top is None:
            continue
        a = acc.setdefault(top, [0, 0.0, 0, 0.0])
        a[0] += 1
        a[1] += launch / (launch + k.gemm_macs)
        a[2] += k.macs
        a[3] += k.macs + launch
    out = {}
    for top, (n, frag, macs, time) in acc.items():
        branches = _branches(ctx, top, ctx.nodes_by_block[top])
        out[top] = BlockFragments(top, int(n), frag + branches - 1, branches, int(macs), time)
    return out


class G3Options(RuleOptions):
    launch_cost: float = Field(
        default=1e6, gt=0, description="F: the multiply-accumulates a kernel could have done in the "
        "time its launch and synchronisation cost (fitted to the paper's Table 3 on ARM).")
    block_fragments: float = Field(
        default=12, gt=0, description="Note a block of more effective fragments than this "
        "(NASNet-A's cell has 13 convs and pools; regular blocks 2–4).")
    network_share: Share = Field(
        default=0.25, ge=0, le=1, description="Report when blocks over `block_fragments` take more than "
        "this share of the network's modelled time.")


@register
class Fragmentation(Rule):
    """Blocks split into many small kernels and parallel branches (ShuffleNet V2 guideline G3).

    ## What it does
    Counts the kernels each block launches after the target's fusions (every primitive op that is
    not a view: convs, matmuls, norms, activations, adds, layout copies, pads), weights each by the
    work it does, adds one per extra parallel branch a merge must wait for, and notes blocks of
    more *effective fragments* than the limit. It reports the network when such blocks take a
    large share of its modelled time. Window attention counts in full: its pad, partition and
    head permutes are copies, and its per-window matmuls are many tiny GEMMs.

    ## Why is this bad?
    Every kernel pays a launch and a synchronisation, and a small kernel cannot fill a wide
    device. Ma et al. (Table 3, 56×56, equal work) measured 4 fragments in series or in parallel
    3.3–3.5× slower than one conv on a GTX 1080Ti at c = 128, but only 1.2–1.5× at c = 512: the
    penalty shrinks as the layers widen. On a Snapdragon 810 it was at most 1.2×.

    ## Formula
    The paper gives no formula; this rule defines one. F is the target's `launch_cost`: the
    multiply-accumulates a kernel could do in the time a launch costs. For a block with kernels i
    of work w_i (a batched matmul counts the work of one of its GEMMs; a kernel with no
    multiply-accumulates, w = 0, counts as a whole fragment) and P parallel branches:

    ```
    fragments(block) = Σ_i F/(F + w_i) + (P − 1)          ≈ number of launch-bound kernels
    time(block)      = Σ_i (w_i + F)                       modelled, in multiply-accumulates
    network          = Σ time(blocks with fragments > limit) / Σ time(all blocks)
    ```

    A kernel far wider than F is compute-bound and counts almost nothing; a kernel far smaller
    counts one. With F = 1 M and the paper's Table 3 blocks at c = 128, 1, 2 and 4 fragments in
    series score 0.02, 0.08 and 0.29, and 2 and 4 in parallel (with their concat and merge) 2.07
    and 4.29.

    ## Example
    ```yaml
    stages:
      - name: s3       # EMO's attention block: 18 kernels, 15 effective fragments at 14×14
        out: 80
        depth: 8
        block: {block: mmb, exp: 3.0, f: attn, dim_head: 20, dw_k: 5, pre_norm: ln}
    ```

    ## Use instead
    Fewer, wider kernels: fuse what the runtime can fuse, keep window attention for the stages
    where the map is small and few, prefer one branch (or two, as ShuffleNet V2's unit) over many,
    and let a target that fuses attention and activations (`--target edge-gpu`) judge the spec it
    will actually run.

    ```yaml
    stages:
      - name: s3
        out: 80
        depth: 8
        block: {block: mmb, exp: 3.0, f: dwconv, dw_k: 5}
    ```
    """

    code = "G3"
    name = "fragmentation"
    severity = Severity.WARNING
    Options = G3Options
    notes_info = True

    def network(self, ctx: LintContext, options: Any) -> dict[str, Any]:
        frags = block_fragments(ctx, options.launch_cost)
        return self._network(ctx, frags, options)

    def _network(self, ctx: LintContext, frags: dict[str, BlockFragments],
                 options: Any) -> dict[str, Any]:
        total = sum(f.time for f in frags.values())
        over = [f for f in frags.values() if f.fragments > options.block_fragments
                and not ctx.excused(self.code, f.path)]
        worst = max(over, key=lambda f: (f.fragments, f.time), default=None)
        return {
            "value": sig(sum(f.time for f in over) / total) if total else 0.0,
            "threshold": options.network_share, "blocks_over": len(over),
            "kernels": sum(f.kernels for f in frags.values()),
            "fragments_per_block": sig(sum(f.fragments for f in frags.values()) / len(frags))
            if frags else 0.0,
            "launch_cost": options.launch_cost, "limit": options.block_fragments,
            "worst_block": worst.path if worst else None,
        }

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        frags = block_fragments(ctx, options.launch_cost)
        for f in frags.values():
            if f.fragments > options.block_fragments:
                per = f.macs / f.kernels
                yield self.note(
                    ctx, message=(
                        f"block runs as {f.kernels} kernels ({num(f.fragments)} effective "
                        f"fragments, limit {fig(options.block_fragments)}; {f.branches} "
                        f"branch{'es' if f.branches > 1 else ''}), {count(per)} "
                        "multiply-accumulates per kernel on average"),
                    fix="fuse or remove small ops (layout copies, separate norms and "
                        "activations), or use fewer, wider kernels",
                    block=f.path, span=ctx.block_span(f.path, "f", "block"),
                    data={"value": sig(f.fragments), "threshold": options.block_fragments,
                          "kernels": f.kernels, "branches": f.branches, "macs": f.macs,
                          "macs_per_kernel": round(per), "launch_cost": options.launch_cost})
        net = self._network(ctx, frags, options)
        if net["value"] > options.network_share and net["worst_block"]:
            worst = frags[net["worst_block"]]
            yield self.report(
                ctx, options, message=(
                    f"blocks of more than {fig(options.block_fragments)} effective fragments "
                    f"take {pct(net['value'])} of the network's modelled time (threshold "
                    f"{pct(options.network_share)}); {net['blocks_over']} such blocks, the "
                    f"worst `{worst.path}` with {worst.kernels} kernels"),
                fix="use fewer, wider kernels in those blocks (fuse copies and element-wise "
                    "ops, fewer branches), or confine them to fewer stages",
                block=worst.path, span=ctx.block_span(worst.path, "f", "block"), data=net)


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
        return self._network(ctx, block_traffic(ctx), options)

    def _network(self, ctx: LintContext, traffic: dict[str, BlockTraffic],
                 options: Any) -> dict[str, Any]:
        total = ctx.mem_access or 1
        ew = dw = 0
        worst: BlockTraffic | None = None
        for t in traffic.values():
            if (t.elementwise or t.depthwise) and ctx.excused(self.code, t.path):
                continue
            ew += t.elementwise
            dw += t.depthwise
            if worst is None or self._figure(t, options) * t.total > \
                    self._figure(worst, options) * worst.total:
                worst = t
        value = (ew + (dw if options.count_depthwise else 0)) / total
        return {"value": sig(value), "threshold": options.network_share,
                "elementwise": ew, "depthwise": dw, "mem_access": ctx.mem_access,
                "elementwise_share": sig(ew / total), "depthwise_share": sig(dw / total),
                "worst_block": worst.path if worst else None}

    @staticmethod
    def _figure(t: BlockTraffic, options: Any) -> float:
        part = t.elementwise + (t.depthwise if options.count_depthwise else 0)
        return part / t.total if t.total else 0.0

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        traffic = block_traffic(ctx)
        for t in traffic.values():
            share = self._figure(t, options)
            if t.total and share > options.block_share:
                cats = sorted(t.by_category.items(), key=lambda kv: -kv[1])
                parts = ", ".join(f"{name} {pct(v / t.total)}" for name, v in cats[:4] if v)
                dw = (f"; depthwise convs another {pct(t.depthwise / t.total)}"
                      if t.depthwise and not options.count_depthwise else "")
                yield self.note(
                    ctx, message=(
                        f"element-wise ops take {pct(share)} of this block's memory access "
                        f"({parts}){dw}"),
                    fix="drop or fuse element-wise passes on thick tensors (activations, "
                        "norms, copies)",
                    block=t.path, span=ctx.block_span(t.path),
                    data={"value": sig(share), "threshold": options.block_share,
                          "elementwise": t.elementwise, "depthwise": t.depthwise,
                          "mem_access": t.total,
                          "by_category": {k: v for k, v in cats}})
        net = self._network(ctx, traffic, options)
        if net["value"] > options.network_share and net["worst_block"]:
            yield self.report(
                ctx, options, message=(
                    f"element-wise ops take {pct(net['elementwise_share'])} of the network's "
                    f"memory access (threshold {pct(options.network_share)}; depthwise convs "
                    f"another {pct(net['depthwise_share'])}); the most in "
                    f"`{net['worst_block']}`"),
                fix="fewer activations, norms and copies on thick tensors, or a runtime that "
                    "fuses them (see the target's `fusion`)",
                block=net["worst_block"], span=ctx.block_span(net["worst_block"]), data=net)


def shipped_figures_table() -> str:
    """G4's figures for every shipped spec and variant under every shipped target (markdown)."""
    from archspec.graph.trace import trace
    from archspec.rules.context import LintContext
    from archspec.rules.targets import DATA_DIR, list_targets, load_target
    from archspec.spec.document import load
    from archspec.spec.resolve import resolve

    targets = [load_target(name) for name in list_targets()]
    rule = ElementwiseOperations()
    head = "| spec | variant | " + " | ".join(f"`{t.name}`" for t in targets) + " |"
    rows = [head, "|---|---|" + "---|" * len(targets)]
    for path in sorted((DATA_DIR.parent / "specs").glob("*.yaml")):
        doc = load(path)
        variants: list[str | None] = list(doc.variants) or [None]
        for variant in variants:
            net = resolve(doc, variant)
            graph = trace(net)
            cells = []
            for target in targets:
                options: Any = target.options(rule.code)
                fig = rule.network(LintContext(net, graph, target), options)
                cell = f"{fig['elementwise_share'] * 100:.1f} / {fig['depthwise_share'] * 100:.1f}"
                cells.append(f"**{cell}**" if fig["value"] > options.network_share else cell)
            rows.append(f"| {path.stem} | {variant or '—'} | " + " | ".join(cells) + " |")
    legend = ("Each cell: memory access in element-wise ops / in depthwise convs, % of the "
              "network's, after the target's fusions; **bold**: over the target's "
              "`network_share`, a G4 warning.")
    return "\n".join(["### Figures on the shipped specs", "", legend, "", *rows])


ElementwiseOperations.page_appendix = staticmethod(shipped_figures_table)  # type: ignore[attr-defined]
