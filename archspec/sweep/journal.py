"""A sweep's results on disk as it runs: one Parquet part per finished batch, so a killed sweep
resumes where it stopped (decision 0033).

The journal is a directory beside the output (``results.parquet`` → ``results.parquet.journal/``)
holding ``sweep.json``, the sweep's fingerprint (every input that decides which candidates make
which batch and what their rows hold), and ``part-000123.parquet``, the rows of batch 123. A
part is written to a temporary name and renamed into place, so a part that exists is whole;
a batch whose part exists is never evaluated again. Resuming with another fingerprint is an
error that names the first key that differs (E213); ``--fresh`` discards the journal.

The output (Parquet, or CSV by its extension) is assembled from the parts at the end, sorted
by candidate; the journal stays, so rerunning the same sweep with other constraints or
objectives evaluates nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Span, SpecError, error

if TYPE_CHECKING:
    import pyarrow as pa

SUFFIX = ".journal"
FINGERPRINT = "sweep.json"
FORMAT = "archspec-sweep-journal"
VERSION = 1
_PART = re.compile(r"part-([0-9]+)\.parquet")
_FRESH = "rerun with --fresh to discard it and start over, or give another -o"


def file_hash(path: str | os.PathLike[str] | None) -> str | None:
    """The SHA-256 of a file's bytes (None for no file)."""
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fingerprint(*, space: str | os.PathLike[str], base: str | os.PathLike[str],
                variant: str | None, axes: Sequence[str], sampler: str, samples: int | None,
                seed: int | None, device: str | os.PathLike[str] | None,
                select: Sequence[str] | None, ignore: Sequence[str] | None, batch_size: int
                ) -> dict[str, Any]:
    """What decides a sweep's batches and their rows: the space file's and base spec's text
    (by hash), the variant and axes, the sampler, samples and seed, the device profile (by
    hash), the rule selection, the batch size and the archspec version. Keys in the order a
    mismatch is reported."""
    from archspec import __version__

    return {
        "space": file_hash(space), "base": file_hash(base), "variant": variant,
        "axes": list(axes), "sampler": sampler, "samples": samples, "seed": seed,
        "device": file_hash(device), "select": None if select is None else list(select),
        "ignore": None if ignore is None else list(ignore), "batch_size": batch_size,
        "archspec": __version__,
    }


class Journal:
    """The parts of one sweep, in ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory

    @classmethod
    def beside(cls, output: str | os.PathLike[str]) -> Journal:
        out = Path(output)
        return cls(out.with_name(out.name + SUFFIX))

    @property
    def fingerprint_file(self) -> Path:
        return self.directory / FINGERPRINT

    def part(self, batch: int) -> Path:
        return self.directory / f"part-{batch:06d}.parquet"

    # ---------------------------------------------------------------------------- lifecycle

    def start(self, fingerprint: Mapping[str, Any], *, fresh: bool = False) -> None:
        """Open the journal for this sweep: a new one, or the one a run of the same sweep left
        (its parts kept). Another sweep's journal is a SpecError (E213, or E214 when it cannot
        be read), unless ``fresh`` discards it first."""
        if fresh:
            self.discard()
        if self.fingerprint_file.exists():
            self._check(fingerprint)
        elif not fresh and self.directory.exists() and any(self.directory.iterdir()):
            raise SpecError([error(
                "E214", f"{self.directory} is not a sweep's journal (no {FINGERPRINT})",
                fix=_FRESH)])
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob(".*.tmp"):  # a write that a kill interrupted
            stale.unlink(missing_ok=True)
        if not self.fingerprint_file.exists():
            text = json.dumps({"format": FORMAT, "version": VERSION,
                               "fingerprint": dict(fingerprint)}, indent=2) + "\n"
            _replace(self.fingerprint_file, text.encode())

    def discard(self) -> None:
        """Remove the journal: its parts, fingerprint and temporary files, then the directory
        (anything else in it is left, and so is the directory)."""
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            if _PART.fullmatch(path.name) or path.name == FINGERPRINT or \
                    (path.name.startswith(".") and path.name.endswith(".tmp")):
                path.unlink()
        if not any(self.directory.iterdir()):
            self.directory.rmdir()

    def _check(self, fingerprint: Mapping[str, Any]) -> None:
        path = self.fingerprint_file
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
            ok = isinstance(data, dict) and data.get("format") == FORMAT
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            text, data, ok = "", None, False
        if not ok or not isinstance(data, dict) or data.get("version") != VERSION or \
                not isinstance(data.get("fingerprint"), dict):
            raise SpecError([error("E214", f"{path} is not a sweep journal's fingerprint "
                                   f"this archspec reads", Span(str(path), 1, 1), fix=_FRESH)])
        theirs: dict[str, Any] = data["fingerprint"]
        for key in dict.fromkeys([*fingerprint, *theirs]):
            if theirs.get(key) != fingerprint.get(key):
                raise SpecError([error(
                    "E213", f"the journal {self.directory} is another sweep's: its `{key}` is "
                    f"{_shown(theirs.get(key))}, this sweep's {_shown(fingerprint.get(key))}",
                    _span_of(path, text, key), fix=_FRESH)])

    # ------------------------------------------------------------------------------- parts

    def done(self) -> dict[int, Path]:
        """The journaled parts, by batch number."""
        if not self.directory.is_dir():
            return {}
        found = {}
        for path in self.directory.iterdir():
            m = _PART.fullmatch(path.name)
            if m:
                found[int(m.group(1))] = path
        return found

    def write(self, batch: int, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
              ) -> Path:
        """Journal one batch's rows, whole or not at all."""
        import pyarrow.parquet as pq

        path = self.part(batch)
        table = to_table(rows, columns)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    def rows_in(self, batches: Iterable[int]) -> int:
        """How many rows those batches' parts hold (read from their footers)."""
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(self.part(b)).num_rows for b in batches)

    def read(self, batches: Iterable[int]) -> pa.Table:
        """Those batches' rows as one table, sorted by candidate."""
        import pyarrow.parquet as pq

        tables = [pq.read_table(self.part(b)) for b in sorted(batches)]
        table = unify(tables)
        return table.sort_by("candidate") if table.num_rows else table


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text[:14] + "…\"" if isinstance(value, str) and len(value) > 16 else text


