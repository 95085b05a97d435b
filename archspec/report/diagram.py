"""The block-level diagram of one network: what ``archspec graph`` draws (decision 0037).

One node per block of the resolved net, laid out as the spec reads: the stem, one cluster per
stage, the head. A ``parallel`` block draws its branches side by side and a merge node after
them; a ``residual`` draws its blocks, a dashed skip edge (through its shortcut's blocks when it
has a projection) and an ``add`` node. The node that ends a top-level block (the block itself, or
its merge node) carries that block's figures and findings: its *anchor*.

Collapse rule: consecutive top-level blocks of one stage that are identical once their origin,
roundings, suppressions and drop-path rate are set aside (the rate grows block by block) are
drawn once, marked ``×N``, with the figures summed over the run and the findings of every block
of the run on it (a rule that reports a repeated pattern once, on its first block, still
colours the run). ``expand=True`` draws every block. Findings about no block in particular are
on the output node. Labels hold text a user wrote (names, stage names): the renderers escape
it, :func:`to_dot` for Graphviz and :func:`to_mermaid` for Mermaid.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from archspec.blocks.base import ResolvedBlock
from archspec.blocks.parallel import Parallel
from archspec.blocks.residual import Residual
from archspec.diagnostics import Diagnostic, Severity
from archspec.report.escape import escape
from archspec.report.text import human

if TYPE_CHECKING:
    from archspec.graph.opgraph import OpGraph
    from archspec.latency.predict import Prediction
    from archspec.spec.resolved import ResolvedNet

NodeKind = Literal["io", "block", "inner", "merge"]


@dataclass(frozen=True)
class Node:
    """One box. ``kind``: ``io`` (input, output), ``block`` (the anchor of a top-level block, or
    of a run of them), ``inner`` (a block inside a parallel or residual), ``merge`` (a merge
    inside a nested parallel or residual). ``label`` is the family and its key fields; ``paths``
    the blocks it stands for (several for a collapsed run)."""

    id: str
    kind: NodeKind
    label: str
    paths: tuple[str, ...] = ()
    repeat: int = 1
    params: int | None = None
    macs: int | None = None
    severity: Severity | None = None
    codes: tuple[str, ...] = ()
    #: drawn as a merge (a parallel's or residual's join), whatever its kind
    merge: bool = False
    #: predicted milliseconds on a device profile (anchors only; None without one)
    ms: float | None = None


@dataclass(frozen=True)
class Edge:
    """A tensor from ``src`` to ``dst``: its per-image shape (C, H, W) or (C,); ``skip`` for a
    residual's shortcut."""

    src: str
    dst: str
    shape: tuple[int, ...]
    skip: bool = False


@dataclass(frozen=True)
class Cluster:
    """A section of the network drawn as a box: ``stem``, a stage (by its name) or ``head``."""

    id: str
    label: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]

    def anchors(self) -> list[Node]:
        """The nodes that stand for top-level blocks, in order."""
        return [n for n in self.nodes if n.kind == "block"]


# --------------------------------------------------------------------------- labels


def _k(k: int | tuple[int, ...]) -> str:
    return "/".join(map(str, k)) if isinstance(k, tuple) else str(k)


def _stride(s: int) -> str:
    return f" s{s}" if s != 1 else ""


def _ratio(mid: int, base: int) -> str:
    value = mid / base
    return f"{value:.3g}"


def _conv(b: Any) -> str:
    k = _k(b.k)
    kernel = f"{k}×{k}" if isinstance(b.k, int) else f"{k}"
    groups = " dw" if b.groups == b.in_ch and b.groups > 1 else (
        f" g{b.groups}" if b.groups > 1 else "")
    return f"conv {kernel}{_stride(b.stride)}{groups} {b.out_ch}"


def _mmb(b: Any) -> str:
    f = {"attn": f" attn {'w' + str(b.window) if b.window else 'global'}", "dwconv": "",
         "ffn": " ffn"}.get(b.f, f" {b.f}")
    dw = f" dw{_k(b.dw_k)}" if b.f != "ffn" else ""
    return f"mmb λ{_ratio(b.mid, b.in_ch)}{dw}{f}{_stride(b.stride)}{' +skip' if b.skip else ''}"


def _uib(b: Any) -> str:
    parts = [f"{name}{k}" for name, k in (("start", b.start_dw_k), ("dw", b.dw_k),
                                          ("end", b.end_dw_k)) if k]
    se = " se" if b.se_ch else ""
    return (f"uib λ{_ratio(b.mid, b.in_ch)} {' '.join(parts) or 'ffn'}{se}{_stride(b.stride)}"
            f"{' +skip' if b.skip else ''}")


