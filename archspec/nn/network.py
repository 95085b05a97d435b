"""Network: a ResolvedNet as ``stem`` → ``stages`` → ``head``, one module per resolved block."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn

from archspec.nn.registry import build_block

if TYPE_CHECKING:
    from archspec.spec.resolved import ResolvedNet


class Network(nn.Module):
    """``stem`` (Sequential), ``stages`` (ModuleList of Sequential, one per stage name, in
    order), ``head`` (Sequential). ``forward`` returns the head's output.

    With ``features_only`` the head is not built and ``forward`` returns the feature maps of the
    stages at ``out_indices`` (all stages by default), as timm's ``features_only`` and EMO's
    detection backbone do. ``resolved`` holds the ResolvedNet the modules were built from.
    """

    def __init__(self, net: ResolvedNet, *, features_only: bool = False,
                 out_indices: Sequence[int] | None = None):
        super().__init__()
        self.resolved = net
        self.stage_names: list[str] = []
        stages: dict[str, list[nn.Module]] = {}
        stem: list[nn.Module] = []
        head: list[nn.Module] = []
        for b in net.blocks:
            section = b.origin.section
            if section == "stem":
                stem.append(build_block(b))
            elif section == "stages":
                name = b.origin.stage or ""
                if name not in stages:
                    self.stage_names.append(name)
                    stages[name] = []
                stages[name].append(build_block(b))
            elif section == "head":
                if not features_only:
                    head.append(build_block(b))
            else:
                raise ValueError(f"{b.path}: unknown section {section!r}")
        self.stem = nn.Sequential(*stem)
        self.stages = nn.ModuleList(nn.Sequential(*stages[n]) for n in self.stage_names)
        self.head = nn.Sequential(*head)
        self.features_only = features_only
        n = len(self.stage_names)
        indices = tuple(range(n)) if out_indices is None else tuple(out_indices)
        bad = [i for i in indices if not -n <= i < n]
        if bad:
            raise ValueError(f"out_indices {bad} out of range for {n} stages {self.stage_names}")
        self.out_indices = tuple(sorted({i % n for i in indices}))

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of the stages at ``out_indices`` (stages after the last are not run)."""
        x = self.stem(x)
        features = []
        last = self.out_indices[-1] if self.out_indices else -1
        for i, stage in enumerate(self.stages):
            if i > last:
                break
            x = stage(x)
            if i in self.out_indices:
                features.append(x)
        return features

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        if self.features_only:
            return self.forward_features(x)
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        y: torch.Tensor = self.head(x)
        return y
