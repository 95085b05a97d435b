"""ShuffleNet V2-shaped documents (Table 5 in miniature), for properties of its units."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from archspec.testing.strategies.draw import Gen
from archspec.testing.strategies.registry import families
from archspec.testing.strategies.world import MAX_SIZE, MAX_STAGES, MAX_WIDTH


@st.composite
def _shufflenets(draw: Any) -> dict[str, Any]:
    g = Gen(draw, frozenset(families()), width=False)
    size = g.draw(st.one_of(st.integers(4, MAX_SIZE),
                            st.lists(st.integers(4, MAX_SIZE), min_size=2, max_size=2)))
    stem_out = 2 * g.int(1, 8)
    stem: list[dict[str, Any]] = [{"block": "conv", "out": stem_out, "k": 3, "stride": 2}]
    if g.coin():
        stem.append({"block": "pool", "kind": "max", "k": 3, "stride": 2, "padding": 1})
    stages = []
    for i in range(g.int(1, MAX_STAGES)):
        stage: dict[str, Any] = {"name": f"stage{i + 2}", "out": 2 * g.int(1, MAX_WIDTH // 2),
                                 "depth": g.int(2, 3), "block": {"block": "shuffle"},
                                 "first": {"stride": 2}}
        if g.coin():
            stage["block"]["dw_k"] = g.pick([3, 5])
        stages.append(stage)
    return {"archspec": 1, "name": "shufflenet", "input": {"channels": 3, "size": size},
            "init": "pytorch", "stem": stem, "stages": stages,
            "head": [{"block": "conv", "out": g.int(1, MAX_WIDTH)},
                     {"block": "pool", "kind": "avg", "global": True},
                     {"block": "linear", "out": g.int(1, 10)}]}


def shufflenets() -> st.SearchStrategy[dict[str, Any]]:
    """ShuffleNet V2-shaped documents (Table 5 in miniature): a stride-2 unit, then stride-1
    units with out == in, in every stage."""
    return _shufflenets()
