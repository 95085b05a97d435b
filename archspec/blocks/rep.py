"""The deploy (inference) form of a traced network, without torch (decision 0035).

Two rewrites, the ones :func:`archspec.nn.deploy.to_deploy` applies to the module:

* **re-parameterisation** (RepVGG, MobileOne, RepViT, FastViT): a ``parallel`` with
  ``merge: add`` whose every branch is linear — one conv (``act: none``, BN or no norm), a
  ``norm: bn`` block alone, or nothing (the identity) — is one conv with a bias: the BNs fold
  into their kernels, smaller odd kernels are zero-padded (centred) to the largest, the identity
  is a centred delta per group. :func:`rep_conv` says whether a resolved block qualifies and
  into which conv; the module side reads the same answer.
* **BN folding**: a BN norm op whose sole input is a conv or linear op that nothing else reads
  goes; that conv or linear gains a bias. Then its params, MACs, memory access, peak
  activations and predicted latency follow from the cost table as for any graph.

A mixed conv (a split, several convs, a concat) keeps its BN: the norm reads the concat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from archspec.blocks.conv import Conv
from archspec.blocks.norm import NormBlock
from archspec.blocks.parallel import Parallel
from archspec.graph.cost import cost_of
from archspec.graph.op import Op, OpKind, OpOrigin
from archspec.graph.opgraph import OpGraph

if TYPE_CHECKING:
    from archspec.blocks.base import ResolvedBlock
    from archspec.spec.resolved import ResolvedNet


@dataclass(frozen=True)
class RepConv:
    """The one conv a re-parameterisable parallel becomes (always with a bias)."""

    in_ch: int
    out: int
    k: int
    stride: int
    padding: int
    groups: int


def rep_conv(block: ResolvedBlock) -> RepConv | None:
    """The conv ``block`` re-parameterises into, or None when it is not a parallel of linear
    branches summed (see the module docstring). Every conv branch must share stride and groups,
    have an odd kernel padded to its centre (``k // 2``, so all read the same window centre)
    and no dilation; an identity branch (empty, or a BN alone) needs stride 1 and in = out."""
    if not isinstance(block, Parallel) or block.merge != "add" or len(block.in_shape) != 3:
        return None
    convs: list[Conv] = []
    identity = False
    for branch in block.branches:
        if not branch:
            identity = True
            continue
        if len(branch) != 1:
            return None
        child = branch[0]
        if isinstance(child, NormBlock) and child.norm.type == "bn":
            identity = True
        elif (isinstance(child, Conv) and not child.mix and isinstance(child.k, int)
              and child.k % 2 == 1 and child.padding == child.k // 2 and child.dilation == 1
              and child.act == "none" and child.norm.type in ("bn", "none")):
            convs.append(child)
        else:
            return None
    if not convs or len({(c.stride, c.groups) for c in convs}) != 1:
        return None
    stride, groups = convs[0].stride, convs[0].groups
    if identity and (stride != 1 or block.in_ch != block.out_ch):
        return None
    k = max(c.k for c in convs if isinstance(c.k, int))  # ints: mixed convs returned None
    return RepConv(in_ch=block.in_ch, out=block.out_ch, k=k, stride=stride, padding=k // 2,
                   groups=groups)


@dataclass(frozen=True)
class Deployed:
    """The deploy form's graph and what changed: BNs folded, parallels re-parameterised."""

    graph: OpGraph
    folded: int
    reparameterised: int


def _costed(op: Op) -> Op:
    cost = cost_of(op)
    return replace(op, params=cost.params, macs=cost.macs, mem_access=cost.mem_access,
                   fvcore_extra=cost.fvcore_extra)


def deploy_graph(net: ResolvedNet, graph: OpGraph) -> Deployed:
    """``graph`` (traced from ``net``) rewritten as the deploy form: a new graph, the old one
    untouched. Re-parameterisation runs first, so a BN after a re-parameterised parallel
    (RepViT's token mixer) folds into its conv."""
    g = graph.graph.copy()
    op_of: dict[int, Op] = dict(g.nodes(data="op"))
    reps = {b.path: (b, rep) for b in net.walk() if (rep := rep_conv(b)) is not None}
    members: dict[str, list[int]] = {path: [] for path in reps}
    for node, op in op_of.items():
        origin = op.origin
        path = next((p for p in (origin.block, *origin.lineage) if p in members), None)
        if path is not None:
            members[path].append(node)
    for path, nodes in members.items():
        block, rep = reps[path]
        inside = set(nodes)
        sources = {u for n in nodes for u in g.predecessors(n) if u not in inside}
        ends = {n for n in nodes for v in g.successors(n) if v not in inside}
        assert len(sources) == 1 and len(ends) == 1, f"{path}: a parallel with one input, one output"
        (source,), (end,) = sources, ends
        out_edges = [(v, data) for v, data in g.succ[end].items()]
        first = op_of[min(nodes)].origin
        lineage = first.lineage[:first.lineage.index(path)] if path in first.lineage \
            else first.lineage
        span = block.origin.span
        origin = OpOrigin(path, "parallel", lineage, None, span, span,
                          field_spans=block.origin.field_spans)
        conv = _costed(Op(OpKind.CONV, f"{path}.rep", (op_of[source].out_shape,),
                          block.out_shape, {"k": rep.k, "stride": rep.stride,
                                            "padding": rep.padding, "dilation": 1,
                                            "groups": rep.groups, "bias": True},
                          origin=origin))
        g.remove_nodes_from(nodes)
        for n in nodes:
            del op_of[n]
        node = min(nodes)  # keeps every edge running from a lower node to a higher one
        g.add_node(node, op=conv)
        op_of[node] = conv
        g.add_edge(source, node, port=0, shape=op_of[source].out_shape)
        g.add_edges_from((node, v, data) for v, data in out_edges)
    folded = 0
    for node in sorted(op_of):
        op = op_of[node]
        if op.kind != OpKind.NORM or op.attrs.get("type") != "bn":
            continue
        preds = list(g.predecessors(node))
        if len(preds) != 1:
            continue
        (conv_node,) = preds
        conv = op_of[conv_node]
        if conv.kind not in (OpKind.CONV, OpKind.LINEAR) or g.out_degree(conv_node) != 1:
            continue
        out_edges = [(v, data) for v, data in g.succ[node].items()]
        g.remove_node(node)
        del op_of[node]
        g.add_edges_from((conv_node, v, data) for v, data in out_edges)
        op_of[conv_node] = _costed(replace(conv, attrs={**conv.attrs, "bias": True}))
        g.nodes[conv_node]["op"] = op_of[conv_node]
        folded += 1
    return Deployed(OpGraph(g, graph.input_node, graph.output_node), folded, len(reps))
