"""help, schema, list, rule, build, and what happens on a bug."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

import archspec
import archspec.cli
import archspec.cli.info
from archspec.spec.schema import json_schema
from archspec.spec.source import parse_source, read_source

from .helpers import EMO, ROOT, subprocess_cli

COMMANDS = ["lint", "profile", "build", "schema", "list", "rule"]
SHIPPED = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "specs").glob("*/*.yaml"))
HAS_TORCH = importlib.util.find_spec("torch") is not None


# ------------------------------------------------------------------------------------ help


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_everywhere(cli, command: str | None) -> None:  # noqa: ANN001
    result = cli(*([command] if command else []), "--help")
    assert result.rc == 0
    assert "usage: archspec" in result.out and "exit codes:" in result.out


def test_no_command_and_unknown_command_exit_2(cli) -> None:  # noqa: ANN001
    assert cli().rc == 2
    bad = cli("lnit", EMO)
    assert bad.rc == 2 and "invalid choice" in bad.err


def test_version(cli) -> None:  # noqa: ANN001
    result = cli("--version")
    assert result.rc == 0 and archspec.__version__ in result.out


def test_python_m_archspec_help() -> None:
    result = subprocess_cli("--help")
    assert result.rc == 0 and "lint" in result.out


# ------------------------------------------------------------------------------------ schema


def test_schema_command_prints_the_schema(cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("schema")
    assert result.rc == 0
    assert json.loads(result.out) == json_schema()
    out = tmp_path / "schema.json"
    assert cli("schema", "-o", str(out)).rc == 0
    assert out.read_text(encoding="utf-8") == result.out


def test_schema_unwritable_output_exits_2(cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("schema", "-o", str(tmp_path / "missing" / "dir" / "schema.json"))
    assert result.rc == 2 and "cannot write" in result.err


def test_checked_in_schema_is_up_to_date(cli) -> None:  # noqa: ANN001
    checked_in = (ROOT / "docs" / "archspec.schema.json").read_text(encoding="utf-8")
    assert checked_in == cli("schema").out, "run: archspec schema -o docs/archspec.schema.json"


def test_schema_is_valid_and_accepts_every_shipped_spec() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in SHIPPED:
        errors = [e.message for e in validator.iter_errors(read_source(path).data)]
        assert not errors, (path, errors[:3])


@pytest.mark.parametrize(("old", "new"), [
    ("dw_k: 3", "dw_kk: 3"),                               # unknown key in a template
    ("s3: {out: 120, depth: 9}", "s3: {out: 120, dpth: 9}"),  # unknown key in a stage override
    ("emo_2m:\n", "emo_2m:\n    widht: {mult: 2.0}\n"),    # unknown key in a variant
    ("block: conv, out: 24", "block: conv, out: 0"),        # out of range
    ("kind: avg", "kind: mean"),                           # not an allowed word
])
def test_schema_rejects_what_the_loader_rejects(old: str, new: str) -> None:
    text = (ROOT / EMO).read_text(encoding="utf-8")
    assert old in text
    validator = jsonschema.Draft202012Validator(json_schema())
    assert not list(validator.iter_errors(parse_source(text).data))
    bad = parse_source(text.replace(old, new, 1)).data
    assert list(validator.iter_errors(bad))


def test_schema_completes_block_fields() -> None:
    """Editors complete a block's fields and show their defaults and descriptions."""
    defs = json_schema()["$defs"]
    mmb = defs["MMBLayer"]
    assert mmb["required"] == ["block"]
    assert mmb["properties"]["dim_head"]["default"] == 32
    assert mmb["properties"]["exp"]["anyOf"][0]["exclusiveMinimum"] == 0
    assert all(p.get("description") for p in mmb["properties"].values())
    assert {r["$ref"] for r in defs["Block"]["oneOf"]} == {
        f"#/$defs/{f.model.__name__.removesuffix('Spec')}Layer"
        for f in archspec.blocks.FAMILIES.values()}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_specs_point_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    target = (path.parent / first.split("$schema=", 1)[-1]).resolve()
    assert first.startswith("# yaml-language-server: $schema=")
    assert target == (ROOT / "docs" / "archspec.schema.json").resolve()


# ------------------------------------------------------------------------------------ list