def _pool(b: Any) -> str:
    return f"pool {b.kind} global" if b.global_ else f"pool {b.kind} {b.k}×{b.k}{_stride(b.stride)}"


LABELS: Mapping[str, Callable[[Any], str]] = {
    "conv": _conv,
    "mmb": _mmb,
    "uib": _uib,
    "pool": _pool,
    "act": lambda b: f"act {b.act}",
    "norm": lambda b: f"norm {b.norm.type}",
    "dropout": lambda b: f"dropout {b.p:g}",
    "linear": lambda b: f"linear {b.out_ch}",
    "se": lambda b: f"se mid {b.mid}",
    "ghost": lambda b: f"ghost r{b.ratio} dw{b.dw_k}{_stride(b.stride)} {b.out_ch}",
    "shuffle": lambda b: f"shuffle dw{b.dw_k}{_stride(b.stride)} {b.out_ch}",
    "mqa": lambda b: f"mqa h{b.heads} d{b.dim_head}"
                     f"{' kv s' + str(b.kv_stride) if b.kv_stride != 1 else ''}",
    "transformer": lambda b: f"transformer depth {b.depth} h{b.heads} {b.partition}"
                             f"{' w' + str(b.window) if b.window else ''}",
    "resize": lambda b: f"resize {b.mode} {'×' + format(b.scale, 'g') if b.scale else ''}".strip(),
    "parallel": lambda b: f"parallel {b.merge}",
    "residual": lambda b: "residual add" + (" γ" if b.layer_scale is not None else ""),
}


def describe(block: ResolvedBlock) -> str:
    """``conv 3×3 s2 32``, ``mmb λ3 dw5 attn w7 +skip``: the family and its key fields."""
    label = LABELS.get(block.family)
    return label(block) if label else block.family


# --------------------------------------------------------------------------- collapse

#: Fields that do not make two blocks different to look at.
_IGNORED = frozenset({"origin", "roundings", "noqa", "drop_path"})


def signature(block: ResolvedBlock) -> tuple[Any, ...]:
    """What two blocks must share to be drawn as one ``×N`` node."""
    def value(v: Any) -> Any:
        if isinstance(v, ResolvedBlock):
            return signature(v)
        if isinstance(v, tuple):
            return tuple(value(x) for x in v)
        return v

    return (block.family, *((f.name, value(getattr(block, f.name)))
                            for f in dataclasses.fields(block) if f.name not in _IGNORED))


_LAST_STEP = re.compile(r"(\.[^.\[]+|\[\d+\])$")


def _owner(block: str, paths: set[str]) -> str | None:
    """The innermost drawn block enclosing the path ``block`` (``stages.s1[0].blocks[2]``
    → itself, else ``stages.s1[0]``...)."""
    while block and block not in paths:
        shorter = _LAST_STEP.sub("", block)
        if shorter == block:
            return None
        block = shorter
    return block or None


def runs(blocks: Sequence[ResolvedBlock], *, expand: bool) -> list[list[ResolvedBlock]]:
    """The top-level blocks grouped into runs drawn as one node each (see the module doc)."""
    out: list[list[ResolvedBlock]] = []
    for block in blocks:
        last = out[-1][-1] if out else None
        if (not expand and last is not None and last.origin.section == "stages"
                and last.origin.stage == block.origin.stage
                and signature(last) == signature(block)):
            out[-1].append(block)
        else:
            out.append([block])
    return out


# --------------------------------------------------------------------------- building


