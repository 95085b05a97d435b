"""Predicted latency of a traced network on a device profile: torch-free, pure arithmetic.

The graph's kernels (:func:`~archspec.latency.kernels.kernels`, fused as the backend fuses) are
each predicted by their class's model; the network correction turns the sum into end-to-end time.
Per-block figures are the block's kernels, scaled like the total (the constant belongs to no
block), so blocks sum to the total less the constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archspec.graph.opgraph import OpGraph
from archspec.latency.kernels import kernels
from archspec.latency.model import DeviceProfile


@dataclass(frozen=True)
class Prediction:
    """``total_ms``: end to end; ``blocks``: top-level block path → ms; ``nodes``: graph node →
    ms of the kernel it heads (fused ops map to 0); ``missing``: kernel classes the profile has
    no model for (their kernels count 0 ms, so the total is a lower bound: say so)."""

    total_ms: float
    blocks: Mapping[str, float]
    nodes: Mapping[int, float]
    kernels: int
    missing: tuple[str, ...]
    profile: DeviceProfile

    @property
    def complete(self) -> bool:
        return not self.missing


def predict(graph: OpGraph, profile: DeviceProfile) -> Prediction:
    """Predict ``graph``'s batch-1 latency on ``profile``'s device."""
    classes = profile.classes
    corr = profile.network
    op_of = graph.op_of
    nodes: dict[int, float] = {}
    blocks: dict[str, float] = {}
    missing: set[str] = set()
    factors: dict[str, float] = {}
    raw = 0.0
    count = 0
    overhead = corr.per_kernel_ms
    for kernel in kernels(graph, profile.fusion):
        cls = kernel.cls
        model = classes.get(cls)
        if model is None:
            missing.add(cls)
            ms = 0.0
        else:
            factor = factors.get(cls)
            if factor is None:
                factor = factors[cls] = corr.factor(cls)
            ms = model.ms(kernel.features) * factor
        count += 1
        ms += overhead
        raw += ms
        head = kernel.nodes[0]
        nodes[head] = ms
        for other in kernel.nodes[1:]:
            nodes[other] = 0.0
        top = op_of[head].origin.top
        blocks[top] = blocks.get(top, 0.0) + ms
    total = raw + corr.constant_ms
    return Prediction(total, blocks, nodes, count, tuple(sorted(missing)), profile)
