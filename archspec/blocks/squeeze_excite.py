"""Squeeze-and-excitation as families trace it (mmb, uib): one description of its ops, so the
graph, the cost model and the rules see the same SE whichever block holds it.

mean over H, W → reduce (1×1, bias) → act → expand (1×1, bias) → gate → rescale the input;
the torch side is :class:`archspec.nn.layers.SqueezeExcite`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


def trace_squeeze_excite(g: GraphBuilder, x: Tensor, *, se_ch: int, act: str, act_field: str,
                         gate: str, bias: bool = True, field: tuple[str, ...] = ("se",),
                         gate_field: str = "se_gate", width: str | tuple[str, ...] = "out"
                         ) -> Tensor:
    """``x`` rescaled by its SE gate. Every op is part of the block's ``field`` (the first of
    them the block wrote: mmb's and uib's ``se``, the se block's ``ratio`` or ``mid``); the act's
    operator comes from ``act_field`` (the field that chose it: mmb's ``se_act``, uib's shared
    ``act``), the gate's from ``gate_field``; ``width`` names the field behind the widths."""
    with g.part(*field, width=width):
        s = g.pool(x, "se.pool", mode="avg", global_pool=True)
        s = g.conv(s, "se.reduce", out=se_ch, bias=bias)
        with g.part(field[0], *field[1:], operator=act_field):
            s = g.act(s, "se.act", act)
        s = g.conv(s, "se.expand", out=x.ch, bias=bias)
        with g.part(field[0], *field[1:], operator=gate_field):
            s = g.act(s, "se.gate", gate)
        return g.mul(x, s, "se.scale")
