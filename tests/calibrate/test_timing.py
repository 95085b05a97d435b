"""The timing harness and its statistic, with fake benchmarks and hand-worked figures."""

from __future__ import annotations

import pytest

from archspec.calibrate.harness import Bench, interleaved, robust
from archspec.calibrate.timing import signature
from archspec.graph.op import Op, OpKind


def test_robust_drops_a_sample_far_above_the_median():
    # [1, 2, 3, 4, 100]: quartiles 2, 3, 4 → IQR 2; 100 > 3 + 3·2 is dropped.
    # [1, 2, 3, 4]: quartiles (inclusive) 1.75, 2.5, 3.25 → IQR 1.5, IQR/median 0.6.
    stat = robust([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (stat.ms, stat.iqr, stat.kept, stat.dropped) == (2.5, pytest.approx(0.6), 4, 1)


def test_robust_keeps_everything_without_spread():
    stat = robust([2.0, 2.0, 2.0, 9.0, 2.0])  # IQR 0: nothing to judge an outlier by
    assert (stat.ms, stat.iqr, stat.dropped) == (2.0, 0.0, 0)


def test_robust_needs_samples():
    with pytest.raises(ValueError):
        robust([])


def test_interleaved_visits_every_bench_each_round_and_prepares_every_call():
    log: list[str] = []
    benches = [Bench(lambda n=n: log.append(n), prepare=lambda n=n: log.append(f"p{n}"))
               for n in "ab"]
    samples = interleaved(benches, repeats=2, rounds=3, warmup=1, settle=0)
    assert [len(s) for s in samples] == [6, 6]
    warm, timed = log[:4], log[4:]
    assert warm == ["pa", "a", "pb", "b"]
    assert all(timed[i] == "p" + timed[i + 1] for i in range(0, len(timed), 2))
    calls = timed[1::2]
    for r in range(3):  # each round: both benches, each called twice back to back
        chunk = calls[4 * r:4 * r + 4]
        assert sorted(chunk) == ["a", "a", "b", "b"] and chunk[0] == chunk[1]


def test_interleaved_rejects_empty_counts():
    with pytest.raises(ValueError):
        interleaved([Bench(lambda: None)], repeats=0, rounds=1, warmup=0)


def _conv(stride: int, momentum_note: float = 0.1) -> Op:
    return Op(OpKind.CONV, "c", ((8, 4, 4),), (8, 4 // stride, 4 // stride),
              {"k": 1, "stride": stride, "padding": 0, "dilation": 1, "groups": 1,
               "bias": False, "momentum": momentum_note})


def test_signature_ignores_momentum_and_matmul_geometry():
    assert signature(_conv(1, 0.1), "conv.pw") == signature(_conv(1, 0.3), "conv.pw")
    assert signature(_conv(1), "conv.pw") != signature(_conv(2), "conv.pw.s2")
    m1 = Op(OpKind.MATMUL, "m", ((4, 9, 8), (4, 8, 9)), (4, 9, 9), {"window": (3, 3)})
    m2 = Op(OpKind.MATMUL, "m", ((4, 9, 8), (4, 8, 9)), (4, 9, 9), {"window": None})
    assert signature(m1, "matmul") == signature(m2, "matmul")
    assert signature(m1, "matmul", "x") != signature(m1, "matmul")


def test_each_visit_settles_before_it_is_timed():
    log: list[str] = []
    bench = Bench(lambda: log.append("run"))
    samples = interleaved([bench], repeats=2, rounds=3, warmup=0, settle=1)
    assert len(samples[0]) == 6 and len(log) == 9  # 3 rounds × (1 settle + 2 timed)