def _span_of(path: Path, text: str, key: str) -> Span:
    """Where ``key`` is written in the fingerprint file (its first line when it is not)."""
    marker = f'"{key}":'
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(marker):
            return Span(str(path), number, line.index(marker) + 1)
    return Span(str(path), 1, 1)


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, synced, renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------------------- tables


def to_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pa.Table:
    """Rows as an Arrow table: ``columns`` first, then any other key, in order. A column's
    type is that of its values: booleans, integers, numbers (integers and floats together),
    else text (a value that is not a string as JSON)."""
    import pyarrow as pa

    names = list(dict.fromkeys([*columns, *(k for row in rows for k in row)]))
    return pa.table({name: _array([row.get(name) for row in rows]) for name in names})


def _array(values: list[Any]) -> pa.Array:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values))
    if all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.int64())
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values],
                    pa.string())


def unify(tables: Sequence[pa.Table]) -> pa.Table:
    """Parts as one table: every column of any part (null where a part lacks it), each of one
    type: a part's all-null column takes the others' type, integers and floats meet as
    floats, anything else that differs as text."""
    import pyarrow as pa

    if not tables:
        return pa.table({})
    names = list(dict.fromkeys(n for t in tables for n in t.column_names))
    types = {n: _common([t.schema.field(n).type for t in tables if n in t.column_names])
             for n in names}
    out = []
    for t in tables:
        columns = {n: t.column(n).cast(types[n]) if n in t.column_names
                   else pa.nulls(t.num_rows, types[n]) for n in names}
        out.append(pa.table(columns))
    return pa.concat_tables(out)


def _common(types: list[pa.DataType]) -> pa.DataType:
    import pyarrow as pa

    known = list(dict.fromkeys(t for t in types if t != pa.null()))
    if not known:
        return pa.null()
    if len(known) == 1:
        return known[0]
    if set(known) <= {pa.int64(), pa.float64()}:
        return pa.float64()
    return pa.string()


def write_results(table: pa.Table, path: str | os.PathLike[str],
                  metadata: Mapping[str, str] | None = None) -> None:
    """The assembled results: CSV when ``path`` ends in ``.csv``, else Parquet (with
    ``metadata`` in its schema); written whole or not at all."""
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    out = Path(path)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            if out.suffix.lower() == ".csv":
                csv.write_csv(table, f)
            else:
                pq.write_table(table.replace_schema_metadata(dict(metadata or {})), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
