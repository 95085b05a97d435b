"""``shuffle``: the ShuffleNet V2 unit (Ma et al., ECCV 2018, Fig. 3c/3d), as torchvision's.

Stride 1: ``x1, x2 = split(x)``; ``cat(x1, branch2(x2))``. Stride 2: ``cat(branch1(x),
branch2(x))``. Then a channel shuffle. Submodule names follow the tracer's op names; the order
(branch1 before branch2, each conv before its norm) is torchvision's, so state_dicts line up.
"""

from __future__ import annotations

import torch
from torch import nn

from archspec.blocks.shuffle import Shuffle
from archspec.nn.layers import make_act, make_norm, parts
from archspec.nn.registry import register


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.shape
    x = x.view(b, groups, c // groups, h, w).transpose(1, 2).contiguous()  # b c/g g h w
    return x.view(b, c, h, w)


@register("shuffle")
class ShuffleUnit(nn.Module):
    def __init__(self, block: Shuffle):
        super().__init__()
        in_ch, stride, keep, dw_k = block.in_ch, block.stride, block.keep, block.dw_k
        branch_in, branch_out, norm, act = block.branch_in, block.branch_out, block.norm, block.act
        self.stride = stride
        self.split_sizes = [keep, branch_in]
        self.halves = keep == branch_in  # chunk(2) is the cheaper call
        self.groups = block.groups  # channel-shuffle groups
        pad = dw_k // 2
        if stride > 1:  # dw k×k s2 → norm → 1×1 → norm → act
            self.branch1 = nn.Sequential(parts(
                dw=nn.Conv2d(in_ch, in_ch, dw_k, stride, pad, groups=in_ch, bias=False),
                dw_norm=make_norm(norm, in_ch),
                pw=nn.Conv2d(in_ch, keep, 1, bias=False),
                pw_norm=make_norm(norm, keep),
                pw_act=make_act(act, inplace=True),
            ))
        # 1×1 → norm → act → dw k×k → norm → 1×1 → norm → act
        self.branch2 = nn.Sequential(parts(
            pw1=nn.Conv2d(branch_in, branch_out, 1, bias=False),
            pw1_norm=make_norm(norm, branch_out),
            pw1_act=make_act(act, inplace=True),
            dw=nn.Conv2d(branch_out, branch_out, dw_k, stride, pad, groups=branch_out,
                         bias=False),
            dw_norm=make_norm(norm, branch_out),
            pw2=nn.Conv2d(branch_out, branch_out, 1, bias=False),
            pw2_norm=make_norm(norm, branch_out),
            pw2_act=make_act(act, inplace=True),
        ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1) if self.halves else torch.split(x, self.split_sizes, dim=1)
            x = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            x = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(x, self.groups)
