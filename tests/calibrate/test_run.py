"""What a calibration run records and how the command line guards it (no timing here)."""

from __future__ import annotations

import json

import pytest

from archspec.calibrate import run
from archspec.calibrate.samples import KernelTiming, NetworkTiming
from archspec.cli import main


def test_noise_is_the_median_and_p90_of_iqr_over_median():
    iqrs = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.20]
    n = run.noise(iqrs)
    # median of the ten: (0.05 + 0.06) / 2; p90: the 9th of 10 sorted (index 8.1 → 8)
    assert (n.median_iqr, n.p90_iqr, n.trusted) == (pytest.approx(0.055), 0.09, True)
    assert not run.noise([0.2] * 5).trusted
    assert not run.noise([]).trusted


def test_timed_nets_spread_a_cap_over_sizes(small_nets):
    by_ops = sorted(small_nets, key=lambda n: sum(1 for _ in n.ops()))
    picked = run.timed_nets(small_nets, [], cap=2)
    assert [n.name for n in picked] == [by_ops[0].name, by_ops[-1].name]
    assert run.timed_nets(small_nets, [], cap=None) == small_nets


def test_assemble_records_how_the_profile_was_made(tmp_path):
    pytest.importorskip("numpy")
    kernels = [KernelTiming("add", (1.0, 0.0, 2.0 * n, 1.0 * n, 0.0), 0.001 * n, 0.02)
               for n in (100, 200, 400, 800)]
    networks = [NetworkTiming("a", {"add": [3.0, 0.0, 1400.0, 700.0, 0.0]}, 3, 0.75, 0.04)]
    profile = run.assemble(name="dev", backend="torch", threads=1, kernels=kernels,
                           networks=networks, fusion=(), machine_info={"cpus": 2},
                           versions={"torch": "x"}, details={"seconds": 1.0})
    assert profile.details["kernels_timed"] == 4 and profile.details["networks_timed"] == 1
    assert profile.noise.trusted and set(profile.classes) == {"add"}
    path = tmp_path / "dev.json"
    run.save(profile, path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "archspec-device-profile" and doc["name"] == "dev"


def test_machine_has_the_basics():
    m = run.machine()
    assert {"platform", "machine", "cpus"} <= set(m)


@pytest.mark.parametrize(("argv", "message"), [
    (["calibrate"], "give -o DEVICE.json"),
    (["calibrate", "--bundle", "d"], "add --backend onnxruntime"),
    (["calibrate", "--backend", "onnxruntime", "--bundle", "d", "--from", "t.json"],
     "give one"),
])
def test_command_line_misuse_is_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_timings_file_is_exit_2_with_its_location(tmp_path, capsys):
    bad = tmp_path / "timings.json"
    bad.write_text('{"format": "archspec-ort-timings",\n "version": 1,,}')
    assert main(["calibrate", "--from", str(bad), "-o", str(tmp_path / "d.json"),
                 "--no-progress"]) == 2
    # line 2 is ` "version": 1,,}`: the second comma is its 15th character
    assert "timings.json:2:15: not JSON" in capsys.readouterr().err
