"""The block diagram (archspec/report/diagram.py) against the spec it draws and against
Graphviz's own parser: every shipped network, the ×N of repeated blocks, findings, escaping."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

import archspec
from archspec.blocks.base import FAMILIES
from archspec.pipeline import LintRequest, run
from archspec.report.diagram import (
    LABELS,
    Cluster,
    Diagram,
    Edge,
    Node,
    build_diagram,
    to_dot,
    to_mermaid,
)

SPECS = Path(__file__).resolve().parents[2] / "specs"
FILES = sorted(str(p.relative_to(SPECS)) for p in SPECS.rglob("*.yaml"))

#: svg/png and reading DOT back need the graphviz binding and Graphviz's `dot` (CI installs both:
#: .ci/run); the text renderers are tested without them
HAS_DOT = importlib.util.find_spec("graphviz") is not None and shutil.which("dot") is not None
if not HAS_DOT and os.environ.get("ARCHSPEC_REQUIRE_GRAPHVIZ") == "1":  # CI: .ci/run installs it
    raise RuntimeError("ARCHSPEC_REQUIRE_GRAPHVIZ=1 but the graphviz binding or `dot` is missing")
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="needs the graphviz binding and `dot`")


def diagrams(spec: str, variant: str | None, *, expand: bool = False):  # noqa: ANN201
    net, findings, both = both_diagrams(spec, variant)
    return net, findings, both[expand]


def both_diagrams(spec: str, variant: str | None):  # noqa: ANN201
    """The network, its findings and its diagrams, (collapsed, expanded)."""
    document = archspec.load(SPECS / spec)
    [result] = run(document, [variant], lint=LintRequest()).variants
    net, graph = result.require()
    findings = result.findings or ()
    return net, findings, tuple(build_diagram(net, graph, findings, expand=e)
                                for e in (False, True))


def dot_json(dot: str) -> dict:
    """Graphviz's reading of DOT text (``dot -Tjson``): what its parser made of every label."""
    import graphviz

    return json.loads(graphviz.pipe("dot", "json", dot.encode()))


@pytest.mark.parametrize("spec", FILES)
def test_every_shipped_variant_draws_every_block(spec: str) -> None:
    """Collapsed, the ×N of the nodes add up to the net's top-level blocks; expanded, there is
    one anchor per block, in order; both render to DOT and Mermaid text."""
    for variant in archspec.load(SPECS / spec).variants or [None]:
        net, findings, (collapsed, expanded) = both_diagrams(spec, variant)
        assert sum(n.repeat for n in collapsed.anchors()) == len(net.blocks)
        assert [n.paths for n in expanded.anchors()] == [(b.path,) for b in net.blocks]
        # the collapsed diagram loses no finding's code
        drawn = {c for n in collapsed.nodes for c in n.codes}
        assert drawn == {d.code for d in findings if d.block}
        for d in (collapsed, expanded):
            assert to_dot(d).startswith("digraph ") and to_mermaid(d).startswith("flowchart")


@needs_dot
@pytest.mark.parametrize("spec", ["emo.yaml", "ghostnet.yaml", "starnet.yaml", "mobilevit.yaml",
                                  "experiments/g3_fragments.yaml"])
def test_dot_text_is_what_graphviz_reads(spec: str) -> None:
    """Graphviz parses the DOT (its JSON output) with one node per diagram node, the labels as
    written, and draws well-formed SVG."""
    _, _, d = diagrams(spec, None, expand=True)
    parsed = dot_json(to_dot(d))
    by_name = {o["name"]: o for o in parsed["objects"] if "nodes" not in o and
               not o["name"].startswith("cluster")}
    assert set(by_name) == {n.id for n in d.nodes}
    for n in d.nodes:
        assert by_name[n.id]["label"].split("\\n")[0].startswith(n.label)
    assert len(parsed["edges"]) == len(d.edges)
    from archspec.report.diagram_render import render

    ET.fromstring(render(to_dot(d), "svg"))  # well-formed XML


def test_a_stage_of_repeated_blocks_is_one_node_with_its_depth() -> None:
    """EMO-1M's stages, from the YAML: the first block of a stage differs (it downsamples), the
    other depth − 1 are drawn as one ``×N`` node."""
    text = yaml.safe_load((SPECS / "emo.yaml").read_text())
    _, _, d = diagrams("emo.yaml", None)
    for stage in text["stages"]:
        anchors = [n for n in d.anchors() if n.paths[0].startswith(f"stages.{stage['name']}[")]
        assert [n.repeat for n in anchors] == [1, stage["depth"] - 1] if stage["depth"] > 2 \
            else [1] * stage["depth"]
        if stage["depth"] > 2:
            assert to_dot(d).count(f"×{stage['depth'] - 1}\\n") >= 1