@dataclass
class _Builder:
    by_path: Mapping[str, list[Diagnostic]]
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    #: drawn paths per nesting depth (the figures are summed per depth: see ``_figures``)
    depths: dict[str, int] = field(default_factory=dict)

    def node(self, kind: NodeKind, label: str, paths: tuple[str, ...] = (), repeat: int = 1,
             *, merge: bool = False, extra: Sequence[Diagnostic] = ()) -> str:
        found = [*extra, *(d for p in paths for d in self.by_path.get(p, ()))]
        if repeat > 1:  # a run: the findings inside its other blocks too (its nodes are its first's)
            found += [d for p, ds in self.by_path.items() for d in ds
                      if any(p.startswith((q + ".", q + "[")) for q in paths[1:])]
        worst = max((d.severity for d in found), key=lambda s: s.rank, default=None)
        codes = tuple(sorted({d.code for d in found}))
        node = Node(f"n{len(self.nodes)}", kind, label, paths, repeat, severity=worst, codes=codes,
                    merge=merge)
        self.nodes.append(node)
        return node.id

    def chain(self, blocks: Iterable[ResolvedBlock], src: str, shape: tuple[int, ...],
              depth: int) -> tuple[str, tuple[int, ...]]:
        for block in blocks:
            src = self.block(block, src, shape, "inner", depth)
            shape = block.out_shape
        return src, shape

    def block(self, block: ResolvedBlock, src: str, shape: tuple[int, ...], kind: NodeKind,
              depth: int, run: Sequence[ResolvedBlock] = ()) -> str:
        """Draw ``block`` after node ``src`` (whose output has ``shape``); its last node's id."""
        paths = tuple(b.path for b in run) or (block.path,)
        for p in paths:
            self.depths[p] = depth
        anchor_kind: NodeKind = kind if kind == "block" else (
            "merge" if block.children() else "inner")
        if isinstance(block, Parallel):
            ends = [self.chain(branch, src, shape, depth + 1) for branch in block.branches]
            merge = self.node(anchor_kind, describe(block), paths, len(paths), merge=True)
            self.edges.extend(Edge(end, merge, end_shape) for end, end_shape in ends)
            return merge
        if isinstance(block, Residual):
            end, end_shape = self.chain(block.blocks, src, shape, depth + 1)
            skip, skip_shape = self.chain(block.shortcut or (), src, shape, depth + 1)
            merge = self.node(anchor_kind, describe(block), paths, len(paths), merge=True)
            self.edges.append(Edge(end, merge, end_shape))
            self.edges.append(Edge(skip, merge, skip_shape, skip=True))
            return merge
        node = self.node(anchor_kind, describe(block), paths, len(paths))
        self.edges.append(Edge(src, node, shape))
        return node


def build_diagram(net: ResolvedNet, graph: OpGraph, findings: Sequence[Diagnostic] = (), *,
                  expand: bool = False, latency: Prediction | None = None) -> Diagram:
    """The diagram of ``net`` (its ``graph`` gives the figures), with ``findings`` (one
    variant's lint findings) on the nodes of the blocks they name, and with ``latency`` (its
    prediction on a device) each top-level block's predicted milliseconds."""
    paths = {b.path for b in net.walk()}
    by_path: dict[str, list[Diagnostic]] = {}
    network: list[Diagnostic] = []  # about no block: shown on the output node
    for d in findings:
        owner = _owner(d.block, paths) if d.block else None
        if owner is None:
            network.append(d)
        else:
            by_path.setdefault(owner, []).append(d)

    b = _Builder(by_path)
    src = b.node("io", f"input {_shape(net.input_shape)}")
    shape: tuple[int, ...] = net.input_shape
    sections: list[tuple[str, list[str]]] = []
    for run in runs(net.blocks, expand=expand):
        first = run[0]
        start = len(b.nodes)
        src = b.block(first, src, shape, "block", 0, run)
        shape = first.out_shape
        section = first.origin.stage or first.origin.section
        if not sections or sections[-1][0] != section:
            sections.append((section, []))
        sections[-1][1].extend(n.id for n in b.nodes[start:])
    out = b.node("io", "output", extra=network)
    b.edges.append(Edge(src, out, shape))
    nodes = _figures(b, graph)
    if latency is not None:
        nodes = [dataclasses.replace(n, ms=sum(latency.blocks.get(p, 0.0) for p in n.paths))
                 if n.kind == "block" else n for n in nodes]
    clusters = tuple(Cluster(f"cluster_{i}", name, tuple(ids))
                     for i, (name, ids) in enumerate(sections))
    return Diagram(net.label, tuple(nodes), tuple(b.edges), clusters)


def _figures(b: _Builder, graph: OpGraph) -> list[Node]:
    """Each node with the params and MACs of the blocks it stands for. Paths of one depth are
    disjoint, so each op counts once per depth: one pass over the graph per depth."""
    totals: dict[str, tuple[int, int]] = {}
    for depth in sorted(set(b.depths.values())):
        level = [p for p, d in b.depths.items() if d == depth]
        for path, ops in graph.ops_by_block(level).items():
            totals[path] = (sum(o.params for o in ops), sum(o.macs for o in ops))
    return [dataclasses.replace(n, params=sum(totals[p][0] for p in n.paths),
                                macs=sum(totals[p][1] for p in n.paths)) if n.paths else n
            for n in b.nodes]


# --------------------------------------------------------------------------- text


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def node_lines(node: Node) -> list[str]:
    """The node's text, line by line, user text escaped for terminals (decision 0010): the
    renderers escape it again for their own syntax."""
    lines = [escape(node.label) + (f" ×{node.repeat}" if node.repeat > 1 else "")]
    if node.params is not None and node.macs is not None:
        ms = f" · {node.ms:.3g} ms" if node.ms is not None else ""
        lines.append(f"{human(node.params)} params · {human(node.macs)} MACs{ms}")
    if node.codes:
        lines.append(" ".join(node.codes))
    return lines


