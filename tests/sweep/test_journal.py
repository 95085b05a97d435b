"""The journal: parts written whole, a fingerprint that refuses another sweep's journal,
parts assembled in candidate order with one type per column, and results as Parquet or CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from archspec.diagnostics import SpecError
from archspec.sweep.journal import Journal, fingerprint, to_table, unify, write_results

from .run_support import EMO, ROOT, SMALL


def prints(**changes: Any) -> dict[str, Any]:
    base = dict(space=ROOT / SMALL, base=EMO, variant="emo_1m", axes=("a", "b"),
                sampler="grid", samples=None, seed=0, device=None, select=None, ignore=None,
                batch_size=4)
    return fingerprint(**{**base, **changes})


def test_the_journal_lives_beside_the_output(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "results.parquet")
    assert journal.directory == tmp_path / "results.parquet.journal"
    assert journal.part(123).name == "part-000123.parquet"


def test_a_new_journal_records_its_fingerprint(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start(prints())
    data = json.loads(journal.fingerprint_file.read_text())
    assert data["format"] == "archspec-sweep-journal" and data["fingerprint"] == prints()
    assert len(data["fingerprint"]["space"]) == 64  # the space file's SHA-256
    journal.start(prints())  # the same sweep again: accepted, nothing lost
    assert journal.done() == {}


@pytest.mark.parametrize(("key", "value"), [
    ("seed", 1), ("sampler", "random"), ("samples", 10), ("batch_size", 8),
    ("variant", "emo_2m"), ("select", ["G1"]), ("base", ROOT / "specs" / "ghostnet.yaml")])
def test_another_sweeps_journal_is_refused_naming_the_key(tmp_path: Path, key: str,
                                                         value: Any) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start(prints())
    journal.write(0, [{"candidate": 0, "x": 1}], ["candidate"])
    with pytest.raises(SpecError) as caught:
        journal.start(prints(**{key: value}))
    (d,) = caught.value.diagnostics
    assert d.code == "E213" and f"`{key}`" in d.message and "--fresh" in (d.fix or "")
    assert d.span.file == str(journal.fingerprint_file)
    line = journal.fingerprint_file.read_text().splitlines()[d.span.line - 1]
    assert line.strip().startswith(f'"{key}"')
    assert journal.done().keys() == {0}  # nothing was touched


def test_fresh_discards_the_journal(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start(prints())
    journal.write(0, [{"candidate": 0}], ["candidate"])
    journal.start(prints(seed=5), fresh=True)
    assert journal.done() == {}
    assert json.loads(journal.fingerprint_file.read_text())["fingerprint"]["seed"] == 5


def test_a_directory_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.directory.mkdir()
    (journal.directory / "notes.txt").write_text("mine")
    with pytest.raises(SpecError) as caught:
        journal.start(prints())
    assert caught.value.diagnostics[0].code == "E214"
    journal.start(prints(), fresh=True)  # --fresh removes only what a journal holds
    assert (journal.directory / "notes.txt").read_text() == "mine"
    journal.fingerprint_file.write_text("{not json")
    with pytest.raises(SpecError) as caught:
        journal.start(prints())
    assert caught.value.diagnostics[0].code == "E214"


def test_an_interrupted_write_leaves_no_part(tmp_path: Path) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start(prints())
    stale = journal.directory / ".part-000001.parquet.999.tmp"
    stale.write_bytes(b"half a part")
    journal.write(0, [{"candidate": 0}], ["candidate"])
    assert journal.done().keys() == {0}
    journal.start(prints())
    assert not stale.exists()
    assert sorted(p.name for p in journal.directory.iterdir()) == [
        "part-000000.parquet", "sweep.json"]


def test_parts_are_read_back_in_candidate_order_with_one_type_per_column(tmp_path: Path
                                                                         ) -> None:
    journal = Journal.beside(tmp_path / "r.parquet")
    journal.start(prints())
    columns = ["candidate", "status", "a", "params"]
    journal.write(1, [{"candidate": 3, "status": "ok", "a": 2.5, "params": 7},
                      {"candidate": 2, "status": "ok", "a": 2, "params": 8}], columns)
    journal.write(0, [{"candidate": 0, "status": "error", "a": None, "params": None},
                      {"candidate": 1, "status": "ok", "a": 3, "params": 9}], columns)
    assert journal.rows_in([0, 1]) == 4
    table = journal.read([0, 1])
    assert table.column_names == columns
    assert table.column("candidate").to_pylist() == [0, 1, 2, 3]
    assert table.schema.field("a").type == pa.float64()  # ints in one part, floats in another
    assert table.schema.field("params").type == pa.int64()
    assert table.column("a").to_pylist() == [None, 3.0, 2.0, 2.5]


def test_values_of_mixed_kinds_become_text() -> None:
    t = to_table([{"k": [3, 5]}, {"k": "auto"}, {"k": None}, {"k": True}], ["k"])
    assert t.column("k").to_pylist() == ["[3, 5]", "auto", None, "true"]
    merged = unify([to_table([{"k": 1}], ["k"]), to_table([{"k": "x"}], ["k"]),
                    to_table([{"k": None}], ["k"]), to_table([{"j": 1}], ["j"])])
    assert merged.schema.field("k").type == pa.string()
    assert merged.column("k").to_pylist() == ["1", "x", None, None]
    assert merged.column("j").to_pylist() == [None, None, None, 1]


@pytest.mark.parametrize("name", ["out.parquet", "out.csv"])
def test_results_are_parquet_or_csv_by_extension(tmp_path: Path, name: str) -> None:
    table = to_table([{"candidate": 0, "params": 5, "overrides": '{"a":1}'}],
                     ["candidate", "params", "overrides"])
    write_results(table, tmp_path / name)
    back = (pacsv.read_csv if name.endswith(".csv") else pq.read_table)(tmp_path / name)
    assert back.to_pylist() == table.to_pylist()
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
