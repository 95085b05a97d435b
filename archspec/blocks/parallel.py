"""``parallel``: several branches from one input, merged by concat, add, mul or mean.

Inception-like blocks (concat), StarNet's star operation (mul: the element-wise product of two
branches), RepViT's and EfficientFormerV2's distillation heads (mean: (head(x) + head_dist(x)) / 2
in eval). It also exists so fragmentation (guideline G3) can be written and measured: each branch
is a list of ordinary blocks, resolved and traced like any other. Branches may work on feature
maps or on vectors (a head's branches after the global pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from archspec.blocks.base import (
    BlockModel,
    Family,
    ResolveContext,
    ResolvedBlock,
    TraceChild,
    register,
)

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class ParallelSpec(BlockModel):
    """Branches of blocks, each a list; ``merge: concat`` stacks channels, ``add`` sums, ``mul``
    multiplies element-wise, ``mean`` averages."""

    block: Literal["parallel"]
    branches: list[list[dict[str, Any]]] = Field(
        min_length=1, description="One list of blocks per branch (each block a mapping with `block:`).")
    merge: Literal["concat", "add", "mul", "mean"] = "concat"


@dataclass(frozen=True, kw_only=True)
class Parallel(ResolvedBlock):
    family = "parallel"
    branches: tuple[tuple[ResolvedBlock, ...], ...]
    merge: str

    def children(self) -> tuple[ResolvedBlock, ...]:
        return tuple(b for branch in self.branches for b in branch)


def resolve(spec: ParallelSpec, ctx: ResolveContext) -> Parallel | None:
    # each branch is checked (they all see the input), even after one failed
    chains = [ctx.chain(("branches", i), len(branch)) for i, branch in enumerate(spec.branches)]
    branches = [c for c in chains if c is not None]
    if len(branches) < len(chains):
        return None
    outs = [b[-1].out_shape if b else ctx.in_shape for b in branches]
    if spec.merge != "concat" and len(set(outs)) > 1:
        ctx.fail("E145", f"branches end in different shapes {outs}; `{spec.merge}` needs them "
                 "equal", "merge",
                 fix="make every branch end at the same width and size, or use concat")
        return None
    if spec.merge == "concat" and len({o[1:] for o in outs}) > 1:
        ctx.fail("E145", f"branches end at different sizes {[o[1:] for o in outs]}; `concat` "
                 "needs equal H×W", "merge", fix="give every branch the same total stride")
        return None
    out = outs[0] if spec.merge != "concat" else (sum(o[0] for o in outs), *outs[0][1:])
    return Parallel(in_shape=ctx.in_shape, out_shape=tuple(out), origin=ctx.origin,
                    branches=tuple(branches), merge=spec.merge)


def trace(b: Parallel, g: GraphBuilder, x: Tensor, trace_child: TraceChild) -> Tensor:
    """Each branch's blocks traced in turn through ``trace_child``, then the merge."""
    outs = []
    for branch in b.branches:
        y = x
        for child in branch:
            y = trace_child(child, g, y)
        outs.append(y)
    with g.part("merge", operator="merge"):
        if b.merge == "concat":
            return g.concat(outs, "merge")
        y = outs[0]
        for i, other in enumerate(outs[1:], 1):
            y = g.mul(y, other, f"merge{i}") if b.merge == "mul" else g.add(y, other, f"merge{i}")
        if b.merge == "mean" and len(outs) > 1:
            y = g.scale(y, "merge.mean", 1 / len(outs))  # the sum divided by the branches
        return y


EXAMPLE = """\
- block: parallel                     # Inception-like: two branches, channels stacked
  merge: concat
  branches:
    - [{block: conv, out: 16}]
    - [{block: conv, out: 8}, {block: conv, out: 16, k: 3}]
- block: parallel                     # StarNet's star: act(f1(x)) · f2(x)
  merge: mul
  branches:
    - [{block: conv, out: 64, norm: none, act: relu6}]
    - [{block: conv, out: 64, norm: none, act: none}]
- {block: pool, global: true}
- block: parallel                     # RepViT's heads: (head(x) + head_dist(x)) / 2
  merge: mean
  branches:
    - [{block: norm, norm: bn}, {block: linear, out: 10}]
    - [{block: norm, norm: bn}, {block: linear, out: 10}]
"""

FAMILY = register(Family("parallel", ParallelSpec, resolve, None, Parallel, "parallel branches",
                         trace_nested=trace, example=EXAMPLE))
