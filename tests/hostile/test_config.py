"""Issue 8 §3 and §6: ``[tool.archspec]`` in pyproject.toml, whatever the file holds (decision 0011).

Every malformed pyproject.toml is a located E17x (or E100/E113 for the file itself): exit 2, never
AttributeError/TypeError/UnicodeDecodeError/RecursionError/PermissionError (exit 3). Positions
come from archspec.rules.config's scanner, since tomllib keeps none.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archspec.cli import main
from archspec.diagnostics import Span, SpecError
from archspec.rules.config import ConfigTable, find_config, read_config
from archspec.rules.toml_positions import toml_source

ROOT = Path(__file__).resolve().parents[2]
SMALL = """\
archspec: 1
name: small
input: {channels: 3, size: 32}
stages:
  - {name: s1, out: 16, depth: 1, block: {block: conv, k: 3}}
"""
HANG_BOUND = 60  # seconds: a hang detector, not a timing


def _errors(tmp_path: Path, content: str | bytes) -> list[tuple[str, int, int, str]]:
    """(code, line, col, message) of the SpecError that reading ``content`` raises."""
    path = tmp_path / "pyproject.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        read_config(path)
    for d in info.value.diagnostics:
        assert d.span.file == str(path)
    return [(d.code, d.span.line, d.span.col, d.message) for d in info.value.diagnostics]


# (content, code, line, col, a fragment of the message): positions worked out by hand
LOCATED = [
    ("tool = 1\n", "E174", 1, 8, "`tool` must be a table, got 1 (integer)"),          # the 1
    ("[tool]\narchspec = 5\n", "E174", 2, 12, "`tool.archspec` must be a table"),      # the 5
    ('[tool]\narchspec = "x"\n', "E174", 2, 12, "got 'x' (string)"),
    ('[tool.archspec]\nselect = "G"\n', "E174", 2, 10, "expected a list, got 'G'"),    # the quote
    ("[tool.archspec]\nselect = [1]\n", "E174", 2, 11, "expected a string, got 1"),     # the 1
    ("[tool.archspec]\ntarget = true\n", "E174", 2, 10, "expected a string, got true"),
    ("[tool.archspec]\nrules = 3\n", "E174", 2, 9, "expected a mapping, got 3"),
    ('[tool.archspec]\nignroe = ["S104"]\n', "E174", 2, 1, "unknown key `ignroe`"),    # the key
    ('[tool.archspec]\nselect = ["G", "X9"]\n', "E173", 2, 16, "`X9` selects no rule"),  # "X9"
    ('[tool.archspec]\nignore = [\n  "S104",\n  "nope",  # no such rule\n]\n', "E173", 4, 3,
     "`tool.archspec.ignore[1]`: `nope`"),                                             # "nope"
    ('[tool.archspec]\ntarget = "mobile-cpux"\n', "E170", 2, 10, "no target named"),
    ("[tool.archspec]\nselect = [\n", "E174", 3, 1, "not valid TOML"),                # the end
    ("[tool.archspec]\nselect = [\"G\"\nx = 1\n", "E174", 3, 1, "not valid TOML"),
    ("x = 1\n[tool.archspec]\nselect = [" + "[" * 60 + "]" * 60 + "]\n", "E174", 3, 60,
     "nests more than 50 levels"),            # the list 51 levels below the table: col 10 + 50
]


@pytest.mark.parametrize(("content", "code", "line", "col", "fragment"), LOCATED)
def test_a_malformed_table_is_a_located_error(tmp_path: Path, content: str, code: str,
                                              line: int, col: int, fragment: str) -> None:
    ((got_code, got_line, got_col, message),) = _errors(tmp_path, content)
    assert (got_code, got_line, got_col) == (code, line, col), message
    assert fragment in message


def test_not_utf8_and_utf16_are_located_e174(tmp_path: Path) -> None:
    # latin-1 é after "caf" on line 3: column 4
    assert _errors(tmp_path, b"x = 1\n[tool.archspec]\ncaf\xe9 = 1\n")[0][:3] == ("E174", 3, 4)
    utf16 = "[tool.archspec]\nselect = ['G']\n".encode("utf-16")  # starts with the BOM ff fe
    ((code, line, col, message),) = _errors(tmp_path, utf16)
    assert (code, line, col) == ("E174", 1, 1) and "not UTF-8" in message


def test_deep_nesting_outside_our_table_is_e174_not_recursion_error(tmp_path: Path) -> None:
    ((code, _, _, message),) = _errors(tmp_path, "a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert code == "E174" and "nested too deeply" in message


def test_unreadable_pyproject_is_e100(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No read permission (simulated: the suite may run as root, who reads anything)."""
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.archspec]\n", encoding="utf-8")
    real_open = os.open

    def denied(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(SpecError) as info:
        find_config(tmp_path)
    (d,) = info.value.diagnostics
    assert d.code == "E100" and "permission denied" in d.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_named_pyproject_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text(SMALL, encoding="utf-8")
    os.mkfifo(tmp_path / "pyproject.toml")
    result = subprocess.run([sys.executable, "-m", "archspec", "lint", "net.yaml"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=HANG_BOUND)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "E100" in output and "FIFO" in output


# ------------------------------------------------------------------ E171/E172: rule options


@pytest.mark.parametrize(("content", "code", "line", "col", "fragment"), [
    ("[tool.archspec.rules.G9]\nnetwork_share = 0.1\n", "E171", 1, 22,
     "`tool.archspec.rules.G9`: unknown rule"),                          # G9 in the header
    ('[tool.archspec.rules.G1]\nnetwork_share = "x"\n', "E172", 2, 17,
     "`tool.archspec.rules.G1.network_share`: expected a number, got 'x'"),  # the quote
    ("[tool.archspec]\nrules = {G1 = {network_shar = 0.1}}\n", "E172", 2, 16,
     "unknown key `network_shar`"),                                      # the inner key
    ("[tool.archspec]\nrules.G1.network_share = -1.0\n", "E172", 2, 26, "out of range"),
])
def test_rule_option_errors_have_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 content: str, code: str, line: int, col: int,
                                                 fragment: str) -> None:
    (tmp_path / "pyproject.toml").write_text(content, encoding="utf-8")
    (tmp_path / "net.yaml").write_text(SMALL, encoding="utf-8")
    assert main(["lint", str(tmp_path / "net.yaml")]) == 2
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert f"{tmp_path / 'pyproject.toml'}:{line}:{col}: {code} " in out, out
    assert fragment in out


def test_a_rule_name_selects_its_options(tmp_path: Path) -> None:
    """``[tool.archspec.rules.<name>]`` works as in target files."""
    from archspec.rules.registry import RULES
    from archspec.rules.targets import load_target

    (tmp_path / "pyproject.toml").write_text(
        f"[tool.archspec.rules.{RULES['G1'].name}]\nnetwork_share = 0.5\n", encoding="utf-8")
    config = find_config(tmp_path)
    target = load_target().with_options(config.rules, config.where, config.source)
    assert target.options("G1").network_share == 0.5


# ------------------------------------------------------------------ the CLI, end to end


@pytest.mark.parametrize("content", [
    "tool = 1\n", "[tool]\narchspec = 5\n", b"\xff\xfe[\x00t\x00o\x00o\x00l\x00]\x00",
    "a = " + "[" * 3000 + "]" * 3000 + "\n", b"[tool.archspec]\nselect = ['\xe9']\n",
])
def test_lint_exits_2_never_3(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              content: str | bytes) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "net.yaml").write_text(SMALL, encoding="utf-8")
    assert main(["lint", str(tmp_path / "net.yaml")]) == 2
    captured = capsys.readouterr()
    assert f"{path}:" in captured.out + captured.err and "internal error" not in captured.err


