"""``archspec sweep``: results, the front and the base, located errors for bad constraints and
objectives before anything runs, resume after a kill (nothing lost, nothing repeated, no part
rewritten), another sweep's journal refused, the engines' flags, and no torch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from archspec.cli import main
from archspec.sweep.objectives import Objective, pareto

from .run_support import LARGER, ROOT, SMALL, python

HANG_BOUND_S = 180  # bounds a hang only
# the space file and its samplers (archspec.sweep.space, .sample) come with the space format
pytest.importorskip("archspec.sweep.sample")


class Run:
    def __init__(self, rc: int, out: str, err: str):
        self.rc, self.out, self.err = rc, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``cli('sweep', ...)`` in this process, from the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("ARCHSPEC_TRACEBACK", raising=False)
    monkeypatch.delenv("ARCHSPEC_DEVICE", raising=False)

    def run(*argv: str) -> Run:
        rc = main(list(argv))
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The small space swept once on two workers: the results file and the JSON summary."""
    out = tmp_path_factory.mktemp("swept") / "results.parquet"
    done = python("sweep", SMALL, "-o", str(out), "--workers", "2", "--batch-size", "5",
                  "--constraint", "params <= 1.3e6", "--objectives", "params,max:warnings",
                  "--format", "json", timeout=HANG_BOUND_S)
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_the_results_hold_every_candidate_once_with_its_verdict(swept: tuple[Path, Any]
                                                                ) -> None:
    out, summary = swept
    rows = pq.read_table(out).to_pylist()
    assert [r["candidate"] for r in rows] == list(range(24))
    assert all(r["status"] == "ok" for r in rows)
    assert [r["feasible"] for r in rows] == [r["params"] <= 1.3e6 for r in rows]
    objectives = [Objective("params"), Objective("warnings", maximise=True)]
    from archspec.sweep.objectives import parse_constraints

    cap = parse_constraints(["params <= 1.3e6"], list(rows[0]), device=False)
    front = pareto(rows, objectives, cap)
    assert [r["candidate"] for r in rows if r["front"]] == front and front
    assert sorted(r["candidate"] for r in summary["front"]) == front
    assert summary["candidates"] == 24 and summary["feasible"] == sum(r["feasible"] for r in rows)
    assert summary["objectives"] == ["params", "max:warnings"]
    assert summary["base"]["candidate"] == -1 and summary["base"]["overrides"] == "{}"
    assert summary["base"]["params"] == 1_361_168  # EMO-1M itself
    assert json.loads(rows[5]["overrides"]) == {
        "stages.s3.depth": 6, "stages.s3.block.exp": 3.0, "input.size": 160,
        "stages.s4.block.dw_k": 5}


def test_a_finished_sweep_rerun_evaluates_nothing_and_may_rank_anew(
        cli: Any, swept: tuple[Path, Any], tmp_path: Path) -> None:
    out = tmp_path / swept[0].name  # a copy: the shared results stay as they were
    shutil.copytree(Journal_dir(swept[0]), Journal_dir(out))
    parts = {p: (p.stat().st_ino, p.stat().st_mtime_ns)
             for p in Journal_dir(out).glob("part-*.parquet")}
    result = cli("sweep", SMALL, "-o", str(out), "--workers", "2", "--batch-size", "5",
                 "--objectives", "macs,params", "--no-progress")
    assert result.rc == 0, result.err
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts} == parts
    lines = result.out.splitlines()
    assert lines[0].startswith("Front: ") and "of 24 candidates" in lines[0]
    header = lines[1].split()
    assert header[:3] == ["candidate", "macs", "params"] and header[-1] == "overrides"
    assert lines[2].split()[0] == "base"
    assert "stages.s3.depth=" in lines[3]


def Journal_dir(out: Path) -> Path:  # noqa: N802 - reads as the directory's name
    return out.with_name(out.name + ".journal")