def test_list_shipped_specs(cli) -> None:  # noqa: ANN001
    result = cli("list", "--format", "json")
    assert result.rc == 0
    listing = json.loads(result.out)
    assert listing["schema_version"] == 1
    shipped = archspec.cli.info.shipped_specs()
    assert [Path(s["file"]).name for s in listing["specs"]] == [p.name for p in shipped]
    emo = next(s for s in listing["specs"] if s["name"] == "emo")
    assert emo["variants"] == ["emo_1m", "emo_2m", "emo_5m", "emo_6m"]
    assert emo["default_variant"] == "emo_1m"
    text = cli("list").out
    assert "*emo_1m emo_2m emo_5m emo_6m" in text


def test_list_given_files_reports_invalid_ones(cli) -> None:  # noqa: ANN001
    result = cli("list", EMO, "tests/cli/bad_specs/unknown_key.yaml")
    assert result.rc == 2
    assert "INVALID" in result.out and "E120" in result.err


# ------------------------------------------------------------------------------------ rule


def test_rule_list(cli) -> None:  # noqa: ANN001
    result = cli("rule", "--list")
    assert result.rc == 0
    assert "E140" in result.out and "Spec errors" in result.out


def test_rule_page_of_a_registered_rule(cli, stub_rules) -> None:  # noqa: ANN001
    result = cli("rule", "g1")
    assert result.rc == 0
    assert "Flags 1×1 convs" in result.out
    listing = cli("rule", "--list").out
    assert "unequal-channel-width" in listing


def test_rule_page_of_an_error_code(cli) -> None:  # noqa: ANN001
    result = cli("rule", "E140")
    assert result.rc == 0 and result.out.startswith("# E140: ")


def test_unknown_rule_exits_2_with_a_suggestion(cli) -> None:  # noqa: ANN001
    result = cli("rule", "E14")
    assert result.rc == 2 and "did you mean" in result.err


# ------------------------------------------------------------------------------------ build


def test_build_without_torch_exits_2() -> None:
    code = ("import sys\nsys.modules['torch'] = None\nimport archspec.cli\n"
            f"raise SystemExit(archspec.cli.main(['build', {EMO!r}]))")
    result = subprocess_cli(code=code)
    assert result.rc == 2
    assert "pip install 'archspec[torch]'" in result.err and "Traceback" not in result.all


def test_build_rejects_an_unknown_suffix_before_building(cli) -> None:  # noqa: ANN001
    result = cli("build", EMO, "-o", "model.h5")
    assert result.rc == 2 and ".pt2, .onnx, .pt" in result.err


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch")
def test_build_summary_and_checkpoint(cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "mbv2.pt"
    spec = "specs/mobilenet_v2.yaml"
    result = cli("build", spec, "--variant", "x0_5", "--num-classes", "10", "--input",
                 "2x3x96x96", "-o", str(out))
    assert result.rc == 0, result.all
    params = archspec.analyze(spec, variant="x0_5", num_classes=10).total.params
    assert f"parameters    {params:,} (as analysed)" in result.out
    assert "output        2×10" in result.out
    model = archspec.load_model(out)
    assert sum(p.numel() for p in model.parameters()) == params


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch")
def test_build_wrong_channels_exit_2(cli) -> None:  # noqa: ANN001
    result = cli("build", EMO, "--input", "1x1x224x224")
    assert result.rc == 2 and "channels" in result.err


# ------------------------------------------------------------------------------------ bugs


def test_a_bug_is_a_short_message_and_exit_3(cli, monkeypatch) -> None:  # noqa: ANN001
    def broken(args):  # noqa: ANN001, ANN202
        raise RuntimeError("the invariant broke")

    monkeypatch.setattr(archspec.cli.info, "cmd_list", broken)
    result = cli("list")
    assert result.rc == 3
    assert "internal error: RuntimeError: the invariant broke" in result.err
    assert "please report" in result.err and "Traceback" not in result.all


def test_a_bug_shows_its_traceback_on_request(cli, monkeypatch) -> None:  # noqa: ANN001
    def broken(args):  # noqa: ANN001, ANN202
        raise RuntimeError("the invariant broke")

    monkeypatch.setattr(archspec.cli.info, "cmd_list", broken)
    monkeypatch.setenv("ARCHSPEC_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        cli("list")
