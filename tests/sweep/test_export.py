"""A row of a sweep's results exported as a standalone spec loads and analyses to its figures."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import archspec
from archspec.sweep.evaluate import Evaluator
from archspec.sweep.export import ExportError, export, results_metadata
from archspec.sweep.sample import sample
from archspec.sweep.space import Space, load_space
from tests.sweep._support import write_space

SPACE = """\
sweep: 1
base: BASE
variant: emo_1m
space:
  stages.s3.depth: [6, 8]
  input.size: [224, 256]
  stages.*.block.dw_k: [3, 5]
  stages.s4.first.exp: {tie: stages.s3.depth, plus: 0.5}
  stages.s3.block.dim_head: [20, 40]
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Space, list[dict[str, Any]], Path]:
    """A few candidates of a small EMO space, evaluated, written as Parquet and as CSV."""
    folder = tmp_path_factory.mktemp("sweep")
    space = load_space(write_space(folder, SPACE))
    rows = Evaluator(space.setup()).evaluate(list(sample(space, "random", 5, seed=3)))
    table = pa.Table.from_pylist(rows).replace_schema_metadata(results_metadata(space))
    pq.write_table(table, folder / "results.parquet")
    with open(folder / "results.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return space, rows, folder


def test_an_exported_row_analyses_to_its_figures(sweep: tuple[Space, list[dict[str, Any]],
                                                               Path], tmp_path: Path) -> None:
    space, rows, folder = sweep
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) >= 2
    for row in ok:
        out = export(folder / "results.parquet", row["candidate"], tmp_path / "best.yaml")
        text = out.read_text(encoding="utf-8")
        assert text.startswith(f"# archspec sweep --export {folder / 'results.parquet'} "
                               f"{row['candidate']}\n")
        assert f"# overrides: {json.dumps(json.loads(row['overrides']), separators=(', ', ': '))}" \
            in text
        assert "variants:" not in text
        figures = archspec.analyze(out).total
        assert (figures.params, figures.macs, figures.flops) == \
            (row["params"], row["macs"], row["flops"])
        document = archspec.load(out)
        assert document.variants == []


def test_a_csv_row_needs_its_space_and_then_exports_the_same(
        sweep: tuple[Space, list[dict[str, Any]], Path], tmp_path: Path) -> None:
    space, rows, folder = sweep
    row = next(r for r in rows if r["status"] == "ok")["candidate"]
    with pytest.raises(ExportError, match="pass the space"):
        export(folder / "results.csv", row, tmp_path / "a.yaml")
    from_csv = export(folder / "results.csv", row, tmp_path / "a.yaml", space=space)
    from_parquet = export(folder / "results.parquet", row, tmp_path / "b.yaml")
    body = [t.read_text(encoding="utf-8").split("\n", 1)[1] for t in (from_csv, from_parquet)]
    assert body[0] == body[1]  # the first line names the results file


def test_a_missing_or_failed_row_is_refused_with_a_reason(
        sweep: tuple[Space, list[dict[str, Any]], Path], tmp_path: Path) -> None:
    space, rows, folder = sweep
    with pytest.raises(ExportError, match="no row with candidate 99"):
        export(folder / "results.parquet", 99, tmp_path / "x.yaml")
    with pytest.raises(ExportError, match="no results file"):
        export(folder / "nothing.parquet", 0, tmp_path / "x.yaml")
    failed = dict(rows[0], status="error", error="E140 heads do not divide")
    pq.write_table(pa.Table.from_pylist([failed]), tmp_path / "failed.parquet")
    with pytest.raises(ExportError, match="error row"):
        export(tmp_path / "failed.parquet", failed["candidate"], tmp_path / "x.yaml", space=space)
    assert not (tmp_path / "x.yaml").exists()
