"""The samplers: deterministic for a seed, different across seeds, skips honoured, ties derived,
bounded whatever the space and its skips."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archspec.diagnostics import SpecError
from archspec.sweep.sample import MAX_DRAWS, SAMPLERS, sample
from archspec.sweep.skip import compile_skip
from archspec.sweep.space import Axis, Space, Steps, load_space
from tests.sweep._support import bounded, write_space

SPACE = """\
sweep: 1
base: BASE
space:
  stages.s3.depth: [6, 8, 10]
  stages.s3.block.exp: {min: 2.0, max: 4.0, step: 0.5}
  input.size: [224, 256]
  stages.s3.first.exp: {tie: stages.s3.block.exp, times: 2.0}
skip:
  - stages.s3.depth == 10 and input.size == 256
"""


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Space:
    return load_space(write_space(tmp_path_factory.mktemp("space"), SPACE))


def values(space: Space, sampler: str, samples: int | None, seed: int = 0) -> list[tuple]:
    return [c.values for c in sample(space, sampler, samples, seed)]  # type: ignore[arg-type]


def small(*lengths: int, skip: str | None = None) -> Space:
    """A space of integer choice axes `a.x0`, `a.x1`, … (no base needed to sample)."""
    axes = tuple(Axis(f"a.x{i}", "choices", tuple(range(n))) for i, n in enumerate(lengths))
    kinds = {a.path: "number" for a in axes}
    skips = (compile_skip(skip, kinds),) if skip else ()
    return Space("<test>", "<base>", None, axes, skips)


def test_the_grid_is_every_combination_in_file_order_minus_skips(space: Space) -> None:
    grid = values(space, "grid", None)
    assert len(grid) == space.size() - 5  # depth 10 at 256: five values of exp
    expected = [space.combine(c) for c in itertools.product(
        [6, 8, 10], [2.0, 2.5, 3.0, 3.5, 4.0], [224, 256])]
    assert grid == [v for v in expected if not space.skipped(v)]


def test_candidates_are_numbered_after_skips(space: Space) -> None:
    for sampler in SAMPLERS:
        indices = [c.index for c in sample(space, sampler, 20, 3)]  # type: ignore[arg-type]
        assert indices == list(range(len(indices)))


def test_ties_are_derived_in_every_candidate(space: Space) -> None:
    for sampler in SAMPLERS:
        for c in sample(space, sampler, 25, 1):  # type: ignore[arg-type]
            v = dict(c.values)
            assert v["stages.s3.first.exp"] == v["stages.s3.block.exp"] * 2
            assert [p for p, _ in c.values] == list(space.paths)


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_a_seed_gives_the_same_candidates_and_another_seed_others(space: Space,
                                                                  sampler: str) -> None:
    first = values(space, sampler, 12, seed=1)
    assert first == values(space, sampler, 12, seed=1)
    assert first != values(space, sampler, 12, seed=2)
    assert len(first) == 12


def test_the_grid_ignores_the_seed_and_samples_keep_its_first(space: Space) -> None:
    assert values(space, "grid", 7, seed=1) == values(space, "grid", 7, seed=9) == \
        values(space, "grid", None)[:7]


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_draws_never_repeat_a_candidate(space: Space, sampler: str) -> None:
    drawn = values(space, sampler, 1000, seed=5)
    assert len(drawn) == len(set(drawn)) == space.size() - 5  # all of them, each once


def test_random_without_samples_is_the_whole_grid_shuffled(space: Space) -> None:
    shuffled = values(space, "random", None, seed=4)
    grid = values(space, "grid", None)
    assert sorted(shuffled) == sorted(grid) and shuffled != grid


def test_sobol_needs_a_sample_count_and_counts_are_checked(space: Space) -> None:
    with pytest.raises(ValueError, match="sobol"):
        sample(space, "sobol", None, 0)
    for bad in (0, -1, MAX_DRAWS + 1, 2.5):
        with pytest.raises(ValueError, match="samples"):
            sample(space, "random", bad, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown sampler"):
        sample(space, "halton", 3, 0)  # type: ignore[arg-type]


def test_a_grid_too_large_to_enumerate_is_e206_at_the_call() -> None:
    huge = small(10_000, 10_000)
    with pytest.raises(SpecError) as caught:
        sample(huge, "grid", None, 0)
    assert caught.value.diagnostics[0].code == "E206"
    with pytest.raises(SpecError):
        sample(huge, "random", None, 0)
    assert len(values(huge, "grid", 3)) == 3  # with a count it is fine


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_a_skip_that_skips_everything_returns_and_does_not_hang(sampler: str) -> None:
    everything = small(10_000, 10_000, 10_000, skip="a.x0 >= 0")
    assert bounded(lambda: values(everything, sampler, 5)) == []


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sampling_is_lazy_on_a_huge_space(sampler: str) -> None:
    axes = tuple(Axis(f"a.x{i}", "range", Steps(0, 1, 10_000_000, True)) for i in range(20))
    huge = Space("<test>", "<base>", None, axes)
    assert huge.size() == 10 ** 140
    first = bounded(lambda: next(sample(huge, sampler, 10_000_000, 0)))  # type: ignore[arg-type]
    assert len(first.values) == 20


def test_ten_thousand_candidates_come_from_a_real_space(tmp_path: Path) -> None:
    big = load_space(write_space(tmp_path, """\
        sweep: 1
        base: BASE
        space:
          stages.s3.depth: {min: 1, max: 20}
          stages.s3.block.exp: {min: 1.0, max: 6.0, step: 0.25}
          stages.*.block.dw_k: [3, 5, 7]
          input.size: {min: 160, max: 320, step: 32}
          width.mult: [0.5, 0.75, 1.0]
          stages.s3.first.exp: {tie: stages.s3.block.exp, times: 2}
        """))
    assert big.size() == 20 * 21 * 3 * 6 * 3
    for sampler in SAMPLERS:
        got = bounded(lambda s=sampler: values(big, s, 10_000, 0))
        assert len(got) == len(set(got)) == 10_000


@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       threshold=st.integers(0, 6))
def test_grid_enumerates_exactly_size_minus_skipped(lengths: list[int], threshold: int) -> None:
    skip = " + ".join(f"a.x{i}" for i in range(len(lengths))) + f" > {threshold}"
    space = small(*lengths, skip=skip)
    everything = [space.combine(c) for c in itertools.product(*(range(n) for n in lengths))]
    kept = [v for v in everything if sum(x for _, x in v) <= threshold]
    assert values(space, "grid", None) == kept
    for sampler in ("random", "sobol"):
        drawn = values(space, sampler, space.size(), seed=threshold)
        assert sorted(drawn) == sorted(kept)


@given(seed=st.integers(0, 2 ** 32), samples=st.integers(1, 40))
def test_random_draws_are_distinct_and_in_the_space(seed: int, samples: int) -> None:
    space = small(5, 4, 3)
    drawn = values(space, "random", samples, seed)
    assert len(drawn) == min(samples, 60) == len(set(drawn))
    assert drawn == values(space, "random", samples, seed)
