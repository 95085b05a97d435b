"""Scaled dot-product attention as families trace it (mmb, transformer): one description of its
ops, so the graph, the cost model, TORCH_FUSION's attention chain (archspec/latency/kernels.py)
and the window rules see the same attention whichever block holds it.

q·kᵀ (kᵀ a view) → × dim_head^-0.5 → softmax → ·v; both matmuls carry the attention's geometry
(``window``, ``map``, ``padding``, ``windows``, ``heads``, ``dim_head``) for rules to read. The
torch side computes it with ``scaled_dot_product_attention`` or these explicit ops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor


def trace_attention(g: GraphBuilder, q: Tensor, k: Tensor, v: Tensor, name: str, *,
                    dim_head: int, geometry: dict[str, Any]) -> Tensor:
    """softmax(q·kᵀ·dim_head^-0.5)·v over (batch, tokens, dim) tensors; ``v``'s dim may
    differ from ``dim_head``. Ops are named ``{name}.k_t``, ``.scores``, ``.scale``,
    ``.softmax``, ``.apply``."""
    n, t, d = k.shape
    kt = g.reshape(k, f"{name}.k_t", (n, d, t), copy=False)
    scores = g.scale(g.matmul(q, kt, f"{name}.scores", **geometry), f"{name}.scale",
                     dim_head**-0.5)
    return g.matmul(g.softmax(scores, f"{name}.softmax"), v, f"{name}.apply", **geometry)
