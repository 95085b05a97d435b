"""``archspec graph``: formats, output files, exit codes, no torch, a missing Graphviz."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .helpers import EMO, subprocess_cli

HAS_DOT = importlib.util.find_spec("graphviz") is not None and shutil.which("dot") is not None
if not HAS_DOT and os.environ.get("ARCHSPEC_REQUIRE_GRAPHVIZ") == "1":  # CI: .ci/run installs it
    raise RuntimeError("ARCHSPEC_REQUIRE_GRAPHVIZ=1 but the graphviz binding or `dot` is missing")
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="needs the graphviz binding and `dot`")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_dot_and_mermaid_go_to_stdout(cli) -> None:  # noqa: ANN001
    dot = cli("graph", EMO)
    assert dot.rc == 0 and dot.out.startswith('digraph "emo:emo_1m" {')
    mermaid = cli("graph", "emo_2m", "--format", "mermaid")
    assert mermaid.rc == 0 and mermaid.out.startswith("flowchart TB")
    assert "emo:emo_2m" in mermaid.out


@needs_dot
def test_svg_is_well_formed_and_the_same_bytes_each_time(cli, tmp_path: Path) -> None:  # noqa: ANN001
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    assert cli("graph", EMO, "--format", "svg", "-o", str(first)).rc == 0
    assert cli("graph", EMO, "--format", "svg", "-o", str(second)).rc == 0
    assert first.read_bytes() == second.read_bytes()
    root = ET.fromstring(first.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "mmb λ3 dw5 attn w7 +skip ×7" in {e.text for e in root.iter()}


@needs_dot
def test_png_starts_with_the_png_magic(cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "emo.png"
    result = cli("graph", EMO, "--format", "png", "-o", str(out))
    assert result.rc == 0 and out.read_bytes().startswith(PNG_MAGIC)


@needs_dot
def test_png_to_a_pipe_is_the_bytes() -> None:
    code = ("import subprocess, sys\n"
            "p = subprocess.run([sys.executable, '-m', 'archspec', 'graph', "
            f"{EMO!r}, '--format', 'png'], capture_output=True)\n"
            "assert p.returncode == 0, p.stderr\n"
            f"assert p.stdout.startswith({PNG_MAGIC!r}), p.stdout[:20]\n")
    result = subprocess_cli(code=code)
    assert result.rc == 0, result.all


@needs_dot
def test_expanded_100_block_network_renders(cli, tmp_path: Path) -> None:  # noqa: ANN001
    spec = tmp_path / "deep.yaml"
    spec.write_text("archspec: 1\nname: deep\ninput: {channels: 3, size: 32}\n"
                    "stem:\n  - {block: conv, out: 16, k: 3, stride: 2}\n"
                    "stages:\n  - name: s1\n    out: 16\n    depth: 97\n"
                    "    block: {block: conv, k: 3, groups: depthwise}\n"
                    "head:\n  - {block: pool, global: true}\n  - {block: linear, out: 10}\n")
    svg = tmp_path / "deep.svg"
    assert cli("graph", str(spec), "--format", "mermaid").out.count("×97") == 1
    result = cli("graph", str(spec), "--expand", "--format", "svg", "-o", str(svg))
    assert result.rc == 0, result.err
    titles = [e.text for e in ET.fromstring(svg.read_bytes()).iter()
              if e.tag.endswith("}title")]
    assert sum(t.startswith("n") and "->" not in t for t in titles) == 100 + 2  # + input, output


@needs_dot
def test_missing_dot_exits_2_naming_it(cli, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                                       tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` there
    result = cli("graph", EMO, "--format", "svg", "-o", str(tmp_path / "x.svg"))
    assert result.rc == 2 and "apt install graphviz" in result.err
    assert "Traceback" not in result.all and not (tmp_path / "x.svg").exists()
    assert cli("graph", EMO, "--format", "dot").rc == 0  # text needs nothing


def test_missing_binding_exits_2_naming_it(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setitem(sys.modules, "graphviz.backend", None)
    result = cli("graph", EMO, "--format", "png", "-o", "never.png")
    assert result.rc == 2 and "pip install 'archspec[graph]'" in result.err


def test_a_spec_error_exits_2(cli, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.yaml"
    bad.write_text("archspec: 1\nname: bad\ninput: {channels: 3, size: 32}\n"
                   "stages:\n  - {name: s1, out: 8, depth: 1, block: {block: conv, k: 0}}\n")
    result = cli("graph", str(bad))
    assert result.rc == 2 and "bad.yaml:5" in result.err
    assert cli("graph", EMO, "--variant", "emo_9m").rc == 2


_NO_TORCH = """
import sys
import archspec.cli
rc = archspec.cli.main({argv!r})
assert "torch" not in sys.modules, "torch was imported"
raise SystemExit(rc)
"""


@pytest.mark.parametrize("fmt", ["mermaid", pytest.param("svg", marks=needs_dot)])
def test_graph_never_imports_torch(fmt: str) -> None:
    result = subprocess_cli(code=_NO_TORCH.format(argv=["graph", EMO, "--format", fmt]))
    assert result.rc == 0, result.all


def test_nodes_carry_the_figures_profile_prints(cli) -> None:  # noqa: ANN001
    """Expanded, each block's node shows the params, MACs and predicted ms `archspec profile`
    gives that block (JSON, unrounded), rounded as the node prints them."""
    import json

    from archspec.report.text import human

    device = "docs/examples/dev-cpu-torch-1t.json"
    profile = json.loads(cli("profile", EMO, "--device", device, "--format", "json").out)
    dot = cli("graph", EMO, "--expand", "--device", device).out
    for block in profile["blocks"]:
        figures = (f"{human(block['params'])} params · {human(block['macs'])} MACs · "
                   f"{block['latency_ms']:.3g} ms")
        assert figures in dot, block["path"]
