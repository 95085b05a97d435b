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


TINY = """\
archspec: 1
name: tiny
input: {size: 32}
stages:
  - name: s1
    out: 16
    depth: 2
    block: {block: conv, k: 3, act: relu, norm: bn}
head:
  - {block: pool, global: true}
  - {block: linear, out: 10}
"""


def test_a_base_without_variants_sweeps_and_exports(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    space = load_space(write_space(tmp_path, """\
        sweep: 1
        base: tiny.yaml
        space:
          stages.s1.depth: {min: 1, max: 3}
          stages.s1.block.k: [1, 3]
          input.size: [32, 64]
        skip:
          - stages.s1.block.k == 1 and input.size == 64
        """))
    assert space.variant is None and space.size() == 12
    rows = Evaluator(space.setup()).evaluate(list(sample(space, "grid", None, 0)))
    assert len(rows) == 9 and {r["status"] for r in rows} == {"ok"}
    table = pa.Table.from_pylist(rows).replace_schema_metadata(results_metadata(space))
    pq.write_table(table, tmp_path / "results.parquet")
    for row in rows:
        out = export(tmp_path / "results.parquet", row["candidate"], tmp_path / "one.yaml")
        figures = archspec.analyze(out).total
        assert (figures.params, figures.macs) == (row["params"], row["macs"])
