"""The remote-device bundle: written here, its runner run as a separate process (as on a
device), its timings read back and fitted into a profile."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")

from archspec.calibrate import bundle, nets, ort_kernels, ort_runner  # noqa: E402
from archspec.calibrate.run import Request, from_timings  # noqa: E402
from archspec.latency.kernels import FusionRule, kernel_class  # noqa: E402

FUSION = (FusionRule("conv", ("norm.bn", "act.relu")),)


def test_the_runner_needs_only_onnxruntime_numpy_and_its_harness():
    allowed = {"argparse", "json", "os", "platform", "sys", "tempfile", "time", "collections",
               "pathlib", "typing", "__future__", "onnxruntime", "numpy", "harness",
               "random", "statistics", "dataclasses"}
    for module in (ort_runner, __import__("archspec.calibrate.harness").calibrate.harness):
        tree = ast.parse(Path(module.__file__).read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or name == "archspec.calibrate.harness", (module, name)


@pytest.mark.slow
def test_bundle_round_trip(tmp_path, tiny_net):
    ops = list(tiny_net.ops())
    root = bundle.write_bundle(tmp_path / "b", ops, [tiny_net], cache_dir=tmp_path / "cache",
                               fusion=FUSION, fusion_details={"probe": "test"}, threads=1,
                               repeats=1, rounds=2, warmup=0, network_repeats=1)
    manifest = json.loads((root / "manifest.json").read_text())
    n_kernels = len(ort_kernels.unique_ops(ops))
    assert len(manifest["kernels"]) == n_kernels and len(manifest["networks"]) == 1
    assert all((root / k["file"]).is_file() for k in manifest["kernels"])
    assert {"runner.py", "harness.py", "README.txt"} <= {p.name for p in root.iterdir()}

    out = tmp_path / "timings.json"
    done = subprocess.run([sys.executable, "runner.py", "--rounds", "2", "--repeats", "1",
                           "-o", str(out)], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr

    timings = bundle.read_timings(out)
    assert [k.cls for k in timings.kernels] == [k["cls"] for k in manifest["kernels"]]
    assert all(k.ms >= 0 for k in timings.kernels)
    (net,) = timings.networks
    assert net.name == "tiny" and net.ms > 0
    # conv, bn, relu twice, pool, flatten, linear: 9 kernels in eager torch; ORT's conv
    # absorbs its BN and ReLU, so 2 + 3 = 5
    assert len([o for o in ops if kernel_class(o)]) == 9 and net.kernels == 5
    assert timings.meta["fusion"] == [{"into": "conv", "absorbs": ["norm.bn", "act.relu"]}]

    profile = from_timings(Request(timings=out), 0.0)
    assert profile.backend == "onnxruntime" and profile.threads == 1
    assert profile.fusion == FUSION
    assert profile.details["networks"] == ["tiny"]
    assert set(profile.classes) >= {"conv.k3", "linear"}


def _timings(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_read_timings_names_what_is_wrong(tmp_path):
    with pytest.raises(bundle.TimingsError, match=r"t.json:2:2: not JSON"):
        bundle.read_timings(_timings(tmp_path, "{\n}x"))
    with pytest.raises(bundle.TimingsError, match="not an archspec timings file"):
        bundle.read_timings(_timings(tmp_path, {"format": "other"}))
    good = {"format": ort_runner.TIMINGS_FORMAT, "version": 1,
            "kernels": [{"cls": "add", "features": [1, 0, 2, 1, 0], "ms": 0.1, "iqr": 0.0}]}
    assert bundle.read_timings(_timings(tmp_path, good)).kernels[0].features == (
        1.0, 0.0, 2.0, 1.0, 0.0)
    bad = {**good, "kernels": [{"cls": "add", "features": [1, 2], "ms": 0.1, "iqr": 0.0}]}
    with pytest.raises(bundle.TimingsError, match=r"kernels\[0\].features: expected 5"):
        bundle.read_timings(_timings(tmp_path, bad))
    missing = {**good, "networks": [{"name": "n", "totals": {}, "kernels": 3, "iqr": 0.0}]}
    with pytest.raises(bundle.TimingsError, match=r"networks\[0\]: 'ms' is missing"):
        bundle.read_timings(_timings(tmp_path, missing))


def test_calibration_nets_key_changes_with_the_text_and_size(tiny_net, tiny_text):
    from archspec.spec.document import loads

    (again,) = nets.from_document(loads(tiny_text, "t.yaml"), name="x", text=tiny_text)
    (bigger,) = nets.from_document(loads(tiny_text, "t.yaml"), name="x", text=tiny_text,
                                   input_size=64)
    assert again.key == tiny_net.key != bigger.key
