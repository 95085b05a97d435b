"""One row of a sweep's results as a standalone spec: ``archspec sweep --export RESULTS ROW``.

A row keeps its overrides (the ``overrides`` column, JSON by axis path); its base spec and variant
are recorded once for the whole results file (:func:`results_metadata`: Parquet schema metadata
under :data:`METADATA_KEY`). :func:`export` merges the row's overrides onto the base variant with
the same code the sweep evaluated it with (:func:`archspec.sweep.apply.candidate_network`),
writes the merged network as a spec without ``variants:`` and with the overrides, the space and
the base in a header comment, and checks that the text loads back before writing it. Analysed,
the file has its row's figures.

A CSV file has no place for metadata: give the space (``space=``), or its base and variant are
read from a Parquet file's metadata only.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import SpecError

if TYPE_CHECKING:
    from archspec.sweep.space import Space

__all__ = ["METADATA_KEY", "ExportError", "Origin", "export", "exported_text", "read_row",
           "results_metadata"]

#: the key of a Parquet file's schema metadata that names the sweep's space, base and variant
METADATA_KEY = "archspec.sweep"


class ExportError(ValueError):
    """A row that cannot be exported: not in the results, an error row, no base recorded. The
    message is for people (the CLI shows it and exits 2)."""


@dataclass(frozen=True)
class Origin:
    """Where a sweep's candidates come from: the space file, the base spec and variant."""

    space: str
    base: str
    variant: str | None


def results_metadata(space: Space) -> dict[str, str]:
    """What a results file records about its sweep (Parquet schema metadata; ``export`` reads
    it back)."""
    return {METADATA_KEY: json.dumps({"space": os.path.abspath(space.file), "base": space.base,
                                      "variant": space.variant})}


def _origin(results: str, space: Space | None) -> Origin:
    if space is not None:
        return Origin(os.path.abspath(space.file), space.base, space.variant)
    recorded = _parquet_metadata(results) if _is_parquet(results) else None
    if recorded is None:
        raise ExportError(f"{results} does not record its sweep's base spec: pass the space "
                          "file too")
    try:
        data = json.loads(recorded)
        return Origin(str(data["space"]), str(data["base"]),
                      None if data["variant"] is None else str(data["variant"]))
    except (ValueError, KeyError, TypeError):
        raise ExportError(f"{results}: unreadable `{METADATA_KEY}` metadata") from None


def _is_parquet(path: str) -> bool:
    return Path(path).suffix.lower() in (".parquet", ".pq")


def _parquet_metadata(path: str) -> str | None:
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    value = meta.get(METADATA_KEY.encode())
    return value.decode("utf-8") if value is not None else None


def read_row(results: str | os.PathLike[str], row: int) -> dict[str, Any]:
    """The row whose ``candidate`` is ``row``, from a Parquet or CSV results file (its
    ``candidate``, ``overrides``, ``status`` and ``error`` cells)."""
    path = os.fsdecode(results)
    if not os.path.isfile(path):
        raise ExportError(f"no results file {path}")
    wanted = ("candidate", "overrides", "status", "error")
    if _is_parquet(path):
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
        _require(path, names)
        table = pq.read_table(path, columns=[c for c in wanted if c in names])
        hits = table.filter(pc.equal(table["candidate"], row)).to_pylist()
        count = table.num_rows
    else:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            _require(path, reader.fieldnames or [])
            hits, count = [], 0
            for record in reader:
                count += 1
                if record["candidate"].strip() == str(row):
                    hits.append({k: record.get(k) for k in wanted})
    if not hits:
        raise ExportError(f"no row with candidate {row} in {path} ({count:,} rows)")
    return dict(hits[0])


def _require(path: str, names: list[str] | Any) -> None:
    missing = [c for c in ("candidate", "overrides") if c not in names]
    if missing:
        raise ExportError(f"{path} is not a sweep's results: no column "
                          + ", ".join(f"`{c}`" for c in missing))


def exported_text(origin: Origin, overrides: Mapping[str, Any], *, results: str = "RESULTS",
                  row: int | str = "ROW") -> str:
    """The standalone spec of one candidate: a header comment, then the merged network."""
    from archspec.spec.document import dump, load, loads
    from archspec.sweep.apply import candidate_network

    document = load(origin.base)
    network, problems = candidate_network(document, origin.variant, overrides)
    if problems:
        raise ExportError("the overrides do not merge onto the base: " +
                          "; ".join(f"{d.code} {d.message}" for d in problems))
    header = [f"# archspec sweep --export {results} {row}",
              f"# space: {origin.space}",
              f"# base: {origin.base}" + (f" (variant {origin.variant})"
                                          if origin.variant else ""),
              f"# overrides: {json.dumps(dict(overrides), separators=(', ', ': '))}", ""]
    text = "\n".join(header) + dump(network.data)
    try:
        loads(text, "<export>")
    except SpecError as exc:
        raise ExportError("the exported spec would not load: " +
                          "; ".join(f"{d.code} {d.message}" for d in exc.diagnostics)) from None
    return text


def export(results_path: str | os.PathLike[str], row: int, out_path: str | os.PathLike[str], *,
           space: Space | None = None) -> Path:
    """Write candidate ``row`` of ``results_path`` as a standalone spec at ``out_path``; the base
    comes from ``space`` if given, else from the results' metadata. Returns the path written."""
    from archspec.sweep.model import overrides_of

    results = os.fsdecode(results_path)
    record = read_row(results, row)
    if record.get("status") == "error":
        raise ExportError(f"candidate {row} is an error row ({record.get('error')}): it has no "
                          "spec to export")
    try:
        overrides = overrides_of(record)
    except (ValueError, AssertionError, TypeError):
        raise ExportError(f"candidate {row}: its `overrides` cell is not a JSON object") from None
    text = exported_text(_origin(results, space), overrides, results=results, row=row)
    out = Path(out_path)
    out.write_text(text, encoding="utf-8")
    return out
