"""The latency benchmark's statistics (benchmarks/latency_model.py), on hand-worked figures: the
benchmark judges the latency model, so its own arithmetic is checked here (no timing)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "latency_model.py"


@pytest.fixture(scope="module")
def lm() -> ModuleType:
    spec = importlib.util.spec_from_file_location("latency_model", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["latency_model"] = module
    spec.loader.exec_module(module)
    return module


def test_ranks_share_ties(lm: ModuleType) -> None:
    assert lm.ranks([3, 1, 3, 2]) == [3.5, 1, 3.5, 2]


def test_spearman(lm: ModuleType) -> None:
    # ranks of y: 1, 2, 3.5, 5, 3.5; deviations x: -2..2, y: -2, -1, .5, 2, .5
    # Σdxdy = 8, Σdx² = 10, Σdy² = 9.5 → ρ = 8 / √95
    assert lm.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert lm.spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1)
    assert lm.spearman([1, 2], [1, 2]) is None


def test_best_constant_least_squares_on_relative_error(lm: ModuleType) -> None:
    # r = x/y = 1/2, 2/3: c = Σr / Σr² = (7/6) / (25/36) = 42/25
    assert lm.best_constant([1, 2], [2, 3]) == pytest.approx(42 / 25)


def test_scores(lm: ModuleType) -> None:
    s = lm.scores([1.0, 2.16, 3.0], [1.0, 2.0, 4.0], [True, True, False])
    # errors 0, +8 %, -25 %
    assert s["n"] == 3
    assert s["mape"] == pytest.approx(0.33 / 3)
    assert s["within_5"] == pytest.approx(1 / 3)
    assert s["within_10"] == pytest.approx(2 / 3)
    assert s["worst"] == pytest.approx(-0.25)
    assert s["n_near_emo_1m"] == 2 and s["spearman_near_emo_1m"] is None


def test_robust_drops_slow_outliers_only(lm: ModuleType) -> None:
    # inclusive quartiles of 1, 2, 3, 4, 100: 2, 3, 4 → limit 3 + 3·2 = 9
    assert lm.robust([1, 2, 3, 4, 100]) == [1, 2, 3, 4]
    assert lm.robust([1, 1, 1, 1, 10]) == [1, 1, 1, 1, 10]  # no spread: nothing to judge by


def test_repeatable_and_stable(lm: ModuleType) -> None:
    net = lm.Net("a", "generated", "", None)
    net.rounds = [[10.0, 10.0], [10.4, 10.4]]
    assert lm.repeatable(net) and lm.stable(net)
    net.rounds = [[10.0], [10.6]]
    assert not lm.repeatable(net)
    net.rounds = [[9.0, 10.0, 11.0], [10.0, 10.0, 10.0], [10.0, 10.0, 10.0]]
    # inclusive quartiles 9.5, 10, 10.5: IQR/median 0.1 in the first round
    assert lm.iqr_ratio(net.rounds[0]) == pytest.approx(0.1)
    assert not lm.stable(net)


def test_evaluate_fits_each_baseline_on_the_same_measurements(lm: ModuleType) -> None:
    nets = []
    for name, macs, ms in (("emo:emo_1m", 100, 10.0), ("b", 200, 20.0), ("c", 400, 30.0)):
        net = lm.Net(name, "generated", "", None, macs=macs, mem_access=1, predicted_ms=ms)
        net.rounds = [[ms], [ms]]
        nets.append(net)
    result = lm.evaluate(nets, 10.0)
    assert result["model"]["mape"] == 0 and result["model"]["within_5"] == 1
    # MACs: r = 10, 10, 13.33: c = Σr / Σr² = 33.33 / 377.78 = 0.0882
    assert result["macs"]["constant_ms"] == pytest.approx((10 + 10 + 40 / 3) /
                                                         (100 + 100 + 1600 / 9))
    assert result["model"]["n_near_emo_1m"] == 1  # 20 ms is 100 % off EMO-1M's 10 ms
