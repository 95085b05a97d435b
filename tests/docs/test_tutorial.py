"""docs/tutorial.md stays true.

Its spec loads and resolves, its broken specs fail with the code and at the place it shows, every
`archspec` command it shows prints the lines it shows and exits with the code it states, its
Python examples print what it shows, and the figures it quotes are `archspec.analyze`'s.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import archspec
from archspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
TEXT = TUTORIAL.read_text(encoding="utf-8")
TINYNET = "docs/tutorial/tinynet.yaml"

# Worked out by hand from docs/tutorial/broken_*.yaml (each is tinynet.yaml with one change):
# line 27 is stage s3's template,
#   `    block: {block: mmb, f: attn, dim_head: 16, window: 4}   # ...`
#    4 spaces, `block:` 5-10, `{` 12, `block:` 13-18, `mmb,` 20-23, `f:` 25-26, `attn,` 28-32,
#    so the key after `attn, ` starts at column 34 and its value (after `dim_head: `) at 44;
# line 31 is the pool, `  - {block: pool, global: yes}`: `global:` 19-25, its value at 27.
BROKEN = {
    "broken_typo.yaml": ("E120", 27, 34, "dim_haed"),
    "broken_dim_head.yaml": ("E140", 27, 44, "24"),
    "broken_bool.yaml": ("E111", 31, 27, "yes"),
}
NOQA_MARKER = "<!-- test: run on tinynet.yaml without its noqa line -->"


# --------------------------------------------------------------------------- reading the page


@dataclass
class Command:
    line: str                      # as shown, without the `$ `
    shown: list[str] = field(default_factory=list)
    exit_code: int | None = None   # from a following `$ echo $?`


@dataclass
class ConsoleBlock:
    commands: list[Command]
    without_noqa: bool


def _console_blocks() -> list[ConsoleBlock]:
    blocks = []
    for match in re.finditer(r"(<!--[^\n]*-->\n)?```console\n(.*?)```", TEXT, flags=re.S):
        commands: list[Command] = []
        lines = match.group(2).splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            assert line.startswith("$ "), f"console block must start with a command: {line!r}"
            i += 1
            output = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            if line == "$ echo $?":
                assert commands, "`echo $?` with no command before it"
                commands[-1].exit_code = int(output[0])
            else:
                commands.append(Command(line[2:], output))
        blocks.append(ConsoleBlock(commands, match.group(1) == NOQA_MARKER + "\n"))
    return blocks


BLOCKS = _console_blocks()


def _runnable(command: Command) -> bool:
    """Commands this test re-runs: archspec and python ones; not the install or `source`."""
    return "&&" not in command.line and command.line.split()[0] in ("archspec", "python")


def _writes_files(block: ConsoleBlock) -> bool:
    return any(" > " in c.line or " -o " in c.line for c in block.commands)


def _section(number: int) -> str:
    return TEXT.split(f"\n## {number}. ", 1)[1].split("\n## ", 1)[0]


# --------------------------------------------------------------------------- running commands


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("ARCHSPEC_TRACEBACK", raising=False)
    monkeypatch.chdir(ROOT)


def _archspec(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


def _run(line: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """One shown command line: `archspec ...` in-process, `python ...` as a subprocess, joined by
    `|` and ending optionally in `> FILE`, in the current directory."""
    tokens = shlex.split(line)
    target = None
    if ">" in tokens:
        at = tokens.index(">")
        tokens, target = tokens[:at], tokens[at + 1]
    stages: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            stages.append([])
        else:
            stages[-1].append(token)
    rc, out = 0, ""
    for n, stage in enumerate(stages):
        if stage[0] == "archspec":
            assert n == 0, line
            rc, out = _archspec(stage[1:], capsys)
        elif stage[0] == "python":
            done = subprocess.run([sys.executable, *stage[1:]], input=out if n else None,
                                  capture_output=True, text=True, check=False,
                                  timeout=300)  # a hang bound, not a timing
            rc, out = done.returncode, done.stdout + done.stderr
        else:
            raise AssertionError(f"the test cannot run {stage[0]!r}: {line}")
    if target is not None:
        Path(target).write_text(out, encoding="utf-8")
        out = ""
    return rc, out


def _checkout(tmp_path: Path, *, without_noqa: bool) -> Path:
    """The files the tutorial's commands read, in a scratch directory they may write into."""
    shutil.copytree(ROOT / "docs" / "tutorial", tmp_path / "docs" / "tutorial")
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if without_noqa:
        spec = tmp_path / TINYNET
        lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
        spec.write_text("".join(x for x in lines if "noqa:" not in x), encoding="utf-8")
    return tmp_path