def test_valid_tables_still_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.other]\nx = """a\n[tool.archspec]\nb = 1"""\n'   # a header inside a string
        "[tool.archspec]\n"
        'select = ["G", \'S\']  # comment\n'
        "ignore = []\n"
        "[tool.archspec.rules.G1]\n"
        "network_share = 0.25\n", encoding="utf-8")
    config = find_config(tmp_path)
    assert (config.select, config.ignore, config.rules) == (
        ("G", "S"), (), {"G1": {"network_share": 0.25}})
    assert config.source is not None
    # the scanner skipped the multi-line string: `select` is on line 6
    assert config.source.span_of(("tool", "archspec", "select")).line == 6


def test_the_scanner_survives_any_valid_toml() -> None:
    text = ('a."b.c" = {d = [1, {e = "]"}], f = \'\'\'x\ny\'\'\'}\n'
            '[[tool.archspec.rules.G1.items]]\nk = "\\"quoted\\" = 1"\n'
            '[tool.archspec]\n"select" = [ # c\n "G",\n]\n')
    import tomllib

    source = toml_source("p.toml", text, tomllib.loads(text))
    assert source.span_of(("tool", "archspec", "select", 0)) == Span("p.toml", 7, 2)
    assert source.key_span_of(("tool", "archspec", "rules", "G1", "items", 0, "k")) == \
        Span("p.toml", 4, 1)


def test_docs_describe_every_key() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in ConfigTable.model_fields:
        assert f"| `{key}" in page, f"docs/configuration.md: no row for `{key}`"
    for code in ("E170", "E171", "E172", "E173", "E174"):
        assert code in page
