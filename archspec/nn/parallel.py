"""``parallel``: branches of blocks from one input, merged by concat (channels), add, mul
(element-wise product) or mean (the sum divided by the branches, as timm's distilled heads)."""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.parallel import Parallel
from archspec.blocks.rep import RepConv, rep_conv
from archspec.nn.registry import build_block, register


@register("parallel")
class ParallelBlock(nn.Module):
    def __init__(self, block: Parallel):
        super().__init__()
        if block.merge not in ("concat", "add", "mul", "mean"):
            raise ValueError(f"unknown merge {block.merge!r}")
        self.branches = nn.ModuleList(nn.Sequential(*(build_block(child) for child in branch))
                                      for branch in block.branches)
        self.merge = block.merge
        #: the one conv this block re-parameterises into for deployment, if it does
        self.rep: RepConv | None = rep_conv(block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs: list[torch.Tensor] = [branch(x) for branch in self.branches]
        if self.merge == "concat":
            return torch.cat(outs, dim=1)
        y = outs[0]
        for other in outs[1:]:
            y = y * other if self.merge == "mul" else y + other
        if self.merge == "mean" and len(outs) > 1:
            y = y / len(outs)
        return y
