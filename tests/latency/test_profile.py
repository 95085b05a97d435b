"""Device-profile files (archspec/latency/profile.py): what loads, what is refused and where,
the round trip through save_profile, and ARCHSPEC_DEVICE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archspec.diagnostics import SpecError
from archspec.latency.model import DeviceProfile
from archspec.latency.profile import (
    ENV_VAR,
    load_profile,
    profile_from_data,
    profile_warnings,
    resolve_device,
    save_profile,
)

from .profiles import FEATURES, profile_data, write_profile


def _errors(path: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(SpecError) as caught:
        load_profile(path)
    return [(d.code, d.span.line, d.span.col, d.message) for d in caught.value.diagnostics]


def test_a_profile_loads_as_written(tmp_path: Path) -> None:
    path = write_profile(tmp_path / "dev.json", {"conv.pw": [1e-3, 2e-9, 0.0, 0.0, 0.0]},
                         fusion=[{"into": "conv", "absorbs": ["norm.bn", "act.relu"]}],
                         network={"scale": 1.5, "per_kernel_ms": 0.002, "constant_ms": 0.1,
                                  "groups": {"pointwise": 1.25}})
    p = load_profile(path)
    assert p.network.groups == {"pointwise": 1.25}
    assert (p.name, p.backend, p.threads, p.dtype) == ("test-cpu", "torch", 1, "fp32")
    assert p.classes["conv.pw"].coef == (1e-3, 2e-9, 0.0, 0.0, 0.0)
    assert (p.classes["conv.pw"].samples, p.classes["conv.pw"].mape) == (10, 0.05)
    assert (p.network.scale, p.network.per_kernel_ms, p.network.constant_ms) == (1.5, 0.002, 0.1)
    assert [(r.into, r.absorbs, r.as_class) for r in p.fusion] == [
        ("conv", ("norm.bn", "act.relu"), None)]
    assert p.noise.trusted and p.machine == {"cpu": "test"} and p.versions == {"torch": "0.0"}
    assert p.source == str(path)
    assert profile_warnings(p) == []


def test_optional_fields_take_their_defaults(tmp_path: Path) -> None:
    data = profile_data({"add": [1e-3, 0, 0, 0, 0]})
    for key in ("dtype", "machine", "versions", "network", "fusion", "details"):
        del data[key]
    del data["classes"]["add"]["samples"], data["classes"]["add"]["mape"]
    del data["noise"]["limit"]
    p = profile_from_data(data)
    assert (p.dtype, p.fusion, p.network.scale, p.network.constant_ms) == ("fp32", (), 1.0, 0.0)
    assert (p.classes["add"].samples, p.classes["add"].mape, p.noise.limit) == (0, None, 0.1)


def test_save_then_load_gives_the_same_profile(tmp_path: Path) -> None:
    original = load_profile(write_profile(
        tmp_path / "a.json", {"conv.pw": [1e-3, 2.5e-9, 1e-7, 3e-8, 0.0], "add": [5e-3, 0, 0, 0, 0]},
        fusion=[{"into": "conv", "absorbs": ["norm.bn"]},
                {"into": "matmul", "absorbs": ["mul.scalar", "softmax", "matmul"],
                 "as_class": "attention"}], details={"seconds": 12.5}))
    save_profile(original, tmp_path / "b.json")
    again = load_profile(tmp_path / "b.json")
    assert again == DeviceProfile(**{**original.__dict__, "source": str(tmp_path / "b.json")})
    written = json.loads((tmp_path / "b.json").read_text())
    assert written["format"] == "archspec-device-profile" and written["version"] == 1
    assert written["features"] == FEATURES


def test_save_refuses_a_profile_that_would_not_load(tmp_path: Path) -> None:
    from dataclasses import replace

    from archspec.latency.model import ClassModel

    p = load_profile(write_profile(tmp_path / "a.json", {"add": [1e-3, 0, 0, 0, 0]}))
    bad = replace(p, classes={"add": ClassModel((-1.0, 0.0, 0.0, 0.0, 0.0))})
    with pytest.raises(ValueError, match="out of range"):
        save_profile(bad, tmp_path / "b.json")
    assert not (tmp_path / "b.json").exists()


# Line and column of every error below are counted by hand in BAD (1-based, as editors count).
BAD = """\
{
  "format": "archspec-device-profile",
  "version": 1,
  "name": "bad",
  "backend": "torch",
  "threads": "1",
  "calibrated": "yesterday",
  "noise": {"median_iqr": 0.01, "p90_iqr": 0.02, "trusted": true},
  "features": ["calls", "macs", "in_elems", "out_elems", "weights"],
  "classes": {
    "conv.pw": {"coef": [0.001, -2e-9, 0, 0, 0], "sample": 3}
  },
  "netwrok": {}
}
"""


def test_every_bad_field_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(BAD)
    found = {(code, line, col): message for code, line, col, message in _errors(path)}
    assert set(found) == {
        ("E182", 6, 14),   # "threads": "1" — types are strict
        ("E182", 7, 17),   # "calibrated": not ISO 8601
        ("E182", 9, 15),   # features: not this archspec's
        ("E182", 11, 33),  # coef[1] = -2e-9 < 0
        ("E182", 11, 50),  # "sample": unknown key
        ("E182", 13, 3),   # "netwrok": unknown key
    }
    assert "-2e-09 is out of range" in found[("E182", 11, 33)]


def test_unknown_keys_get_a_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(BAD)
    with pytest.raises(SpecError) as caught:
        load_profile(path)
    fixes = {d.span.line: d.fix for d in caught.value.diagnostics if "unknown key" in d.message}
    assert fixes == {11: "did you mean `samples`?", 13: "did you mean `network`?"}


@pytest.mark.parametrize(("coef", "problem"), [
    ([1e-3, 0, 0, 0], "at least 5 items"),
    ([1e-3, 0, 0, 0, 0, 0], "at most 5 items"),
    ([1e-3, "0", 0, 0, 0], "a number"),
    ([1e-3, True, 0, 0, 0], "a number"),
])
def test_coefficients_are_five_numbers(coef: list[object], problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        profile_from_data(profile_data({"add": coef}))  # type: ignore[dict-item]
    [d] = caught.value.diagnostics
    assert d.code == "E182" and problem in (d.expected or d.message), d


def test_a_non_finite_coefficient_is_refused_where_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "inf.json"
    path.write_text('{"format": "archspec-device-profile", "version": 1,\n'
                    ' "classes": {"add": {"coef": [1e999, 0, 0, 0, 0]}}}')
    assert [(c, line, col) for c, line, col, _ in _errors(path)] == [("E110", 2, 31)]


@pytest.mark.parametrize(("text", "expected"), [
    ('{"format": "archspec-device-profile",\n "version": 2}', ("E181", 2, 13)),
    ('{"format": "archspec-device-profile"}', ("E181", 1, 1)),
    ('{"format": "onnx"}', ("E180", 1, 12)),
    ("archspec: 1\nname: net\nstages: []\n", ("E180", 1, 1)),  # a spec, given as the device
    ("[1, 2]", ("E180", 1, 1)),
    ("", ("E180", 1, 1)),
    ('{"format": "archspec-device-profile",\n  "version": 1,,\n}', ("E103", 2, 16)),
    ('{"a": 1, "a": 2}', ("E106", 1, 10)),
])
def test_what_is_not_a_profile(tmp_path: Path, text: str, expected: tuple[str, int, int]) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    found = _errors(path)
    assert [(c, line, col) for c, line, col, _ in found] == [expected], found


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    assert _errors(tmp_path / "missing.json")[0][0] == "E100"
    assert _errors(tmp_path)[0][0] == "E100"  # a directory
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1 << 20) + b"{}")
    assert _errors(big)[0][0] == "E113"  # refused before parsing


def test_an_untrusted_profile_loads_with_a_warning(tmp_path: Path) -> None:
    noisy = {"median_iqr": 0.2, "p90_iqr": 0.5, "trusted": False, "limit": 0.1}
    p = load_profile(write_profile(tmp_path / "n.json", {"add": [1e-3, 0, 0, 0, 0]}, noise=noisy))
    [warning] = profile_warnings(p)
    assert "too noisy to trust" in warning and "20.0 %" in warning


def test_the_environment_names_the_default_profile(tmp_path: Path) -> None:
    path = write_profile(tmp_path / "env.json", {"add": [1e-3, 0, 0, 0, 0]}, name="from-env")
    assert resolve_device(None, {}) is None
    assert resolve_device(None, {ENV_VAR: ""}) is None
    assert resolve_device(None, {ENV_VAR: str(path)}).name == "from-env"  # type: ignore[union-attr]
    other = write_profile(tmp_path / "arg.json", {"add": [1e-3, 0, 0, 0, 0]}, name="given")
    assert resolve_device(other, {ENV_VAR: str(path)}).name == "given"  # type: ignore[union-attr]


def test_a_bad_profile_named_by_the_environment_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        resolve_device(None, {ENV_VAR: str(tmp_path / "nowhere.json")})
    [d] = caught.value.diagnostics
    assert d.code == "E100" and d.message.startswith(f"{ENV_VAR}: ")
    assert d.data["env"] == ENV_VAR


def test_the_example_of_the_format_reference_loads(tmp_path: Path) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "device-profile.md").read_text()
    example = page.split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.json"
    path.write_text(example)
    p = load_profile(path)
    assert p.name == "ci-x86-torch-1t" and p.noise.trusted and len(p.classes) == 4


def test_a_hostile_profile_is_bounded(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "archspec-device-profile", "version": 1, "details": '
                    + "[" * 60 + "]" * 60 + "}")
    assert _errors(deep)[0][0] == "E109"
    wide = tmp_path / "wide.json"
    wide.write_text('{"format": "archspec-device-profile", "version": 1, "details": ['
                    + ", ".join(["0"] * 100_001) + "]}")
    assert _errors(wide)[0][0] == "E108"


def test_an_unknown_kernel_group_is_refused_with_the_nearest(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text('{"format": "archspec-device-profile", "version": 1, "name": "g",\n'
                    ' "backend": "torch", "threads": 1, "calibrated": "2026-11-30",\n'
                    ' "noise": {"median_iqr": 0, "p90_iqr": 0, "trusted": true},\n'
                    ' "features": ["calls", "macs", "in_elems", "out_elems", "weight_elems"],\n'
                    ' "classes": {},\n'
                    ' "network": {"groups": {"depthwsie": 1.1}}}')
    [(code, line, col, message)] = _errors(path)
    assert (code, line, col) == ("E182", 6, 24)
    assert "unknown kernel group 'depthwsie' (did you mean 'depthwise'?)" in message