def _assert_shown(shown: list[str], printed: str, line: str) -> None:
    """Every shown line ('...' aside) is printed, in the order shown."""
    actual = [x.rstrip() for x in printed.splitlines()]
    at = 0
    for want in shown:
        if want.strip() == "...":
            continue
        want = want.rstrip()
        try:
            at = actual.index(want, at) + 1
        except ValueError:
            pytest.fail(f"`{line}` no longer prints\n  {want}\nIt printed:\n{printed}")


RUNNABLE = [(i, b) for i, b in enumerate(BLOCKS) if any(_runnable(c) for c in b.commands)]


@pytest.mark.parametrize("block", [b for _, b in RUNNABLE],
                         ids=[f"{i}:{b.commands[0].line[:60]}" for i, b in RUNNABLE])
def test_commands_print_what_the_tutorial_shows(
    block: ConsoleBlock, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if any(c.line.startswith("archspec build") for c in block.commands):
        pytest.importorskip("torch")
        pytest.importorskip("onnxruntime")
    if block.without_noqa or _writes_files(block):
        monkeypatch.chdir(_checkout(tmp_path, without_noqa=block.without_noqa))
    for command in block.commands:
        if not _runnable(command):
            continue
        rc, printed = _run(command.line, capsys)
        _assert_shown(command.shown, printed, command.line)
        if command.exit_code is not None:
            assert rc == command.exit_code, f"`{command.line}` exits {rc}\n{printed}"


def test_the_page_shows_commands_and_exit_codes() -> None:
    """The parser above finds what the page is about (so a reformatted page cannot pass empty)."""
    lines = [c.line for b in BLOCKS for c in b.commands]
    assert f"archspec lint {TINYNET}" in lines
    assert f"archspec profile {TINYNET}" in lines
    assert sum(c.exit_code is not None for b in BLOCKS for c in b.commands) >= 6
    assert sum(b.without_noqa for b in BLOCKS) == 1


# --------------------------------------------------------------------------- tinynet


def test_tinynet_loads_and_resolves_every_variant() -> None:
    document = archspec.load(ROOT / TINYNET)
    shown = re.search(r"^tinynet  (.+?)  +docs/tutorial/tinynet\.yaml$", TEXT, flags=re.M)
    assert shown, "the tutorial's `archspec list` line for tinynet"
    assert [v.lstrip("*") for v in shown.group(1).split()] == document.variants
    assert document.default_variant == "base"
    for variant in document.variants:
        net = archspec.resolve(document, variant)
        assert archspec.analyze(document, variant=variant).total.output_shape == (10,), net


def test_lint_exits_with_the_code_the_tutorial_states(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stated = [c for b in BLOCKS for c in b.commands
              if c.line == f"archspec lint {TINYNET}" and c.exit_code is not None]
    assert len(stated) == 1
    rc, printed = _archspec(["lint", TINYNET], capsys)
    assert rc == stated[0].exit_code, printed


def test_the_tutorial_shows_tinynet_as_written() -> None:
    """Step 4's YAML pieces, in order, are tinynet.yaml without the noqa step 7 adds."""
    pieces = re.findall(r"```yaml\n(.*?)```", _section(4), flags=re.S)
    spec = (ROOT / TINYNET).read_text(encoding="utf-8")
    noqa = [x for x in spec.splitlines(keepends=True) if "noqa:" in x]
    assert len(noqa) == 1
    assert "".join(pieces) == spec.replace(noqa[0], "")
    assert noqa[0] in re.findall(r"```yaml\n(.*?)```", _section(7), flags=re.S)


def test_the_mobilenet_v2_excerpt_is_the_shipped_spec() -> None:
    excerpt = re.findall(r"```yaml\n(.*?)```", _section(2), flags=re.S)[0]
    spec = (ROOT / "specs" / "mobilenet_v2.yaml").read_text(encoding="utf-8")
    assert excerpt in spec


# --------------------------------------------------------------------------- broken specs


def test_every_broken_spec_is_in_the_table() -> None:
    assert sorted(p.name for p in (ROOT / "docs" / "tutorial").glob("broken_*.yaml")) == sorted(
        BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_spec_fails_where_the_tutorial_says(
    name: str, capsys: pytest.CaptureFixture[str],
) -> None:
    code, line, col, token = BROKEN[name]
    path = f"docs/tutorial/{name}"
    text = (ROOT / path).read_text(encoding="utf-8").splitlines()
    assert text[line - 1][col - 1:].startswith(token), "the hand-computed position moved"

    # tinynet.yaml with one change: that line (and the comment of line 3)
    original = (ROOT / TINYNET).read_text(encoding="utf-8").splitlines()
    assert len(text) == len(original)
    changed = [i + 1 for i, (a, b) in enumerate(zip(original, text, strict=True)) if a != b]
    assert changed == [3, line]

    # the tutorial prints it there, and says lint exits 2
    where = f"{path}:{line}:{col}: {code} "
    assert where in TEXT
    stated = [c for b in BLOCKS for c in b.commands if c.line == f"archspec lint {path}"]
    assert len(stated) == 1 and stated[0].exit_code == 2

    rc, printed = _archspec(["lint", path, "--format", "json"], capsys)
    assert rc == 2
    diagnostics = json.loads(printed)["diagnostics"]
    assert diagnostics and {(d["code"], d["line"], d["col"]) for d in diagnostics} == {
        (code, line, col)}
    rc, printed = _archspec(["lint", path], capsys)
    assert rc == 2 and where in printed


# --------------------------------------------------------------------------- numbers


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_variant_table_is_analyze() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([\d,]+) \| ([\d,]+) \|$", _section(6), flags=re.M)
    assert {name for name, _, _ in rows} == set(archspec.load(ROOT / TINYNET).variants)
    for variant, params, macs in rows:
        total = archspec.analyze(ROOT / TINYNET, variant=variant).total
        assert (_number(params), _number(macs)) == (total.params, total.macs), variant


def test_profile_totals_are_analyze() -> None:
    checked = 0
    for block in BLOCKS:
        for command in block.commands:
            argv = shlex.split(command.line)
            if argv[:3] != ["archspec", "profile", TINYNET] or "--format" in argv:
                continue
            options = dict(zip(argv[3::2], argv[4::2], strict=True))
            kwargs: dict[str, object] = {"variant": options.get("--variant")}
            if "--input" in options:
                n, _, h, w = (int(x) for x in options["--input"].split("x"))
                kwargs.update(batch=n, input_size=(h, w))
            total = archspec.analyze(ROOT / TINYNET, **kwargs).total  # type: ignore[arg-type]
            shown = "\n".join(command.shown)
            for label, value in (("params", total.params), (r"MACs \(per image\)", total.macs)):
                found = re.search(rf"^{label} +([\d,]+) ", shown, flags=re.M)
                if found:
                    assert _number(found.group(1)) == value, (command.line, label)
                    checked += 1
    assert checked >= 3


def test_attention_share_quoted_in_step_6() -> None:
    params, macs = (int(x) for x in re.search(
        r"attention blocks hold (\d+)% of the parameters and (\d+)% of the MACs",
        TEXT).groups())
    analysis = archspec.analyze(ROOT / TINYNET)
    attention = [b for b in analysis.blocks if b.path in ("stages.s3[1]", "stages.s3[2]")]
    assert round(100 * sum(b.params for b in attention) / analysis.total.params) == params
    assert round(100 * sum(b.macs for b in attention) / analysis.total.macs) == macs


# --------------------------------------------------------------------------- Python examples

EXAMPLES = re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", TEXT, flags=re.S)


def test_the_page_has_python_examples() -> None:
    assert len(EXAMPLES) == 2


@pytest.mark.parametrize("code, output", EXAMPLES, ids=["analyze", "build"])
def test_python_example_prints_what_the_tutorial_shows(code: str, output: str) -> None:
    if "import torch" in code:
        pytest.importorskip("torch")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(TUTORIAL), "exec"), {"__name__": "tutorial"})  # noqa: S102
    assert printed.getvalue() == output
