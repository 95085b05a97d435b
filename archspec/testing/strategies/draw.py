"""Drawing helpers every family generator uses: the choices it makes and what its caller needs.

A generator draws only values valid at every context it is given (one per variant using the
block), so documents are valid by construction, never by filtering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from hypothesis import strategies as st

from archspec.blocks.base import ActName, NormType
from archspec.testing.strategies.records import Site
from archspec.testing.strategies.world import MAX_WIDTH, Ctx

ACTS: tuple[str, ...] = get_args(ActName)
NORM_TYPES: tuple[str, ...] = get_args(NormType)

Block = dict[str, Any]


class Gen:
    """Wraps hypothesis' ``draw`` with the choices every generator makes."""

    def __init__(self, draw: Any, families: frozenset[str], width: bool,
                 attention: bool = False):
        self.draw = draw
        self.families = families
        self.width = width
        self.attention = attention  # every mmb block uses windowed attention
        self.sites: list[Site] = []

    def pick(self, seq: Sequence[Any]) -> Any:
        seq = list(seq)
        assert seq, "the generator offered no valid choice (a bug in archspec.testing)"
        return self.draw(st.sampled_from(seq))

    def coin(self) -> bool:
        return bool(self.draw(st.booleans()))

    def int(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))

    def put(self, d: Block, key: str, value: Any, default: Any) -> None:
        """Write ``key`` when it differs from the default, and sometimes when it does not."""
        if value != default or self.coin():
            d[key] = value

    def norm(self) -> Any:
        kind = self.pick(NORM_TYPES)
        if not self.coin():
            return kind
        d: dict[str, Any] = {"type": kind}
        if self.coin():
            d["eps"] = self.draw(st.one_of(st.sampled_from([1e-5, 1e-6, 1e-3]),
                                           st.floats(1e-8, 0.1)))
        if self.coin():
            d["momentum"] = self.draw(st.one_of(st.sampled_from([0.1, 0.01]),
                                                st.floats(0.001, 1.0)))
        return d

    def act(self) -> str:
        return str(self.pick(ACTS))

    def scaling(self) -> str:
        return str(self.pick(["scaled", "fixed", "at_least"])) if self.width else "scaled"

    def fraction(self, lo: float, hi: float, nice: Sequence[float]) -> float:
        return float(self.draw(st.one_of(st.sampled_from(list(nice)), st.floats(lo, hi))))


@dataclass
class Req:
    """What the caller needs of a block.

    ``outs``: the written ``out`` per context when a stage gives it (the block then writes no
    ``out``); ``pins``: fields forced to a value; ``keep_hw``: output H×W must equal the input's;
    ``keep_shape``: the whole shape must be kept (one context only); ``level``: parallel nesting;
    ``fixed``: every width of the block and of its children is written absolute
    (``scaling: fixed``), so no width policy of a host document can change it.
    """

    outs: list[int] | None = None
    pins: dict[str, Any] = field(default_factory=dict)
    keep_hw: bool = False
    keep_shape: bool = False
    level: int = 0
    max_width: int = MAX_WIDTH
    fixed: bool = False


def scaling_of(g: Gen, req: Req) -> str:
    """The ``scaling`` a block with widths will use."""
    if req.keep_shape or req.fixed:
        return "fixed"
    return str(req.pins.get("scaling") or g.scaling())


def write_out(g: Gen, d: Block, ctxs: list[Ctx], req: Req, scaling: str,
              ok: Callable[[list[int]], bool] | None = None) -> list[int] | None:
    """Choose the written ``out`` of a block (unless a stage gives it) and write ``scaling``.

    Returns the resolved out per context; ``ok(out_channels_per_ctx)`` filters widths the family
    cannot take. None when no width fits.
    """
    if req.outs is not None:
        outs = list(req.outs)
        if ok is not None and not ok(out_channels(ctxs, outs, scaling)):
            return None
    else:
        candidates = [ctxs[0].c] if req.keep_shape else range(1, req.max_width + 1)
        fits = [w for w in candidates
                if ok is None or ok([c.width(w, scaling) for c in ctxs])]
        if not fits:
            return None
        d["out"] = g.pick(fits)
        outs = [d["out"]] * len(ctxs)
    if scaling != "scaled" or "scaling" in req.pins or (g.width and g.coin()):
        d["scaling"] = scaling
    return out_channels(ctxs, outs, scaling)


def draw_out(g: Gen, d: Block, ctxs: list[Ctx], req: Req) -> list[int] | None:
    """Choose the ``scaling`` and written ``out`` of a block whose every width fits; the resolved
    out per context, None when no width fits."""
    return write_out(g, d, ctxs, req, scaling_of(g, req))


def out_channels(ctxs: list[Ctx], outs: list[int], scaling: str) -> list[int]:
    """The resolved ``out`` per context of written widths ``outs``."""
    return [c.width(o, scaling) for c, o in zip(ctxs, outs, strict=True)]
