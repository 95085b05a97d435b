"""G3: blocks split into many small kernels and parallel branches (ShuffleNet V2 guideline 3).

Kernels are counted after the target's fusions (:mod:`archspec.rules.kernels`), each weighted by
the work it does against the target's launch cost; a merge adds the branches it waits for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import OpKind
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.figures import Share, count, fig, num, pct, sig
from archspec.rules.latency_figures import TimeFigure, Timing, timing
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.rules.context import LintContext


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
        inputs = [u for u in _merge_inputs(ctx, node, position)
                  if u in position and ctx.kernels.kernel_of.get(u) is not None]
        if inputs:
            targets, last = set(inputs), max(position[u] for u in inputs)
            best = max(best, sum(1 for u in inputs
                                 if not _reaches(g, u, targets, last, position)))
    return best


def _merge_inputs(ctx: LintContext, node: int, position: dict[int, int]) -> list[int]:
    """The producers of a merge's inputs, a chain of adds (or multiplies) read as one merge.

    A ``parallel`` add of n branches is traced as n − 1 two-input adds; an input that is an add
    of this block read by nothing else is a link of that chain, and its own inputs are the
    merge's. Without this every link waits for two branches, and n branches count as 2.
    """
    g = ctx.graph.graph
    kind = ctx.op(node).kind
    out: list[int] = []
    for u, _ in g.in_edges(node):
        p = _producer(ctx, u)
        op = ctx.op(p)
        if (p in position and kind is not OpKind.CONCAT and op.kind is kind
                and len(op.in_shapes) >= 2 and g.out_degree(p) == 1):
            out.extend(_merge_inputs(ctx, p, position))
        else:
            out.append(p)
    return out


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
    work it does, adds one per extra parallel branch a merge must wait for (a sum of n branches,
    traced as a chain of n − 1 adds, is one merge of n; an identity branch is none), and notes
    blocks of more *effective fragments* than the limit. It reports the network when such blocks
    take a large share of its modelled time. Window attention counts in full: its pad, partition
    and head permutes are copies, and its per-window matmuls are many tiny GEMMs. MobileOne's and
    RepVGG's training-time blocks (several conv + BN branches summed) are what this rule flags;
    their deploy-time form, one conv per block, is not.

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

    ## With a device
    With `lint --device DEVICE.json`, each finding adds what the block's kernels take on that
    device (ms and share of the network's predicted latency; the report: every block over the
    limit), and what fusing its epilogue passes saves: an activation, BatchNorm, residual add,
    scale, softmax or layout copy that alone reads the output of a conv, linear or matmul (or of
    a layout copy) runs inside that kernel, and its own kernel, launch included, goes:

    ```
    block runs as 18 kernels (…); it takes 2.15 ms (4.7%) on cpu-1t; fusing 10 passes into the
    kernels before them saves 1.02 ms (2.2%)
    ```

    Where the backend already fuses them (the profile's `fusion`), the saving is nil and the
    finding says `… predicts no saving: G3 does not hold on this device`.

    The figures are also in the finding's `data`: `latency_ms`, `share`, `total_ms`, `saves_ms`,
    `saves_share`, `holds` and `device` (in JSON and SARIF). Whether a finding is emitted, and at
    what severity, stays the target's decision; see docs/decisions/0025-findings-in-time.md.
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
        time = timing(ctx)
        for f in frags.values():
            if f.fragments > options.block_fragments:
                per = f.macs / f.kernels
                message = (f"block runs as {f.kernels} kernels ({num(f.fragments)} effective "
                           f"fragments, limit {fig(options.block_fragments)}; {f.branches} "
                           f"branch{'es' if f.branches > 1 else ''}), {count(per)} "
                           "multiply-accumulates per kernel on average")
                data: dict[str, Any] = {
                    "value": sig(f.fragments), "threshold": options.block_fragments,
                    "kernels": f.kernels, "branches": f.branches, "macs": f.macs,
                    "macs_per_kernel": round(per), "launch_cost": options.launch_cost}
                if time is not None:
                    tf = _in_time(ctx, time, [f.path])
                    message = f"{message}; {tf.clause(self.code, 'it takes ')}"
                    data.update(tf.data())
                yield self.note(
                    ctx, message=message,
                    fix="fuse or remove small ops (layout copies, separate norms and "
                        "activations), or use fewer, wider kernels",
                    block=f.path, span=ctx.block_span(f.path, "f", "block"), data=data)
        net = self._network(ctx, frags, options)
        if net["value"] > options.network_share and net["worst_block"]:
            worst = frags[net["worst_block"]]
            message = (f"blocks of more than {fig(options.block_fragments)} effective fragments "
                       f"take {pct(net['value'])} of the network's modelled time (threshold "
                       f"{pct(options.network_share)}); {net['blocks_over']} such blocks, the "
                       f"worst `{worst.path}` with {worst.kernels} kernels")
            if time is not None:
                tf = _in_time(ctx, time, [f.path for f in frags.values()
                                          if f.fragments > options.block_fragments
                                          and not ctx.excused(self.code, f.path)])
                message = f"{message}; {tf.clause(self.code, 'they take ')}"
                net = {**net, **tf.data()}
            yield self.report(
                ctx, options, message=message,
                fix="use fewer, wider kernels in those blocks (fuse copies and element-wise "
                    "ops, fewer branches), or confine them to fewer stages",
                block=worst.path, span=ctx.block_span(worst.path, "f", "block"), data=net)


def _in_time(ctx: LintContext, time: Timing, paths: list[str]) -> TimeFigure:
    """The blocks' kernels in time, and what fusing their epilogue passes and layout copies
    into the kernels before them saves (fewer fragments, same work)."""
    nodes = [n for p in paths for n in ctx.nodes_by_block.get(p, ())]
    return time.fused_block(nodes, nodes)
