"""The front measured for real: the right rows get finite, positive timings next to their
prediction, locally (eager torch, ONNX Runtime) and as Ray tasks that need a device resource.
No timing is compared with anything: only that the figures exist and belong to their rows."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from archspec.sweep.extras import MissingExtra
from archspec.sweep.measure import MEASURED, measure, measure_ray

from .emo_rows import rows_and_base, setup

pytest.importorskip("torch")

#: as few samples as still exercise warmup, settle and interleaving (figures are not judged)
FEW = {"rounds": 2, "repeats": 1, "warmup": 1}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return rows_and_base()[0]


def ok(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["status"] == "ok"]


def assert_measured(out: list[dict[str, Any]], given: list[dict[str, Any]], backend: str
                    ) -> None:
    assert [r["candidate"] for r in out] == [r["candidate"] for r in given]
    for row, src in zip(out, given, strict=True):
        assert set(MEASURED) <= set(row)
        assert math.isfinite(row["measured_ms"]) and row["measured_ms"] > 0
        assert math.isfinite(row["measured_iqr"]) and row["measured_iqr"] >= 0
        assert row["measured_backend"] == backend and row["measured_threads"] == 1
        assert row["latency_ms"] == src["latency_ms"]  # the prediction kept beside it
        assert row["overrides"] == src["overrides"]


def test_torch_measures_the_first_k_rows_in_their_order(rows):
    front = list(reversed(ok(rows)))[:3]  # any order: the caller's (best first)
    out = measure(setup(), front, 2, backend="torch", **FEW)
    assert_measured(out, front[:2], "torch")


def test_nothing_to_measure_is_an_empty_list(rows):
    assert measure(setup(), ok(rows), 0) == []


def test_a_row_that_did_not_resolve_or_an_unknown_backend_is_refused(rows):
    failed = next(r for r in rows if r["status"] == "error")
    with pytest.raises(ValueError, match=f"candidate {failed['candidate']} did not resolve"):
        measure(setup(), [failed], 1)
    with pytest.raises(ValueError, match="the backends are torch, onnxruntime"):
        measure(setup(), ok(rows), 1, backend="tflite")
    with pytest.raises(ValueError, match="k: expected an int"):
        measure(setup(), ok(rows), -1)


def test_measuring_without_torch_names_the_extra(rows, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra, match=r"pip install 'archspec\[torch\]'"):
        measure(setup(), ok(rows), 1)


@pytest.mark.slow  # ~30 s: each candidate exported by torch's ONNX exporter first
def test_onnxruntime_measures_exported_candidates(rows, tmp_path):
    pytest.importorskip("onnxruntime")
    given = ok(rows)[:2]
    out = measure(setup(), given, 2, backend="onnxruntime", cache_dir=tmp_path, **FEW)
    assert_measured(out, given, "onnxruntime")
    assert len(list(tmp_path.glob("*.onnx"))) == 2  # one export each, none shared


@pytest.mark.xdist_group("ray")
def test_ray_measures_each_candidate_on_a_worker_with_the_device_resource(rows):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, resources={"device:test": 1}, include_dashboard=False,
             log_to_driver=False)
    try:
        with pytest.raises(ValueError, match="no node of the Ray cluster offers"):
            measure_ray(setup(), ok(rows), 1, resources={"device:pi4": 1})
        given = ok(rows)[:2]
        out = measure_ray(setup(), given, 2, resources={"device:test": 1}, timeout=300,
                          **FEW)
        assert_measured(out, given, "torch")
    finally:
        ray.shutdown()


def test_importing_the_pictures_and_measurements_loads_no_backend():
    """A sweep without --measure or --plot must run in the lint-only install."""
    import subprocess

    code = ("import sys, archspec.sweep.plot, archspec.sweep.measure; "
            "print([m for m in ('torch', 'onnxruntime', 'ray', 'matplotlib') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"
