"""Predicted latency of a traced network on a device profile: torch-free, pure arithmetic.

The graph's kernels (:func:`~archspec.latency.kernels.kernels`, fused as the backend fuses) are
each predicted by their class's model; the network correction turns the sum into end-to-end time.
Per-block figures are the block's kernels, scaled like the total (the constant belongs to no
block), so blocks sum to the total less the constant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from archspec.graph.opgraph import OpGraph
from archspec.latency.kernels import KernelTable, Row, kernel_rows
from archspec.latency.model import DeviceProfile

if TYPE_CHECKING:
    from archspec.graph.analysis import Analysis


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


def predict(graph: OpGraph | KernelTable, profile: DeviceProfile) -> Prediction:
    """Predict ``graph``'s batch-1 latency on ``profile``'s device.

    ``graph`` may be its :class:`~archspec.latency.kernels.KernelTable` for the profile's
    fusion, built once to predict it on many profiles (ValueError for another fusion's table).
    Written for speed (a sweep predicts thousands of networks a second; benchmarks/
    predict_speed.py): one pass over flat tuples, the class model's sum written out."""
    if isinstance(graph, KernelTable):
        if graph.fusion != tuple(profile.fusion):
            raise ValueError(f"the kernel table was listed for other fusion rules than "
                             f"{profile.name!r}'s; build it with kernel_table(graph, "
                             f"profile.fusion)")
        rows: Sequence[Row] = graph.rows
    else:
        rows = kernel_rows(graph, profile.fusion)
    classes = profile.classes
    corr = profile.network
    per_kernel = corr.per_kernel_ms
    nodes: dict[int, float] = {}
    blocks: dict[str, float] = {}
    missing: set[str] = set()
    factors: dict[str, float] = {}
    raw = 0.0
    count = 0
    for cls, head, fused, top, macs, read, written, weights in rows:
        model = classes.get(cls)
        if model is None:
            missing.add(cls)
            ms = per_kernel  # 0 ms of its own: the total is a lower bound
        else:
            factor = factors.get(cls)
            if factor is None:
                factor = factors[cls] = corr.factor(cls)
            c = model.coef  # ClassModel.ms, written out (one call: c[0] · 1)
            ms = (c[0] + c[1] * macs + c[2] * read + c[3] * written + c[4] * weights) * factor \
                + per_kernel
        count += 1
        raw += ms
        nodes[head] = ms
        if fused:
            nodes.update(dict.fromkeys(fused, 0.0))
        blocks[top] = blocks.get(top, 0.0) + ms
    total = raw + corr.constant_ms
    return Prediction(total, blocks, nodes, count, tuple(sorted(missing)), profile)


def with_latency(analysis: Analysis, prediction: Prediction) -> Analysis:
    """``analysis`` with the predicted figures: ``total.latency_ms`` end to end, each block's
    ``latency_ms`` its kernels' (0.0 for a block that runs none), and the prediction itself.
    Like MACs, the figures are of one image, at batch 1, whatever ``analysis.batch`` is."""
    blocks = tuple(replace(b, latency_ms=prediction.blocks.get(b.path, 0.0))
                   for b in analysis.blocks)
    return replace(analysis, total=replace(analysis.total, latency_ms=prediction.total_ms),
                   blocks=blocks, latency=prediction)
