"""analyze(): the figures of one network, per block and in total, from its OpGraph.

Units: ``params`` (count), ``macs`` (multiply-accumulates of conv/linear/matmul), ``flops``
(2 × macs, or fvcore's count with ``convention="fvcore"``: macs + 2/element for eval BatchNorm and
5/element for LayerNorm), ``mem_access`` (elements read + written per image, ShuffleNet V2's
"MAC"), activation bytes (elements × dtype size × batch), ``latency_ms`` (predicted on a device
profile, batch 1; None without one: filled by the layer that predicts, see
:func:`archspec.latency.predict.with_latency`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from archspec.graph.op import numel

if TYPE_CHECKING:
    from archspec.blocks.base import ResolvedBlock, Rounding
    from archspec.graph.op import Op
    from archspec.graph.opgraph import OpGraph
    from archspec.latency.predict import Prediction
    from archspec.spec.resolved import ResolvedNet

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
Convention = Literal["torch", "fvcore"]


@dataclass(frozen=True)
class Figures:
    """Costs of a block or of the whole network, for one image unless stated."""

    params: int
    macs: int
    flops: int
    mem_access: int
    output_shape: tuple[int, ...]
    activation_bytes: int  # output tensor(s) of the block / peak live set for the network
    #: predicted ms on the analysis' device (the network: end to end; a block: its kernels)
    latency_ms: float | None = field(default=None, kw_only=True)

    @property
    def output_elems(self) -> int:
        return numel(self.output_shape)


@dataclass(frozen=True)
class BlockFigures(Figures):
    path: str
    family: str
    input_shape: tuple[int, ...]
    section: str
    stage: str | None


@dataclass(frozen=True)
class Form:
    """Which form of the network the figures describe: ``train`` (as written) or ``deploy``
    (decision 0035), with what the deploy form changed."""

    name: Literal["train", "deploy"] = "train"
    folded: int = 0  # BNs folded into the conv or linear before them
    reparameterised: int = 0  # parallels of linear branches fused into one conv


TRAIN = Form()


@dataclass(frozen=True)
class Analysis:
    """One network's analysis; ``total.activation_bytes`` is the peak live activation set."""

    net: ResolvedNet
    graph: OpGraph
    total: Figures
    blocks: tuple[BlockFigures, ...]
    convention: Convention
    dtype: str
    batch: int
    #: the prediction the latency figures come from (None without a device)
    latency: Prediction | None = None
    form: Form = TRAIN

    @property
    def roundings(self) -> tuple[Rounding, ...]:
        return self.net.roundings


def _flops(ops: list[Op], convention: Convention) -> int:
    macs = sum(o.macs for o in ops)
    if convention == "fvcore":
        return macs + sum(o.fvcore_extra for o in ops)
    return 2 * macs


def analyze_net(net: ResolvedNet, graph: OpGraph, *, batch: int = 1, dtype: str = "fp32",
                convention: Convention = "torch") -> Analysis:
    scale = DTYPE_BYTES[dtype] * batch
    by_block = graph.ops_by_block(block.path for block in net.blocks)
    blocks = [_block_figures(block, by_block[block.path], convention, scale) for block in net.blocks]
    ops = list(graph.ops())
    totals = graph.totals(ops)
    total = Figures(params=totals.params, macs=totals.macs, flops=_flops(ops, convention),
                    mem_access=totals.mem_access, output_shape=graph.output_shape,
                    activation_bytes=graph.peak_activation_elems() * scale)
    return Analysis(net, graph, total, tuple(blocks), convention, dtype, batch)


def _block_figures(block: ResolvedBlock, ops: list[Op], convention: Convention,
                   scale: int) -> BlockFigures:
    return BlockFigures(
        params=sum(o.params for o in ops), macs=sum(o.macs for o in ops),
        flops=_flops(ops, convention), mem_access=sum(o.mem_access for o in ops),
        output_shape=block.out_shape, activation_bytes=numel(block.out_shape) * scale,
        path=block.path, family=block.family, input_shape=block.in_shape,
        section=block.origin.section, stage=block.origin.stage,
    )
