"""Every malformed spec, through ``archspec lint``: exit 2, the error at its line:col, no traceback.

Two tables drive this: ``tests/spec/malformed/EXPECTED.yaml`` (files the loader refuses) and
``tests/cli/bad_specs/EXPECTED.yaml`` (well-formed YAML that the schema or resolution refuses), each
mapping file → code, line, col (and for bad_specs a message fragment and the variant).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from .helpers import ROOT, subprocess_cli

MALFORMED = ROOT / "tests" / "spec" / "malformed"
BAD = ROOT / "tests" / "cli" / "bad_specs"

#: Fixtures whose expected diagnostic is right but not produced yet: (file → why). strict xfail,
#: so fixing the cause makes the test fail until the entry is removed.
KNOWN_BUGS: dict[str, str] = {}


def _table(folder: Path) -> dict[str, dict]:
    return yaml.safe_load((folder / "EXPECTED.yaml").read_text(encoding="utf-8"))


def _cases(folder: Path) -> list:
    cases = []
    for name, want in sorted(_table(folder).items()):
        marks = [pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True)] \
            if name in KNOWN_BUGS and folder == BAD else []
        cases.append(pytest.param(name, want, id=name, marks=marks))
    return cases


@pytest.mark.parametrize("folder", [MALFORMED, BAD], ids=["malformed", "bad_specs"])
def test_every_fixture_has_an_expectation(folder: Path) -> None:
    files = {p.name for p in folder.iterdir() if p.suffix == ".yaml"} - {"EXPECTED.yaml"}
    assert files == set(_table(folder))


def _check(run, folder: Path, name: str, want: dict) -> None:  # noqa: ANN001
    path = str((folder / name).relative_to(ROOT))
    result = run("lint", path)
    assert result.rc == 2, result.all
    assert f"{path}:{want['line']}:{want['col']}: {want['code']} " in result.out, result.all
    assert "Traceback" not in result.all
    if "message" in want:
        assert want["message"] in result.out, result.out


@pytest.mark.parametrize(("name", "want"), _cases(MALFORMED))
def test_malformed_spec_is_located(cli, name: str, want: dict) -> None:  # noqa: ANN001
    _check(cli, MALFORMED, name, want)


@pytest.mark.parametrize(("name", "want"), _cases(BAD))
def test_bad_spec_is_located(cli, name: str, want: dict) -> None:  # noqa: ANN001
    _check(cli, BAD, name, want)
    result = cli("lint", str((BAD / name).relative_to(ROOT)), "--format", "json")
    first = next(d for d in json.loads(result.out)["diagnostics"]
                 if d["code"].startswith("E") and d["severity"] == "error")  # not an E149 note
    assert (first["code"], first["line"], first["col"]) == (want["code"], want["line"],
                                                            want["col"])
    assert first["variant"] == want.get("variant")
    _check_all_at_once(json.loads(result.out)["diagnostics"], want)


def _check_all_at_once(diagnostics: list[dict], want: dict) -> None:
    """The table's ``also``, ``errors`` and ``variants``: every mistake in one run, each once."""
    errors = [d for d in diagnostics if d["code"].startswith("E") and d["severity"] == "error"]
    if "errors" in want:
        assert len(errors) == want["errors"], errors
    if "variants" in want:
        assert errors[0]["data"]["variants"] == want["variants"]
    for other in want.get("also", []):
        found = [d for d in diagnostics if (d["code"], d["line"], d["col"]) ==
                 (other["code"], other["line"], other["col"])]
        assert found, (other, diagnostics)
        assert other["message"] in found[0]["message"]
        assert found[0]["variant"] == other.get("variant")


def test_all_bad_specs_in_one_run(cli) -> None:  # noqa: ANN001
    """Many files at once: every one reported, in the order given, exit 2."""
    names = sorted(_table(BAD))
    paths = [str((BAD / n).relative_to(ROOT)) for n in names]
    result = cli("lint", "specs/emo.yaml", *paths, "--format", "json")
    assert result.rc == 2
    report = json.loads(result.out)
    assert [f["file"] for f in report["files"]] == ["specs/emo.yaml", *paths]
    assert report["summary"]["files_with_spec_errors"] == len(paths)
    assert report["files"][0]["spec_error"] is False


@pytest.mark.parametrize("name", ["binary_png.yaml", "alias_bomb.yaml", "syntax_tab_indent.yaml",
                                  "invalid_utf8.yaml"])
def test_malformed_through_python_m(name: str) -> None:
    want = _table(MALFORMED)[name]
    path = f"tests/spec/malformed/{name}"
    result = subprocess_cli("lint", path)
    assert result.rc == 2, result.all
    assert f"{path}:{want['line']}:{want['col']}: {want['code']} " in result.out
    assert "Traceback" not in result.all


@pytest.mark.parametrize("name", ["dim_head.yaml", "variant_missing_stage.yaml"])
def test_bad_spec_through_python_m(name: str) -> None:
    want = _table(BAD)[name]
    path = f"tests/cli/bad_specs/{name}"
    result = subprocess_cli("lint", path, "--format", "github")
    assert result.rc == 2, result.all
    assert (f"::error file={path},line={want['line']},col={want['col']},"
            f"title={want['code']}::") in result.out
    assert "Traceback" not in result.all
