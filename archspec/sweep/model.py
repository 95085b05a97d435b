"""The records every part of a sweep shares: a candidate and the columns of its row.

A candidate is its position in the sampler's sequence and the value of every axis (tied axes
included), keyed by the axis path as the space file writes it. A row is a flat mapping of
plain values (int, float, str, bool, None), so it goes into Parquet, CSV and JSON alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: a figure of the analysis, as ``archspec profile --format json`` names its totals
TOTALS = ("params", "macs", "flops", "mem_access_elems", "peak_activation_bytes")
#: findings by severity
COUNTS = ("errors", "warnings", "info")
#: the row's identity and outcome, first in every table
IDENTITY = ("candidate", "overrides", "status", "error")


@dataclass(frozen=True)
class Candidate:
    """One point of the space: ``index`` is its position in the sampled sequence (the same for
    the same space, sampler, samples and seed), ``values`` each axis's value by its path."""

    index: int
    values: tuple[tuple[str, Any], ...]

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.values)

    def overrides_json(self) -> str:
        """The overrides as one JSON object (the ``overrides`` column; --export reads it)."""
        return json.dumps(self.overrides, sort_keys=False, separators=(",", ":"))


def cell(value: Any) -> Any:
    """A value as a table cell: scalars as they are, anything else (a list of kernel sizes) as
    JSON text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, separators=(",", ":"))


def overrides_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's overrides, by axis path."""
    data = json.loads(str(row["overrides"]))
    assert isinstance(data, dict)
    return data
