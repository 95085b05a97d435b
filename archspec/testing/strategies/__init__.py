"""Hypothesis strategies for archspec spec documents (``pip install 'archspec[testing]'``).

* :func:`documents` — valid spec documents as plain dicts, ready for ``archspec.dump`` and
  ``archspec.loads``: every block family and option, template and explicit stages, ``first``
  overrides (same family or a replacement), ``defaults``, width multipliers, variants (width,
  input size, stage overrides, whole stage lists), square and non-square inputs.
* :func:`specs` — the same documents with what the generator knows about them: the output shape
  of every variant (an oracle independent of archspec's resolver) and every explicit block's
  input shapes.
* :func:`near_misses` — documents that break exactly one field, with the key path of that field
  and the error code archspec must report there.
* :func:`blocks` — one block valid at a given input shape (optionally shape-preserving).
* :func:`mutated_texts`, :func:`mutated_trees` — fuzzing inputs derived from an existing spec.

Validity is by construction, never by filtering: every choice is drawn from the values that keep
the block buildable in every variant at once (``dim_head`` divides the input width of every
variant, ``groups`` divides both widths, channel splits are whole, a skip is only written where
the shapes allow it, a pool window fits the map ...). Networks stay small enough to build in
milliseconds: written widths ≤ 32, input sides ≤ 24, stage depth ≤ 2, at most three stages.

The generator carries its own model of shapes and widths (``make_divisible``, convolution
arithmetic, ``mid`` rounding), written from the papers and PyTorch's formulas rather than
imported from the resolver, so :attr:`GeneratedSpec.outputs` can check the resolver.

Layout: one generator per block family in ``families/<tag>.py`` (found by the block registry's
tags: :mod:`.registry`), the width and shape model in :mod:`.world`, drawing helpers in
:mod:`.draw`, one block at a site in :mod:`.compose`, stages and documents in :mod:`.stages` and
:mod:`.network`, near misses in :mod:`.near_misses` and :mod:`.breaks` (field breaks derived from
the models in :mod:`.fields`), fuzzing inputs in :mod:`.mutation`.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  (fail early with the install hint)
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("archspec.testing.strategies needs hypothesis: "
                      "pip install 'archspec[testing]'") from exc

from archspec.testing.strategies.compose import blocks
from archspec.testing.strategies.draw import ACTS, NORM_TYPES
from archspec.testing.strategies.mutation import mutated_texts, mutated_trees
from archspec.testing.strategies.near_misses import BREAKS, near_misses
from archspec.testing.strategies.network import documents, specs
from archspec.testing.strategies.records import GeneratedSpec, NearMiss, Site
from archspec.testing.strategies.registry import MissingGenerator, families
from archspec.testing.strategies.shufflenet import shufflenets
from archspec.testing.strategies.stages import names
from archspec.testing.strategies.world import MAX_SIZE, MAX_WIDTH, make_divisible

#: Every block family the strategies draw: the block registry's tags, each with its generator.
FAMILIES: tuple[str, ...] = families()

__all__ = [
    "ACTS", "BREAKS", "FAMILIES", "MAX_SIZE", "MAX_WIDTH", "NORM_TYPES", "GeneratedSpec",
    "MissingGenerator", "NearMiss", "Site", "blocks", "documents", "make_divisible",
    "mutated_texts", "mutated_trees", "names", "near_misses", "shufflenets", "specs",
]
