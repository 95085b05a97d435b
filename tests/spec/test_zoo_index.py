"""The shipped networks by name (archspec/data/zoo.yaml): every entry exists, names resolve to
their spec and variant in the API and on the command line, and mistakes are located errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.spec.zoo import DATA, locate, networks

ROOT = Path(__file__).resolve().parents[2]


def codes(exc: pytest.ExceptionInfo[SpecError]) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


@pytest.mark.parametrize("name", sorted(networks()))
def test_every_network_is_a_variant_of_a_shipped_spec(name: str) -> None:
    network = networks()[name]
    assert network.spec.parent == DATA / "specs"
    assert (ROOT / "specs" / network.spec.name).is_file()  # package data is specs/ itself
    assert network.variant in archspec.load(network.spec).variants
    assert sum(bool(x) for x in (network.timm, network.torchvision, network.reference)) == 1


def test_a_name_is_its_spec_and_variant() -> None:
    network = networks()["mobilenetv4_conv_medium"]
    assert locate("mobilenetv4_conv_medium", None) == (str(network.spec), "conv_medium")
    assert locate("mobilenetv4_conv_medium", "conv_medium") == (str(network.spec), "conv_medium")
    by_name = archspec.analyze("mobilenetv4_conv_medium")
    by_file = archspec.analyze(ROOT / "specs" / "mobilenet_v4.yaml", variant="conv_medium")
    assert (by_name.total.params, by_name.total.macs) == (by_file.total.params,
                                                          by_file.total.macs)
    assert archspec.resolve("emo_2m").variant == "emo_2m"
    assert archspec.load("emo_2m").name == "emo"


def test_an_existing_file_is_always_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "emo_1m").write_text((ROOT / "specs" / "mobilenet_v2.yaml").read_text())
    assert locate("emo_1m", None) == ("emo_1m", None)
    assert archspec.load("emo_1m").name == "mobilenet_v2"


def test_an_unknown_name_is_e100_with_the_closest_names() -> None:
    with pytest.raises(SpecError) as exc:
        archspec.analyze("mobilenetv4_conv_medum")
    assert codes(exc) == ["E100"]
    assert "mobilenetv4_conv_medium" in (exc.value.diagnostics[0].fix or "")


def test_a_path_that_does_not_exist_is_still_the_loaders_e100() -> None:
    with pytest.raises(SpecError) as exc:
        archspec.load("specs/no_such_spec.yaml")
    assert codes(exc) == ["E100"]
    assert "shipped network" not in exc.value.diagnostics[0].message


def test_a_name_with_another_variant_is_e131() -> None:
    with pytest.raises(SpecError) as exc:
        archspec.analyze("emo_1m", variant="emo_2m")
    assert codes(exc) == ["E131"]
    assert "emo.yaml --variant emo_2m" in (exc.value.diagnostics[0].fix or "")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archspec", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_the_command_line_takes_names() -> None:
    by_name = run("profile", "mobilenet_v3_small", "--format", "json")
    by_file = run("profile", "specs/mobilenet_v3.yaml", "--variant", "small", "--format", "json")
    assert by_name.returncode == by_file.returncode == 0
    import json

    assert json.loads(by_name.stdout)["totals"] == json.loads(by_file.stdout)["totals"]
    lint = run("lint", "mobilenet_v2", "--format", "json")
    assert lint.returncode == 0
    assert [v["variant"] for f in json.loads(lint.stdout)["files"] for v in f["variants"]] == [
        "x1_0"]
    wrong = run("profile", "mobilenet_v3_smal")
    assert wrong.returncode == 2 and "mobilenet_v3_small" in wrong.stdout + wrong.stderr
    listed = run("list", "--networks", "--format", "json")
    assert [n["name"] for n in json.loads(listed.stdout)["networks"]] == list(networks())
