"""S1xx: structure that is legal but wasteful or surprising.

What cannot be built at all (a window that does not divide heads, a map collapsing below 1×1) is a
spec error raised by resolution; these rules look at specs that build and run, and say where they
spend work on padding, on maps too small for their kernels, or on numbers the user did not write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field

from archspec.diagnostics import Diagnostic, Severity
from archspec.graph.op import Op, OpKind
from archspec.rules.base import Rule, RuleOptions
from archspec.rules.figures import fig, pct, sig
from archspec.rules.registry import register

if TYPE_CHECKING:
    from archspec.blocks.base import Rounding
    from archspec.rules.context import LintContext

def _padded_share(hw: tuple[int, int], pad: tuple[int, int]) -> float:
    """Extra tokens attention processes: H′W′/(HW) − 1."""
    return (hw[0] + pad[0]) * (hw[1] + pad[1]) / (hw[0] * hw[1]) - 1


class PaddingOptions(RuleOptions):
    max_padded_share: float = Field(
        default=0.0, ge=0, description="Padding up to this share of the map's tokens is accepted.")


@register
class WindowPadding(Rule):
    """Window attention padding its map because H or W is not a multiple of the window.

    ## What it does
    Finds attention blocks with a `local` or `grid` window partition whose input map is at least
    one window wide but not a multiple of it, so the block pads the map (bottom and right, with
    zeros and no attention mask) before partitioning, and reports the share of extra tokens it
    computes on. (A window wider than the map is S102.)

    ## Why is this bad?
    Every padded token goes through the q/k projection, the score and value matmuls and the
    layout copies, and then is cropped away: pure waste. Padded tokens also take part in the
    softmax of real tokens (the official iRMB pads without a mask), so results depend on the
    input size, and the pad is computed from H and W at run time (see H103).

    ## Formula
    The paper gives no formula; this rule defines one. For an H×W map and window M:

    ```
    H′ = ⌈H/M⌉·M,  W′ = ⌈W/M⌉·M
    padded share = H′·W′ / (H·W) − 1
    ```

    A 16×16 map with window 7 becomes 21×21: 72.3% more tokens.

    ## Example
    ```yaml
    input: {channels: 3, size: 32}
    stages:
      - name: s1       # 16×16 after the stem: padded to 21×21
        out: 64
        depth: 2
        block: {block: mmb, exp: 2, f: attn, window: 7, dim_head: 32}
    ```

    ## Use instead
    Choose the window from the map: a divisor of H and W (8 or 4 for 16×16), or `partition:
    global` on small maps, or an input size that keeps every attention stage a multiple of the
    window (224 for window 7).

    ```yaml
    block: {block: mmb, exp: 2, f: attn, window: 8, dim_head: 32}
    ```
    """

    code = "S101"
    name = "window-padding"
    severity = Severity.WARNING
    Options = PaddingOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        for op, hw, (wh, ww), pad, n in ctx.windowed_attention:
            if wh > hw[0] or ww > hw[1] or pad == (0, 0):
                continue
            share = _padded_share(hw, pad)
            if share <= options.max_padded_share:
                continue
            padded = (hw[0] + pad[0], hw[1] + pad[1])
            yield self.report(
                ctx, options,
                message=(f"window {wh}×{ww} does not tile the {hw[0]}×{hw[1]} map: padded to "
                         f"{padded[0]}×{padded[1]}, {pct(share)} more tokens through attention"),
                fix=f"use a window dividing {hw[0]}×{hw[1]}, or `partition: global`",
                block=op.block, span=op.origin.span_of("window"),
                data={"value": sig(share), "threshold": options.max_padded_share,
                      "map": list(hw), "window": [wh, ww], "padding": list(pad),
                      "padded_map": list(padded), "windows": list(n)})


class LargerOptions(RuleOptions):
    pass


@register
class WindowLargerThanMap(Rule):
    """A window larger than the feature map: attention silently becomes global over padding.

    ## What it does
    Finds attention blocks with a `local` or `grid` partition whose window is larger than the
    input map in height or width. The block pads the map up to one window and attends over all of
    it: a global attention, most of whose tokens are padding.

    ## Why is this bad?
    The spec says "windows of 7×7", the network computes one global attention over a map that is
    mostly zeros: the work of a 7×7 window on a 2×2 map is 12× what the map needs, and the padded
    zeros enter the softmax of every real token (there is no mask), so the block does not compute
    what its description says.

    ## Formula
    The paper gives no formula; this rule defines one. For an H×W map and window M > H or M > W:

    ```
    H′ = ⌈H/M⌉·M,  W′ = ⌈W/M⌉·M
    padded share = H′·W′ / (H·W) − 1
    ```

    A 4×4 map with window 7: 49/16 − 1 = 206% more tokens, all in one window.

    ## Example
    ```yaml
    input: {channels: 3, size: 32}
    stages:
      - name: s3       # 4×4 maps
        out: 256
        depth: 2
        block: {block: mmb, exp: 2, f: attn, window: 7, dim_head: 32}
    ```

    ## Use instead
    Say what is computed: `partition: global` on maps smaller than the window (no padding), or
    a window that fits the map.

    ```yaml
    block: {block: mmb, exp: 2, f: attn, partition: global, dim_head: 32}
    ```
    """

    code = "S102"
    name = "window-larger-than-map"
    severity = Severity.WARNING
    Options = LargerOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        for op, hw, (wh, ww), pad, n in ctx.windowed_attention:
            if wh <= hw[0] and ww <= hw[1]:
                continue
            share = _padded_share(hw, pad)
            yield self.report(
                ctx, options,
                message=(f"window {wh}×{ww} is larger than the {hw[0]}×{hw[1]} map: attention "
                         f"is global over a {hw[0] + pad[0]}×{hw[1] + pad[1]} padded map "
                         f"({pct(share)} more tokens, all padding)"),
                fix="use `partition: global` (no padding), or a window that fits the map",
                block=op.block, span=op.origin.span_of("window"),
                data={"value": sig(share), "map": list(hw), "window": [wh, ww],
                      "padding": list(pad), "windows": list(n)})


def _spatial_kernel(ops: list[Op]) -> tuple[int, str, Op] | None:
    """(kernel or window side, aspect, op) of a block's first spatial op: a window attention,
    a k×k conv or a pooling window that is not global; None when the block has none (or its
    first one is a window of side 1)."""
    for op in ops:
        if op.kind == OpKind.MATMUL and op.attrs.get("window") is not None:
            side = int(op.attrs["window"][0])
            return (side, "window", op) if side > 1 else None
        if op.kind == OpKind.CONV and op.attrs["k"] > 1 or (
                op.kind == OpKind.POOL and not op.attrs["global_pool"] and op.attrs["k"] > 1):
            return int(op.attrs["k"]), "k", op
    return None


class OneByOneOptions(RuleOptions):
    pass


@register
class SpatialBlockAtOneByOne(Rule):
    """Spatial blocks that continue after the feature map has shrunk to 1×1.

    ## What it does
    Finds blocks whose input map is 1×1 and that still do spatial work: a k×k conv or depthwise
    conv with k > 1, window attention, or a pooling window that is not global.

    ## Why is this bad?
    On a 1×1 map a k×k kernel sees one real pixel; the other k² − 1 taps multiply padding. A
    3×3 depthwise conv does 1/9 useful work, attention attends to a single token, and the block's
    place in the network usually means an input size smaller than the network was designed for
    (five stride-2 stages take 32×32 to 1×1).

    ## Formula
    The paper gives no formula; this rule defines one. For a block at 1×1 with a k×k kernel:

    ```
    useful share = 1 / k²                 (window attention: one token of M² per window)
    ```

    ## Example
    ```yaml
    input: {channels: 3, size: 32}
    stages:
      - name: s5        # 32 / 2⁵ = 1: the 3×3 convs of this stage see one pixel
        out: 320
        depth: 2
        block: {block: mmb, exp: 6, dw_k: 3}
        first: {stride: 2}
    ```

    ## Use instead
    Stop downsampling earlier (fewer stride-2 stages for small inputs), or replace spatial blocks
    at 1×1 by 1×1 convs or linear layers.

    ```yaml
    - {name: s5, out: 320, depth: 2, block: {block: mmb, exp: 6, dw_k: 3}}   # stride 1
    ```
    """

    code = "S103"
    name = "spatial-block-at-1x1"
    severity = Severity.WARNING
    Options = OneByOneOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        for b in ctx.blocks.values():
            if len(b.in_shape) != 3 or b.in_shape[1:] != (1, 1) or b.children():
                continue
            found = _spatial_kernel(ctx.own_ops.get(b.path, []))
            if found is None:
                continue
            k, aspect, op = found
            useful = 1 / (k * k)
            yield self.report(
                ctx, options,
                message=(f"{b.family} block on a 1×1 map with a {k}×{k} "
                         f"{'window' if aspect == 'window' else 'kernel'}: "
                         f"{pct(useful)} of its spatial work sees real pixels"),
                fix="stop downsampling earlier, or use 1×1 convs / linear layers at 1×1",
                block=b.path, span=op.origin.span_of(aspect),
                data={"value": sig(useful), "kernel": k, "map": [1, 1]})


class RoundingOptions(RuleOptions):
    min_change: float = Field(
        default=0.0, ge=0, description="Report only roundings that move the written number by more "
        "than this relative change.")


@register
class SilentRounding(Rule):
    """A number the user wrote that resolution changed (width multiplier, make_divisible, mid).

    ## What it does
    Lists every place where resolution moved a number the spec wrote: a width scaled by the
    network's width multiplier and rounded by `make_divisible`, an expanded width `in·exp`
    rounded by `mid_round`, an SE width rounded. One finding per place in the file, with the
    written and the resolved value. (Replacing the classifier width with `num_classes` is asked
    for by the caller and is not reported.)

    ## Why is this bad?
    It usually is not: MobileNet's make_divisible is how those widths are defined. But the
    resolved network is not the one the YAML reads as, and the difference can be large (24·0.35
    becomes 8, not 8.4; 16·0.5 → 8 but 24·0.5 → 16, +33%). Parameter counts, FLOPs and checkpoint
    shapes follow the resolved numbers, so this rule makes them visible.

    ## Formula
    The paper gives no formula; this rule defines one:

    ```
    change = (resolved − written) / written
    make_divisible(v, d) = max(d, ⌊v + d/2⌋ rounded down to a multiple of d), + d if < 0.9·v
    ```

    ## Example
    ```yaml
    width: {mult: 0.5}
    stages:
      - {name: b2, out: 24, depth: 2, block: {block: mmb, exp: 6}}   # out becomes 16
    ```

    ## Use instead
    Write the resolved number, or mark the width `scaling: fixed`, when the exact value matters;
    otherwise accept the finding (it is information).

    ```yaml
    - {name: b2, out: 16, depth: 2, block: {block: mmb, exp: 6, scaling: fixed}}
    ```
    """

    code = "S104"
    name = "silent-rounding"
    severity = Severity.INFO
    Options = RoundingOptions

    def check(self, ctx: LintContext, options: Any) -> Iterator[Diagnostic]:
        seen: dict[tuple[Any, ...], list[str]] = {}
        first: dict[tuple[Any, ...], Any] = {}
        for b in ctx.blocks.values():
            for r in b.roundings:
                if r.rule == "num_classes":
                    continue
                key = (r.span, r.field, r.written, r.value, r.rule)
                seen.setdefault(key, []).append(b.path)
                first.setdefault(key, r)
        for key, paths in seen.items():
            r = first[key]
            exact, how = exact_value(r)
            if exact == r.value:
                continue  # a width multiplier that scaled exactly: nothing was rounded
            change = (r.value - exact) / exact if exact else 0.0
            if abs(change) <= options.min_change:
                continue
            yield self.report(
                ctx, options,
                message=(f"`{r.field}`{': ' + how if how != fig(exact) else ''} = {fig(exact)} "
                         f"is rounded to {r.value} "
                         f"({'+' if change >= 0 else ''}{pct(change)}; {r.rule})"),
                fix=_rounding_fix(r, ctx.net.variant),
                block=paths[0], span=r.span,
                data={"value": r.value, "exact": sig(exact), "written": r.written,
                      "change": sig(change), "field": r.field, "rule": r.rule,
                      "blocks": paths, "by_variant": r.by_variant})


def _rounding_fix(r: Rounding, variant: str | None) -> str:
    """Where to change a rounded number: where it was written, never the base for one variant."""
    if r.by_variant == "value":
        return (f"write {r.value} in variant `{variant}`'s override, or `scaling: fixed` to keep "
                "the written width")
    if r.by_variant == "width":
        return (f"the base's {fig(r.written)} is every variant's: to change `{variant}` only, "
                f"override `{r.field}` in `variants.{variant}` or pick its `width.mult` so that "
                "the product is a multiple of the divisor")
    if r.factor is None and r.instead is not None:  # a ratio's rounding: write the number
        return (f"write `{r.instead}: {r.value}` for this width as written, in place of "
                f"`{r.field}`")
    return f"write {r.value}, or `scaling: fixed` to keep the written width"


def exact_value(r: Rounding) -> tuple[float, str]:
    """The unrounded value behind a rounding, and how it was computed.

    A width scaled by the network multiplier records the written width and the multiplier
    (``factor``); the exact product is what make_divisible rounded."""
    exact = r.exact
    if r.factor is not None:
        return (r.written * r.factor if exact is None else float(exact)), \
            f"{fig(r.written)}×{fig(r.factor)}"
    return float(r.written if exact is None else exact), fig(r.written)
