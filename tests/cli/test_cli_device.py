"""``--device`` of ``archspec profile`` and ``archspec lint``, and ``ARCHSPEC_DEVICE``: predicted
milliseconds in every format, the device named, bad profiles exit 2 with their location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# the synthetic profiles and the tiny net of tests/latency (tests/ is on sys.path, as for cli)
from latency.profiles import TINY, TINY_KERNELS, calls_only, write_profile

from archspec.latency.profile import ENV_VAR

NOISY = {"median_iqr": 0.2, "p90_iqr": 0.5, "trusted": False, "limit": 0.1}


@pytest.fixture(autouse=True)
def _no_device_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def tiny(tmp_path: Path) -> str:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return str(path)


@pytest.fixture
def device(tmp_path: Path) -> str:
    """One ms per kernel: the tiny net's six kernels take 6 ms."""
    return str(write_profile(tmp_path / "dev.json", calls_only(1.0)))


def _json(result) -> dict:  # noqa: ANN001
    assert result.rc == 0, result.all
    return json.loads(result.out)


# ------------------------------------------------------------------------------- profile


def test_profile_json_has_latency_per_block_and_in_total(cli, tiny: str, device: str) -> None:  # noqa: ANN001
    report = _json(cli("profile", tiny, "--device", device, "--format", "json"))
    assert report["totals"]["latency_ms"] == pytest.approx(6.0)
    assert {b["path"]: b["latency_ms"] for b in report["blocks"]} == pytest.approx(
        {"stem[0]": 3.0, "head[0]": 1.0, "head[1]": 0.0, "head[2]": 2.0})
    assert report["device"] == {"name": "test-cpu", "backend": "torch", "threads": 1,
                                "dtype": "fp32", "calibrated": "2026-11-30T09:00:00+00:00",
                                "trusted": True, "file": device}
    assert report["latency"] == {"batch": 1, "kernels": 6, "missing_classes": [],
                                 "lower_bound": False}
    assert report["warnings"] == []


def test_profile_without_a_device_prints_what_it_did(cli, tiny: str) -> None:  # noqa: ANN001
    report = _json(cli("profile", tiny, "--format", "json"))
    assert not {"device", "latency", "warnings"} & set(report)
    assert "latency_ms" not in report["totals"] and "latency_ms" not in report["blocks"][0]
    text = cli("profile", tiny)
    assert "\ndevice " not in text.out and "predicted latency" not in text.out


def test_profile_text_has_an_ms_column_and_the_total(cli, tiny: str, device: str) -> None:  # noqa: ANN001
    result = cli("profile", tiny, "--device", device)
    assert result.rc == 0, result.all
    lines = result.out.splitlines()
    assert lines[1].startswith("device test-cpu  torch, 1 thread, fp32, calibrated 2026-11-30")
    assert lines[2].split()[-1] == "ms"
    assert lines[3].startswith("stem[0]") and lines[3].split()[-1] == "3.000"
    assert any(line.startswith("predicted latency (ms, one image, batch 1)")
               and line.split()[-1] == "6.000" for line in lines)
    assert "warning" not in result.out


def test_missing_classes_are_a_warning_and_a_lower_bound(cli, tiny: str, tmp_path: Path) -> None:  # noqa: ANN001
    partial = write_profile(tmp_path / "p.json",
                            calls_only(1.0, [c for c in TINY_KERNELS if c != "linear"]))
    report = _json(cli("profile", tiny, "--device", str(partial), "--format", "json"))
    assert report["latency"]["missing_classes"] == ["linear"]
    assert report["latency"]["lower_bound"] is True
    assert report["totals"]["latency_ms"] == pytest.approx(5.0)
    [warning] = report["warnings"]
    assert "lower bound" in warning and "(linear)" in warning
    text = cli("profile", tiny, "--device", str(partial)).out
    assert "warning: the device profile has no model for 1 kernel class of this network " \
           "(linear)" in text
    assert "lower bound" in text.split("predicted latency")[1].splitlines()[0]


def test_an_untrusted_profile_says_so_in_every_output(cli, tiny: str, tmp_path: Path) -> None:  # noqa: ANN001
    noisy = str(write_profile(tmp_path / "n.json", calls_only(1.0), noise=NOISY))
    text = cli("profile", tiny, "--device", noisy)
    assert text.rc == 0 and "warning: device profile 'test-cpu' is too noisy to trust" in text.out
    report = _json(cli("profile", tiny, "--device", noisy, "--format", "json"))
    assert report["device"]["trusted"] is False and "too noisy" in report["warnings"][0]
    lint_text = cli("lint", tiny, "--device", noisy)
    assert "too noisy to trust" in lint_text.out.splitlines()[1]
    lint_json = json.loads(cli("lint", tiny, "--device", noisy, "--format", "json").out)
    assert lint_json["device"]["trusted"] is False and "too noisy" in lint_json["warnings"][0]
    github = cli("lint", tiny, "--device", noisy, "--format", "github").out
    assert github.startswith("::warning title=device::device profile 'test-cpu' is too noisy")
    sarif = json.loads(cli("lint", tiny, "--device", noisy, "--format", "sarif").out)
    assert "too noisy" in sarif["runs"][0]["properties"]["warnings"][0]


