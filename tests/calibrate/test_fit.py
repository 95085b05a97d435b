"""The fit recovers a latency model from timings made up with known coefficients."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("numpy")

from archspec.calibrate.fit import fit, nnls  # noqa: E402
from archspec.calibrate.samples import KernelTiming, NetworkTiming  # noqa: E402
from archspec.latency.kernels import kernel_group  # noqa: E402

# made-up true coefficients per class: (calls, macs, in, out, weights) in ms per unit
TRUE = {
    "conv.pw": (0.01, 2e-8, 1e-6, 0.0, 5e-7),
    "conv.dw.k3": (0.008, 0.0, 3e-6, 2e-6, 0.0),
    "act.relu": (0.004, 0.0, 1e-6, 1e-6, 0.0),
}


def _true_ms(cls: str, feats: tuple[float, ...]) -> float:
    return sum(c * f for c, f in zip(TRUE[cls], feats, strict=True))


def _kernel(rng: random.Random, cls: str) -> tuple[float, ...]:
    hw = rng.choice([7 * 7, 14 * 14, 28 * 28, 56 * 56])
    cin, cout = rng.randrange(8, 256), rng.randrange(8, 256)
    if cls == "conv.pw":
        return (1.0, cin * cout * hw, cin * hw, cout * hw, cin * cout)
    if cls == "conv.dw.k3":
        return (1.0, 9 * cin * hw, cin * hw, cin * hw, 9 * cin)
    return (1.0, 0.0, cin * hw, cin * hw, 0.0)


def _kernels(seed: int, n: int) -> list[KernelTiming]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        cls = list(TRUE)[i % len(TRUE)]
        feats = _kernel(rng, cls)
        out.append(KernelTiming(cls, feats, _true_ms(cls, feats), 0.01))
    return out


def test_nnls_matches_a_known_nonnegative_solution() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((40, 5))
    x = np.array([1.0, 0.0, 2.0, 0.0, 0.5])
    assert np.allclose(nnls(a, a @ x), x, atol=1e-8)


def test_nnls_never_goes_negative() -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    x = nnls(rng.standard_normal((30, 6)), rng.standard_normal(30))
    assert (x >= 0).all()


def test_noise_free_kernels_are_predicted_exactly_on_kernels_never_seen() -> None:
    """(A depthwise conv reads and writes as many elements: only the sum of those two
    coefficients is identifiable, so predictions are compared, not coefficients.)"""
    result = fit(_kernels(0, 90), [])
    for cls in TRUE:
        got = result.classes[cls]
        assert got.samples == 30
        assert got.mape is not None and got.mape < 1e-6
    for k in _kernels(1, 30):
        assert result.classes[k.cls].ms(k.features) == pytest.approx(k.ms, rel=1e-6)
    assert result.classes["conv.pw"].coef == pytest.approx(TRUE["conv.pw"], rel=1e-4)


def test_networks_fit_a_scale_and_a_per_kernel_overhead() -> None:
    """Networks whose kernels run 1.5× slower than alone, plus 0.02 ms each, plus 0.3 ms."""
    ks = _kernels(0, 90)
    rng = random.Random(5)
    nets = []
    for i in range(40):
        totals: dict[str, list[float]] = {}
        count = 0
        isolated = 0.0
        for _ in range(rng.randrange(5, 40)):
            cls = rng.choice(list(TRUE))
            feats = _kernel(rng, cls)
            row = totals.setdefault(cls, [0.0] * 5)
            for j, v in enumerate(feats):
                row[j] += v
            count += 1
            isolated += _true_ms(cls, feats)
        nets.append(NetworkTiming(f"n{i}", totals, count, 1.5 * isolated + 0.02 * count + 0.3,
                                  0.01))
    result = fit(ks, nets)
    corr = result.network
    assert corr.per_kernel_ms == pytest.approx(0.02, rel=0.05)
    assert corr.constant_ms == pytest.approx(0.3, rel=0.2, abs=0.05)
    for cls in TRUE:
        assert corr.factor(cls) == pytest.approx(1.5, rel=0.02)
    assert result.report["network_within_5pct"] == 1.0


def test_a_class_slower_in_context_gets_its_own_factor() -> None:
    """Element-wise kernels 2× slower inside networks, the rest as alone."""
    ks = _kernels(0, 90)
    rng = random.Random(6)
    nets = []
    for i in range(60):
        totals: dict[str, list[float]] = {}
        ms = 0.0
        count = 0
        for _ in range(rng.randrange(5, 40)):
            cls = rng.choice(list(TRUE))
            feats = _kernel(rng, cls)
            row = totals.setdefault(cls, [0.0] * 5)
            for j, v in enumerate(feats):
                row[j] += v
            count += 1
            ms += _true_ms(cls, feats) * (2.0 if kernel_group(cls) == "elementwise" else 1.0)
        nets.append(NetworkTiming(f"n{i}", totals, count, ms, 0.01))
    corr = fit(ks, nets, ridge=0.01).network
    assert corr.factor("act.relu") == pytest.approx(2.0, rel=0.1)
    assert corr.factor("conv.pw") == pytest.approx(1.0, rel=0.05)


def test_blocks_in_context_carry_no_network_constant() -> None:
    """Blocks timed inside their networks are rows without the per-network constant: with
    blocks 1.3× slower than alone plus 0.01 ms a kernel, and networks adding 0.5 ms, the fit
    finds all three."""
    ks = _kernels(0, 90)
    rng = random.Random(7)

    def row(name: str, constant: float) -> NetworkTiming:
        totals: dict[str, list[float]] = {}
        iso = 0.0
        count = rng.randrange(3, 12)
        for _ in range(count):
            cls = rng.choice(list(TRUE))
            feats = _kernel(rng, cls)
            sums = totals.setdefault(cls, [0.0] * 5)
            for j, v in enumerate(feats):
                sums[j] += v
            iso += _true_ms(cls, feats)
        return NetworkTiming(name, totals, count, 1.3 * iso + 0.01 * count + constant, 0.01)

    nets = [row(f"n{i}", 0.5) for i in range(20)]
    blocks = [row(f"n{i // 10}/b{i}", 0.0) for i in range(200)]
    result = fit(ks, nets, blocks, ridge=0.01)
    corr = result.network
    assert corr.constant_ms == pytest.approx(0.5, rel=0.1)
    assert corr.per_kernel_ms == pytest.approx(0.01, rel=0.1)
    assert corr.factor("conv.pw") == pytest.approx(1.3, rel=0.02)
    assert result.report["block_within_5pct"] == 1.0


def test_grouped_variants_divide_the_work_by_their_groups() -> None:
    """A 1×1 conv c1→c2 on h×w made grouped by g does c1·c2·h·w/g multiply-accumulates and
    holds c1·c2/g weights."""
    from archspec.calibrate.nets import grouped_variants
    from archspec.graph.cost import cost_of
    from archspec.graph.op import Op, OpKind

    attrs = {"k": 1, "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": False}
    dense = Op(OpKind.CONV, "c", ((48, 14, 14),), (96, 14, 14), attrs)
    cost = cost_of(dense)
    dense = Op(OpKind.CONV, "c", ((48, 14, 14),), (96, 14, 14), attrs, params=cost.params,
               macs=cost.macs, mem_access=cost.mem_access)
    made = grouped_variants([dense], groups=(2, 4, 5, 8), every=1)
    assert [op.attrs["groups"] for op in made] == [2, 4, 8]  # 5 divides neither width
    for op in made:
        g = op.attrs["groups"]
        assert op.macs == 48 * 96 * 14 * 14 // g
        assert op.params == 48 * 96 // g