@needs_dot
def test_a_g_rule_warning_colours_its_block() -> None:
    """G1 on the 1:2 variant of the channel-width experiment: the block `archspec lint` names
    is drawn amber with the code, in DOT and in Mermaid."""
    from tests.cli.helpers import subprocess_cli

    spec = "experiments/g1_channel_width.yaml"
    lint = subprocess_cli("lint", f"specs/{spec}", "--variant", "r1_2", "--format", "json")
    [warning] = [x for x in json.loads(lint.out)["diagnostics"] if x["code"] == "G1"]
    _, _, d = diagrams(spec, "r1_2")
    [node] = [n for n in d.nodes if warning["block"] in n.paths]
    assert (node.severity, node.codes) == ("warning", ("G1",))
    parsed = {o["name"]: o for o in dot_json(to_dot(d))["objects"]}
    assert parsed[node.id]["fillcolor"] == "#fde9b8" and "G1" in parsed[node.id]["label"]
    assert f"class {node.id} warning" in to_mermaid(d)


HOSTILE = 'x"y\\N{a}<script>alert(1)</script>\n]|end;#'


def hostile_diagram() -> Diagram:
    nodes = (Node("n0", "io", HOSTILE), Node("n1", "block", HOSTILE, ("p",), 3, 10, 20))
    return Diagram(HOSTILE, nodes, (Edge("n0", "n1", (3, 8, 8)),),
                   (Cluster("cluster_0", HOSTILE, ("n1",)),))


@needs_dot
def test_dot_escapes_user_text() -> None:
    """Graphviz reads each label back as one escString holding the text (its newline shown as
    ``\\n``, decision 0010; a backslash doubled) and nothing else: no attribute, node or
    escape sequence injected; the SVG it draws shows the text, and no script element."""
    parsed = dot_json(to_dot(hostile_diagram()))
    shown = HOSTILE.replace("\n", "\\n")
    as_escstring = shown.replace("\\", "\\\\")
    assert parsed["label"] == as_escstring
    [cluster] = [o for o in parsed["objects"] if o["name"] == "cluster_0"]
    assert cluster["label"] == as_escstring
    labels = {o["name"]: o["label"] for o in parsed["objects"] if o["name"].startswith("n")}
    assert labels["n0"] == as_escstring and set(labels) == {"n0", "n1"}
    from archspec.report.diagram_render import render

    svg = ET.fromstring(render(to_dot(hostile_diagram()), "svg"))
    texts = [e.text for e in svg.iter() if e.tag.endswith("}text")]
    assert texts.count(shown) == 3  # the title, the cluster's label and n0's
    assert not any(e.tag.endswith("script") for e in svg.iter())


def test_mermaid_escapes_user_text() -> None:
    """Every label is a quoted string of safe characters and entity codes, which decode to
    the text (its newline shown as ``\\n``)."""
    text = to_mermaid(hostile_diagram())
    labels = re.findall(r'\["([^"]*)"\]', text)
    assert len(labels) == 3  # the cluster's and the two nodes'
    for label in labels:
        assert not set(label.replace("<br/>", "")) & set('<>[]{}|\n"\\')
        decoded = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), label.split("<br/>")[0])
        assert decoded.startswith(HOSTILE.replace("\n", "\\n"))
    assert "<script" not in text and "\nend" not in text.replace("\n  end", "")


def test_every_family_has_a_label() -> None:
    assert set(FAMILIES) <= set(LABELS)


def test_the_documented_picture_is_current() -> None:
    """docs/images/emo-1m-graph.svg (docs/graph.md) shows what `archspec graph emo_1m` draws
    today: the same node texts (compared as text, so another Graphviz version's layout
    passes)."""
    from archspec.report.diagram import node_lines

    svg = ET.parse(SPECS.parent / "docs" / "images" / "emo-1m-graph.svg").getroot()
    texts = [e.text for e in svg.iter() if e.tag.endswith("}text")]
    _, _, d = diagrams("emo.yaml", None)
    for n in d.nodes:
        for line in node_lines(n):
            assert line in texts, (line, "regenerate: archspec graph emo_1m --format svg -o "
                                   "docs/images/emo-1m-graph.svg")


@needs_dot
def test_a_layout_past_its_time_limit_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from graphviz.backend import execute

    from archspec.report.diagram_render import RenderFailed, render

    def slow(cmd, **kwargs):  # noqa: ANN001, ANN202, ARG001
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(execute, "run_check", slow)
    with pytest.raises(RenderFailed, match="longer than 60 s.*without --expand"):
        render("digraph { a -> b }", "svg")


def test_a_finding_about_no_block_is_on_the_output_node() -> None:
    from archspec.diagnostics import Diagnostic, Severity

    document = archspec.load(SPECS / "emo.yaml")
    [result] = run(document, [None]).variants
    net, graph = result.require()
    finding = Diagnostic("X9", Severity.ERROR, "the whole network is too slow")
    d = build_diagram(net, graph, [finding])
    [output] = [n for n in d.nodes if n.label == "output"]
    assert (output.severity, output.codes) == ("error", ("X9",))
    assert [n for n in d.nodes if n.severity] == [output]
