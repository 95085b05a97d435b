"""``linear``: a fully connected layer (classifier heads)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from archspec.blocks.base import (
    ActName,
    BlockModel,
    Family,
    ResolveContext,
    ResolvedBlock,
    Width,
    register,
)

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


class LinearSpec(BlockModel):
    """A fully connected layer; a (C, 1, 1) input is flattened first. The head's last linear is
    the classifier: ``num_classes`` replaces its ``out`` and the width multiplier never scales it."""

    block: Literal["linear"]
    out: Width
    bias: bool = True
    act: ActName = "none"


@dataclass(frozen=True, kw_only=True)
class Linear(ResolvedBlock):
    family = "linear"
    bias: bool
    act: str
    flatten: bool


def resolve_linear(spec: LinearSpec, ctx: ResolveContext) -> Linear | None:
    if len(ctx.in_shape) == 3 and ctx.in_shape[1:] != (1, 1):
        ctx.fail("E143", f"linear needs a vector or a 1×1 map, got {ctx.in_shape[1]}×"
                 f"{ctx.in_shape[2]}", fix="put a `{block: pool, global: true}` before it")
        return None
    if ctx.is_classifier:
        out = ctx.num_classes if ctx.num_classes is not None else spec.out
        ctx.record("out", spec.out, out, "num_classes")
    else:
        out = ctx.width("out", spec.out, spec.scaling)
    return Linear(in_shape=ctx.in_shape, out_shape=(out,), origin=ctx.origin, bias=spec.bias,
                  act=spec.act, flatten=len(ctx.in_shape) == 3)


def trace_linear(b: Linear, g: GraphBuilder, x: Tensor) -> Tensor:
    if b.flatten:
        with g.part("flatten"):
            x = g.flatten(x, "flatten")
    with g.part("out"):
        x = g.linear(x, "linear", out=b.out_ch, bias=b.bias)
    with g.part("act", operator="act"):
        return g.act(x, "act", b.act)


def shape_linear(f: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...] | None:
    """(out,): the classifier's ``num_classes``, else ``out`` (see Family.shape)."""
    if ctx.is_classifier and ctx.num_classes is not None:
        return (ctx.num_classes,)
    if not {"out", "scaling"} <= f.keys():
        return None
    return (f["out"],) if ctx.is_classifier else (ctx.width("out", f["out"], f["scaling"]),)


EXAMPLE = """\
- {block: pool, global: true}
- {block: linear, out: 1000}
"""

LINEAR = register(Family("linear", LinearSpec, resolve_linear, trace_linear, Linear,
                         "fully connected layer", shape=shape_linear, example=EXAMPLE))