SEVERITY_COLOURS: Mapping[Severity, tuple[str, str]] = {  # (fill, border)
    Severity.ERROR: ("#f8d0d0", "#c00000"),
    Severity.WARNING: ("#fde9b8", "#b07800"),
    Severity.INFO: ("#d6e6fb", "#2f6fc0"),
}


def to_dot(d: Diagram) -> str:
    """Graphviz DOT text. Every label is a quoted string with ``\\`` and ``"`` escaped (so a
    name cannot end the string or start an escape such as ``\\N``); node and cluster ids are our
    own (``n3``, ``cluster_1``), never user text."""
    out = [f"digraph {_dot(d.title)} {{",
           f"  label={_dot(escape(d.title))}; labelloc=t; fontname=Helvetica; rankdir=TB;",
           "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=Helvetica,"
           " fontsize=10];",
           "  edge [fontname=Helvetica, fontsize=9];"]
    clusters, loose = _placed(d)
    for c, nodes in clusters:
        out.append(f"  subgraph {c.id} {{")
        out.append(f"    label={_dot(escape(c.label))}; style=rounded; color=gray60;")
        out.extend(f"    {_dot_node(n)}" for n in nodes)
        out.append("  }")
    out.extend(f"  {_dot_node(n)}" for n in loose)
    for e in d.edges:
        style = ", style=dashed, color=gray40" if e.skip else ""
        out.append(f"  {e.src} -> {e.dst} [label={_dot(_shape(e.shape))}{style}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _placed(d: Diagram) -> tuple[list[tuple[Cluster, list[Node]]], list[Node]]:
    """The order both renderers write nodes in: each cluster with its nodes, then the nodes in
    no cluster (input, output)."""
    by_id = {n.id: n for n in d.nodes}
    clustered = {n for c in d.clusters for n in c.nodes}
    return ([(c, [by_id[n] for n in c.nodes]) for c in d.clusters],
            [n for n in d.nodes if n.id not in clustered])


def _dot(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped; our own line breaks are added by
    the caller as ``\\n`` after this."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_node(n: Node) -> str:
    label = '"' + "\\n".join(_dot(line)[1:-1] for line in node_lines(n)) + '"'
    attrs = [f"label={label}"]
    if n.kind == "io":
        attrs.append("shape=oval")
    elif n.merge:
        attrs.append("shape=box, style=\"rounded,filled,bold\"")
    if n.severity is not None:
        fill, border = SEVERITY_COLOURS[n.severity]
        attrs.append(f"fillcolor=\"{fill}\", color=\"{border}\", penwidth=2")
    return f"{n.id} [{', '.join(attrs)}];"


#: Characters a Mermaid label may hold as they are; every other one is written as an entity
#: code (``#34;``), so no text can close the label, start markup or a link.
_MERMAID_SAFE = frozenset(" .,:;_-+*/=×·→%λγ")


def _mermaid(text: str) -> str:
    return "".join(c if c.isalnum() or c in _MERMAID_SAFE else f"#{ord(c)};" for c in text)


def to_mermaid(d: Diagram) -> str:
    """A Mermaid flowchart. Labels are quoted, with every character outside letters, digits
    and a few safe marks written as Mermaid's entity codes (``#60;`` for ``<``)."""
    out = ["flowchart TB", f"  %% {_mermaid(escape(d.title))}"]
    clusters, loose = _placed(d)

    def node(n: Node) -> str:
        label = "<br/>".join(_mermaid(line) for line in node_lines(n))
        open_, close = ("([", "])") if n.kind == "io" else ("[", "]")
        return f'{n.id}{open_}"{label}"{close}'

    for c, nodes in clusters:
        out.append(f'  subgraph {c.id}["{_mermaid(escape(c.label))}"]')
        out.extend(f"    {node(n)}" for n in nodes)
        out.append("  end")
    out.extend(f"  {node(n)}" for n in loose)
    for e in d.edges:
        arrow = "-.->" if e.skip else "-->"
        out.append(f'  {e.src} {arrow}|"{_mermaid(_shape(e.shape))}"| {e.dst}')
    for severity, (fill, border) in SEVERITY_COLOURS.items():
        out.append(f"  classDef {severity.value} fill:{fill},stroke:{border},stroke-width:2px")
    for n in d.nodes:
        if n.severity is not None:
            out.append(f"  class {n.id} {n.severity.value}")
    return "\n".join(out) + "\n"