BAD = '{\n  "format": "archspec-device-profile",\n  "version": 1,\n  "threads": -1\n}\n'


@pytest.mark.parametrize("command", ["profile", "lint"])
def test_a_bad_profile_is_exit_2_at_its_line_and_column(
        cli, tiny: str, tmp_path: Path, command: str) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.json"
    bad.write_text(BAD)
    result = cli(command, tiny, "--device", str(bad))
    assert result.rc == 2
    assert f"{bad}:4:14: E182 `threads`: -1 is out of range" in result.all
    as_json = cli(command, tiny, "--device", str(bad), "--format", "json")
    assert as_json.rc == 2
    found = {(d["code"], d["file"], d["line"], d["col"])
             for d in json.loads(as_json.out)["diagnostics"]}
    assert ("E182", str(bad), 4, 14) in found  # and the missing keys, at the object
    assert ("E182", str(bad), 1, 1) in found


@pytest.mark.parametrize("command", ["profile", "lint"])
def test_a_missing_profile_is_exit_2(cli, tiny: str, tmp_path: Path, command: str) -> None:  # noqa: ANN001
    result = cli(command, tiny, "--device", str(tmp_path / "nowhere.json"))
    assert result.rc == 2 and "E100" in result.all and "nowhere.json" in result.all


@pytest.mark.parametrize("command", ["profile", "lint"])
def test_the_environment_variable_is_the_default(
        cli, tiny: str, device: str, monkeypatch: pytest.MonkeyPatch, command: str) -> None:  # noqa: ANN001
    monkeypatch.setenv(ENV_VAR, device)
    report = _json(cli(command, tiny, "--format", "json"))
    assert report["device"]["file"] == device
    other = write_profile(Path(device).with_name("other.json"), calls_only(2.0), name="other")
    report = _json(cli(command, tiny, "--format", "json", "--device", str(other)))
    assert report["device"]["name"] == "other"  # --device wins over the variable


@pytest.mark.parametrize("command", ["profile", "lint"])
def test_a_bad_environment_variable_is_exit_2_naming_it(
        cli, tiny: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:  # noqa: ANN001
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere.json"))
    result = cli(command, tiny)
    assert result.rc == 2 and f"E100 {ENV_VAR}: file not found" in result.all


# ------------------------------------------------------------------------------- lint


def test_lint_reports_the_device_and_each_variants_time(cli, tiny: str, device: str) -> None:  # noqa: ANN001
    report = json.loads(cli("lint", tiny, "--device", device, "--format", "json").out)
    assert report["device"]["name"] == "test-cpu" and report["warnings"] == []
    [variant] = report["files"][0]["variants"]
    assert variant["latency_ms"] == pytest.approx(6.0) and variant["missing_classes"] == []
    text = cli("lint", tiny, "--device", device).out.splitlines()
    assert text[0].startswith("device test-cpu  torch, 1 thread")
    header = next(line for line in text if line.startswith("file "))
    assert header.split()[:5] == ["file", "variant", "params", "MACs", "ms"]
    row = text[text.index(header) + 1]
    assert row.split()[4] == "6.000"
    sarif = json.loads(cli("lint", tiny, "--device", device, "--format", "sarif").out)
    assert sarif["runs"][0]["properties"]["device"]["name"] == "test-cpu"


def test_lint_without_a_device_is_unchanged(cli, tiny: str) -> None:  # noqa: ANN001
    report = json.loads(cli("lint", tiny, "--format", "json").out)
    assert "device" not in report and "latency_ms" not in report["files"][0]["variants"][0]
    sarif = json.loads(cli("lint", tiny, "--format", "sarif").out)
    assert "properties" not in sarif["runs"][0]


def test_lint_passes_the_profile_to_the_pipeline(
        cli, tiny: str, device: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import archspec.rules.engine as engine

    seen = []
    lint_net = engine.lint_net

    def spy(net, graph, setup, latency=None):  # noqa: ANN001, ANN202
        seen.append(latency)
        return lint_net(net, graph, setup, latency)

    monkeypatch.setattr(engine, "lint_net", spy)
    assert cli("lint", tiny, "--device", device).rc in (0, 1)
    [prediction] = seen
    assert prediction.profile.name == "test-cpu" and prediction.total_ms == pytest.approx(6.0)


def test_lint_names_missing_classes_and_marks_lower_bounds(cli, tiny: str, tmp_path: Path) -> None:  # noqa: ANN001
    partial = write_profile(tmp_path / "p.json",
                            calls_only(1.0, [c for c in TINY_KERNELS if c != "linear"]))
    report = json.loads(cli("lint", tiny, "--device", str(partial), "--format", "json").out)
    [variant] = report["files"][0]["variants"]
    assert variant["missing_classes"] == ["linear"]
    assert variant["latency_ms"] == pytest.approx(5.0)
    [warning] = report["warnings"]
    assert "no model for 1 kernel class of these networks (linear)" in warning
    text = cli("lint", tiny, "--device", str(partial)).out.splitlines()
    header = next(line for line in text if line.startswith("file "))
    assert "≥ 5.000" in text[text.index(header) + 1]
