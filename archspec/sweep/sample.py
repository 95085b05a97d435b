"""Candidates from a space: the grid, random draws, or a scrambled Sobol sequence, lazily.

Every sampler picks one value per sampled axis (ties are derived, :meth:`Space.combine`), drops
the combinations a ``skip:`` condition matches, and numbers the rest 0, 1, 2, … in the order it
yields them: the same space, sampler, sample count and seed give the same candidates in the same
order, on every run (the journal of a resumed sweep relies on it).

* ``grid``: every combination once, in file order with the last axis varying fastest (as
  ``itertools.product``); ``samples`` keeps the first N.
* ``random``: combinations drawn uniformly *without replacement* (a lazily built Fisher–Yates
  shuffle of the grid's indices, ``random.Random(seed)``), so no candidate is evaluated twice
  and, with ``samples`` at least the grid's size, the whole grid comes in a random order.
* ``sobol``: a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``, seeded), one dimension per
  sampled axis, each coordinate mapped to a value by ``floor(u · n)``; a combination already
  yielded is not yielded again, so a small grid is not evaluated twice over.

Bounds (decision: never unbounded time or memory): a sampler makes at most :func:`draw_limit`
draws — every combination for a grid or random run without ``samples`` (at most
:data:`MAX_DRAWS`, else E206), else 100 per requested sample (at least 100,000, at most
:data:`MAX_DRAWS`) and never more than the grid has. When ``skip:`` rejects nearly everything, a
sampler stops there and yields fewer candidates than asked: it never loops forever. Memory is
O(draws) for ``random`` and ``sobol`` (the shuffle's swaps, the indices seen), O(1) for ``grid``.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Iterator, Sequence
from typing import Literal

from archspec.diagnostics import SpecError, error
from archspec.sweep.model import Candidate
from archspec.sweep.space import TOO_LARGE, Space

Sampler = Literal["grid", "random", "sobol"]
SAMPLERS: tuple[Sampler, ...] = ("grid", "random", "sobol")

#: the most draws any sampler makes, and the most combinations a grid enumerates
MAX_DRAWS = 10_000_000
#: the most candidates one sweep may ask for
MAX_SAMPLES = MAX_DRAWS
#: draws allowed per requested sample before a sampler gives up on a space ``skip:`` empties
DRAWS_PER_SAMPLE = 100
MIN_DRAWS = 100_000
#: Sobol points drawn at a time (a power of two keeps the sequence's balance)
SOBOL_CHUNK = 1024


def draw_limit(space: Space, samples: int | None, sampler: Sampler = "grid") -> int:
    """The most draws a sampler makes (skipped combinations and, for sobol, repeats included)."""
    size = space.size()
    if samples is None:
        return size
    limit = min(MAX_DRAWS, max(MIN_DRAWS, DRAWS_PER_SAMPLE * samples))
    return limit if sampler == "sobol" else min(size, limit)


def sample(space: Space, sampler: Sampler, samples: int | None, seed: int
           ) -> Iterator[Candidate]:
    """The space's candidates, lazily. ValueError for an unknown sampler, a sample count out of
    1..:data:`MAX_SAMPLES`, or ``sobol`` without one; SpecError (E206, at the space's ``space:``)
    for a grid or random run over more than :data:`MAX_DRAWS` combinations without one. Checked
    at the call, before the first candidate is asked for."""
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; one of {', '.join(SAMPLERS)}")
    if samples is not None and (type(samples) is not int or not 1 <= samples <= MAX_SAMPLES):
        raise ValueError(f"samples must be an integer from 1 to {MAX_SAMPLES:,}, "
                         f"got {samples!r}")
    if samples is None and sampler == "sobol":
        raise ValueError("the sobol sampler needs a sample count (--samples N)")
    size = space.size()
    if samples is None and size > MAX_DRAWS:
        raise SpecError([error(
            TOO_LARGE, f"the space has {size:,} combinations; a {sampler} run of all of them "
            f"enumerates at most {MAX_DRAWS:,}", space.span, key_path=("space",),
            fix="give a sample count (--samples N), or narrow the axes")])
    limit = draw_limit(space, samples, sampler)
    if sampler == "grid":
        indices = iter(range(limit))
    elif sampler == "random":
        indices = _shuffled(size, limit, seed)
    else:
        indices = _sobol(space, size, limit, seed)
    return _candidates(space, indices, samples)


def _candidates(space: Space, indices: Iterator[int], samples: int | None
                ) -> Iterator[Candidate]:
    columns = [a.values for a in space.sampled]
    lengths = [len(c) for c in columns]
    paths = space.paths
    kept = 0
    for index in indices:
        digits = _digits(index, lengths)
        by_path = space.assign([c[d] for c, d in zip(columns, digits, strict=True)])
        if space.skipped(by_path):
            continue
        yield Candidate(kept, tuple((p, by_path[p]) for p in paths))
        kept += 1
        if samples is not None and kept >= samples:
            return


def _digits(index: int, lengths: Sequence[int]) -> list[int]:
    """``index`` in the mixed radix of the axes' lengths, the first axis most significant."""
    digits = [0] * len(lengths)
    for i in range(len(lengths) - 1, -1, -1):
        index, digits[i] = divmod(index, lengths[i])
    return digits


def _index(digits: Sequence[int], lengths: Sequence[int]) -> int:
    index = 0
    for d, n in zip(digits, lengths, strict=True):
        index = index * n + d
    return index


def _shuffled(size: int, limit: int, seed: int) -> Iterator[int]:
    """The first ``limit`` indices of a random permutation of ``range(size)``, drawn lazily
    (Fisher–Yates with the swaps kept in a dict: O(draws) memory whatever the size)."""
    rng = random.Random(seed)
    moved: dict[int, int] = {}
    for i in range(limit):
        j = rng.randrange(i, size)
        chosen = moved.get(j, j)
        if j != i:
            moved[j] = moved.pop(i, i)
        else:
            moved.pop(i, None)
        yield chosen


def _sobol(space: Space, size: int, limit: int, seed: int) -> Iterator[int]:
    """Grid indices from a scrambled Sobol sequence, each at most once: ``limit`` draws, or
    until all ``size`` combinations came."""
    import numpy as np
    from scipy.stats import qmc

    lengths = [len(a.values) for a in space.sampled]
    generator = np.random.default_rng(seed)
    # scipy ≥ 1.15 calls the generator `rng`, earlier ones `seed`: the same stream either way
    key = "rng" if "rng" in inspect.signature(qmc.Sobol).parameters else "seed"
    engine = qmc.Sobol(len(lengths), scramble=True, **{key: generator})
    top = np.array(lengths, dtype=np.int64)
    seen: set[int] = set()
    drawn = 0
    while drawn < limit and len(seen) < size:
        points = engine.random(SOBOL_CHUNK)
        digits = np.minimum((points * top).astype(np.int64), top - 1)
        for row in digits.tolist():
            if drawn >= limit:
                return
            drawn += 1
            index = _index(row, lengths)
            if index not in seen:
                seen.add(index)
                yield index
                if len(seen) >= size:
                    return
