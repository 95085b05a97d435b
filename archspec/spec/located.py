"""Plain YAML data that remembers where each value was written, through merges and overlays.

Variants deep-merge onto the base, templates overlay defaults: after that a value at
``('stages', 2, 'block', 'dim_head')`` may have come from a variant override twenty lines below
the template. :class:`Located` keeps, for every path in its data, the path in the source file that
wrote it, so an error always points at the most specific YAML node.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
        """The subtree at ``path``, with its own provenance (linear in the subtree, not in
        ``self``: resolution takes one per block of a network)."""
        value = self.data
        for part in path:
            value = value[part]
        prov = _carried(self.prov, tuple(path), value, ())
        return Located(value, prov, self.source_path(path))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default) if isinstance(self.data, Mapping) else default


def graft(net: Located, path: Path, sub: Located) -> None:
    """Put ``sub`` at ``path`` inside ``net``, in place: its data, and its provenance in place of
    the old value's. Linear in the two subtrees, so a variant overriding every one of thousands
    of stages costs one pass; ``net`` must own every container on ``path`` (copy them first)."""
    parent = net.data
    for part in path[:-1]:
        parent = parent[part]
    for inner in _inner_paths(parent[path[-1]], path):
        net.prov.pop(inner, None)
    parent[path[-1]] = sub.data
    net.prov.update({(*path, *p): s for p, s in sub.prov.items()})
    net.prov[path] = sub.root


def _inner_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """``path`` and the path of every node inside ``value`` below it."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _inner_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _inner_paths(v, (*path, i))


def _carried(prov: Mapping[Path, Path], at: Path, value: Any, to: Path) -> dict[Path, Path]:
    """The entries of ``prov`` for ``value`` (found at ``at``), re-rooted at ``to``.

    Provenance only ever names paths of the data it describes, so walking ``value`` finds every
    entry without scanning ``prov``.
    """
    found = {}
    for inner in _inner_paths(value):
        hit = prov.get((*at, *inner))
        if hit is not None:
            found[(*to, *inner)] = hit
    return found


def _walk(value: Any, path: Path, source: Path, prov: dict[Path, Path]) -> None:
    prov[path] = source
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, (*path, k), (*source, k), prov)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, (*path, i), (*source, i), prov)


def _copy(value: Any) -> Any:
    """A deep copy of YAML data (mappings, lists, immutable scalars): what ``copy.deepcopy``
    makes, several times faster (no memo: the loader never shares a container between two
    places). Resolution composes one copy per block."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def overlay(base: Located, top: Located) -> Located:
    """Deep-merge ``top`` onto ``base``: mappings merge key by key, anything else replaces."""
    data = _copy(base.data)
    prov = dict(base.prov)
    _overlay_into(data, top.data, (), top, prov)
    return Located(data, prov, top.root if not base.prov else base.root)


def _overlay_into(dst: dict[Any, Any], src: Any, path: Path, top: Located, prov: dict[Path, Path]) -> None:
    for key, value in src.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            prov[here] = top.prov.get(here, top.root)
            _overlay_into(dst[key], value, here, top, prov)
        else:
            if key in dst:
                for inner in _inner_paths(dst[key], here):
                    prov.pop(inner, None)
            dst[key] = _copy(value)
            prov.update(_carried(top.prov, here, value, here))
