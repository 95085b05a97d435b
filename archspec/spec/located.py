"""Plain YAML data that remembers where each value was written, through merges and overlays.

Variants deep-merge onto the base, templates overlay defaults: after that a value at
``('stages', 2, 'block', 'dim_head')`` may have come from a variant override twenty lines below
the template. :class:`Located` keeps, for every path in its data, the path in the source file that
wrote it, so an error always points at the most specific YAML node.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]


@dataclass
class Located:
    """``data`` with ``prov``: path inside ``data`` → path in the source file."""

    data: Any
    prov: dict[Path, Path] = field(default_factory=dict)
    root: Path = ()

    @classmethod
    def at(cls, data: Any, source_path: Path) -> Located:
        """A subtree of the source file, every inner path mapped to its own location."""
        prov: dict[Path, Path] = {}
        _walk(data, (), source_path, prov)
        return cls(data, prov, source_path)

    def source_path(self, path: Path) -> Path:
        """Source path of the longest prefix of ``path`` that has one."""
        for end in range(len(path), -1, -1):
            hit = self.prov.get(tuple(path[:end]))
            if hit is not None:
                return hit
        return self.root

    def sub(self, path: Path) -> Located:
        value = self.data
        for part in path:
            value = value[part]
        n = len(path)
        prov = {p[n:]: s for p, s in self.prov.items() if p[:n] == tuple(path)}
        return Located(value, prov, self.source_path(path))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default) if isinstance(self.data, Mapping) else default


def _walk(value: Any, path: Path, source: Path, prov: dict[Path, Path]) -> None:
    prov[path] = source
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, (*path, k), (*source, k), prov)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, (*path, i), (*source, i), prov)


def overlay(base: Located, top: Located) -> Located:
    """Deep-merge ``top`` onto ``base``: mappings merge key by key, anything else replaces."""
    data = copy.deepcopy(base.data)
    prov = dict(base.prov)
    _overlay_into(data, top.data, (), top, prov)
    return Located(data, prov, top.root if not base.prov else base.root)


def _overlay_into(dst: dict, src: Any, path: Path, top: Located, prov: dict[Path, Path]) -> None:
    for key, value in src.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            prov[here] = top.prov.get(here, top.root)
            _overlay_into(dst[key], value, here, top, prov)
        else:
            for p in [p for p in prov if p[: len(here)] == here]:
                del prov[p]
            dst[key] = copy.deepcopy(value)
            for p, s in top.prov.items():
                if p[: len(here)] == here:
                    prov[p] = s