def test_csv_results(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = cli("sweep", SMALL, "-o", str(out), "--workers", "1", "--batch-size", "12",
                 "--format", "json")
    assert result.rc == 0, result.err
    table = pacsv.read_csv(out)
    assert table.column("candidate").to_pylist() == list(range(24))
    assert {"overrides", "params", "feasible", "front"} <= set(table.column_names)


def test_bad_constraints_and_objectives_are_located_and_nothing_runs(cli: Any,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    result = cli("sweep", SMALL, "-o", str(out), "--constraint", "params <= 5e6",
                 "--constraint", "parms < 1", "--objectives", "macs,max:warnigns")
    assert result.rc == 2 and "Traceback" not in result.err
    assert "--constraint:2:1: E211 `parms` is not a column" in result.err
    assert "  2 | parms < 1" in result.err and "did you mean `params`?" in result.err
    assert "--objectives:1:10: E211 `warnigns`" in result.err
    assert "did you mean `warnings`?" in result.err
    assert not out.exists() and not Journal_dir(out).exists()
    as_json = cli("sweep", SMALL, "-o", str(out), "--constraint", "params = 1",
                  "--format", "json")
    (d,) = json.loads(as_json.out)["diagnostics"]
    assert (as_json.rc, d["code"], d["file"], d["line"], d["col"]) == (
        2, "E210", "--constraint", 1, 8)


@pytest.mark.parametrize(("argv", "message"), [
    (["--address", "auto"], "--address is for --engine ray"),
    (["--select", "Z9"], "--select/--ignore"),
    (["--batch-size", "0"], "expected a positive integer"),
    (["--samples", "many"], "expected a positive integer"),
    (["--constraint", "latency_ms < 5"], "needs a device profile"),
])
def test_bad_flags_exit_2(cli: Any, tmp_path: Path, argv: list[str], message: str) -> None:
    result = cli("sweep", SMALL, "-o", str(tmp_path / "r.parquet"), *argv)
    assert result.rc == 2 and message in result.err and "Traceback" not in result.err


def test_a_missing_ray_names_the_extra(cli: Any, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    result = cli("sweep", SMALL, "-o", str(tmp_path / "r.parquet"), "--engine", "ray")
    assert result.rc == 2 and "pip install 'archspec[ray]'" in result.err


def test_another_sweeps_journal_is_refused_until_fresh(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    first = cli("sweep", SMALL, "-o", str(out), "--workers", "1", "--batch-size", "24",
                "--sampler", "random", "--samples", "3", "--seed", "1")
    assert first.rc == 0, first.err
    other = cli("sweep", SMALL, "-o", str(out), "--workers", "1", "--batch-size", "24",
                "--sampler", "random", "--samples", "3", "--seed", "2")
    assert other.rc == 2 and "E213" in other.err and "`seed` is 1, this sweep's 2" in other.err
    assert "--fresh" in other.err
    fresh = cli("sweep", SMALL, "-o", str(out), "--workers", "1", "--batch-size", "24",
                "--sampler", "random", "--samples", "3", "--seed", "2", "--fresh")
    assert fresh.rc == 0, fresh.err
    assert pq.read_table(out).num_rows == 3


def test_resume_after_a_kill_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    """SIGKILL the sweep (and its workers) once parts are journaled; the rerun keeps those
    parts as they are (same inode and mtime) and the results hold every candidate once."""
    out = tmp_path / "r.parquet"
    journal = Journal_dir(out)
    argv = [sys.executable, "-m", "archspec", "sweep", LARGER, "-o", str(out),
            "--workers", "1", "--batch-size", "2"]  # 48 batches: killed long before the end
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + HANG_BOUND_S
        while len(list(journal.glob("part-*.parquet"))) < 2:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no part was journaled"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=HANG_BOUND_S)
    kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in journal.glob("part-*")}
    assert 2 <= len(kept) < 48 and not out.exists()
    done = python(*argv[3:], timeout=HANG_BOUND_S)
    assert done.returncode == 0, done.stderr
    assert {n: (journal / n).stat().st_ino for n in kept} == {n: s[0] for n, s in kept.items()}
    assert {n: (journal / n).stat().st_mtime_ns for n in kept} == {
        n: s[1] for n, s in kept.items()}
    assert len(list(journal.glob("part-*.parquet"))) == 48
    assert pq.read_table(out).column("candidate").to_pylist() == list(range(96))


@pytest.mark.xdist_group("ray")
def test_the_ray_engine_gives_the_local_engines_results(tmp_path: Path,
                                                        swept: tuple[Path, Any]) -> None:
    pytest.importorskip("ray")
    out = tmp_path / "ray.parquet"
    done = python("sweep", SMALL, "-o", str(out), "--engine", "ray", "--workers", "1",
                  "--batch-size", "5", "--constraint", "params <= 1.3e6",
                  "--objectives", "params,max:warnings", "--format", "json",
                  timeout=HANG_BOUND_S)
    assert done.returncode == 0, done.stderr
    evaluated = [c for c in pq.read_schema(out).names if c not in ("feasible", "front")]
    assert pq.read_table(out, columns=evaluated).to_pylist() == \
        pq.read_table(swept[0], columns=evaluated).to_pylist()
    assert json.loads(done.stdout)["front"] == swept[1]["front"]


_NO_TORCH = """
import sys
import archspec.cli
rc = archspec.cli.main({argv!r})
assert "torch" not in sys.modules, "torch was imported"
raise SystemExit(rc)
"""


def test_a_sweep_never_imports_torch(tmp_path: Path) -> None:
    argv = ["sweep", SMALL, "-o", str(tmp_path / "r.parquet"), "--workers", "1",
            "--batch-size", "24", "--sampler", "random", "--samples", "2"]
    done = subprocess.run([sys.executable, "-c", _NO_TORCH.format(argv=argv)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=HANG_BOUND_S)
    assert done.returncode == 0, done.stderr


def test_measure_and_plots_are_called_with_the_front(cli: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The hooks of helper modules: --measure K times front rows, --plot/--html draw."""
    calls: dict[str, Any] = {}

    def measure(setup: Any, rows: list[dict[str, Any]], k: int, *, backend: str) -> Any:
        calls["measure"] = (setup.base, [r["candidate"] for r in rows], k, backend)
        return [{**r, "measured_ms": 1.5, "measured_host": "here"} for r in rows[:k]]

    def plot_png(rows: Any, front: Any, base: Any, x: str, y: str, path: str) -> None:
        calls["png"] = (len(rows), list(front), base["candidate"], x, y, path)

    def measure_ray(setup: Any, rows: list[dict[str, Any]], k: int, *,
                    resources: dict[str, float], backend: str) -> Any:
        calls["measure_ray"] = (k, resources, backend)
        return [{**r, "measured_ms": 2.5} for r in rows[:k]]

    monkeypatch.setitem(sys.modules, "archspec.sweep.measure",
                        types.SimpleNamespace(measure=measure, measure_ray=measure_ray))
    monkeypatch.setitem(sys.modules, "archspec.sweep.plot",
                        types.SimpleNamespace(plot_png=plot_png, plot_html=plot_png))
    out, png = tmp_path / "r.parquet", str(tmp_path / "front.png")
    result = cli("sweep", SMALL, "-o", str(out), "--workers", "1", "--batch-size", "24",
                 "--sampler", "random", "--samples", "6", "--measure", "1", "--plot", png,
                 "--format", "json")
    assert result.rc == 0, result.err
    rows = pq.read_table(out).to_pylist()
    front = [i for i, r in enumerate(rows) if r["front"]]
    assert calls["png"] == (6, front, -1, "macs", "params", png)
    summary = json.loads(result.out)
    assert calls["measure"][2:] == (1, "torch")
    assert summary["front"][0]["measured_ms"] == 1.5
    assert [r["measured_ms"] for r in rows].count(1.5) == 1
    assert [r["measured_host"] for r in rows].count("here") == 1
    # on a cluster's devices: Ray as the sweep left it (here: a stand-in, already initialised)
    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(is_initialized=lambda: True))
    on_ray = cli("sweep", SMALL, "-o", str(out), "--workers", "1", "--batch-size", "24",
                 "--sampler", "random", "--samples", "6", "--measure", "2", "--engine", "ray",
                 "--measure-on", "device:pi4", "--backend", "onnxruntime", "--format", "json")
    assert on_ray.rc == 0, on_ray.err
    assert calls["measure_ray"] == (2, {"device:pi4": 1}, "onnxruntime")
    assert cli("sweep", SMALL, "-o", str(out), "--measure", "1", "--measure-on", "x").rc == 2


def test_export_writes_a_row_as_a_spec(cli: Any, swept: tuple[Path, Any],
                                       tmp_path: Path) -> None:
    out, _ = swept
    spec = tmp_path / "best.yaml"
    result = cli("sweep", "--export", str(out), "5", "-o", str(spec))
    assert result.rc == 0, result.err
    assert spec.read_text().startswith("# archspec sweep --export")
    assert cli("sweep", "--export", str(out), "99", "-o", str(spec)).rc == 2
    assert cli("sweep", "--export", str(out), "five", "-o", str(spec)).rc == 2


def test_a_device_adds_latency_to_rows_constraints_and_objectives(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--device`` (a relative path: workers load it wherever they run) predicts
    ``latency_ms`` for every row; the default objectives become latency and parameters."""
    from tests.latency.profiles import write_profile

    write_profile(tmp_path / "dev.json", {}, network={"scale": 1.0, "per_kernel_ms": 0.01,
                                                      "constant_ms": 0.5})
    out = tmp_path / "r.parquet"
    monkeypatch.chdir(tmp_path)
    result = cli("sweep", str(ROOT / SMALL), "-o", "r.parquet", "--device", "dev.json",
                 "--workers", "1", "--batch-size", "24", "--sampler", "random", "--samples",
                 "4", "--constraint", "latency_ms < 1e9", "--format", "json")
    assert result.rc == 0, result.err
    summary = json.loads(result.out)
    assert summary["objectives"] == ["latency_ms", "params"]
    latencies = pq.read_table(out).column("latency_ms").to_pylist()
    assert len(latencies) == 4 and all(x > 0.5 for x in latencies)
    assert summary["base"]["latency_ms"] > 0.5


def test_without_a_space_or_an_output_to_export_to(cli: Any, tmp_path: Path) -> None:
    assert "give a SPACE file" in cli("sweep").err
    result = cli("sweep", "--export", "r.parquet", "3")
    assert result.rc == 2 and "give -o FILE.yaml" in result.err
