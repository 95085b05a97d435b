"""No import cycle anywhere in archspec (docs/decisions/0017-layers.md).

The layers contract in pyproject.toml (``lint-imports``) orders the packages; this test is finer:
no cycle among archspec's modules, counting imports inside functions (grimp reads those too),
so a lazy import cannot hide a cycle. Imports under ``TYPE_CHECKING`` are not counted, as in the
contract: they do not run.
"""

from __future__ import annotations

import grimp
import networkx as nx
import pytest

from archspec.blocks import TAGS


@pytest.fixture(scope="module")
def imports() -> nx.DiGraph:
    graph = grimp.build_graph("archspec", exclude_type_checking_imports=True)
    edges = nx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        edges.add_edges_from((module, imported)
                             for imported in graph.find_modules_directly_imported_by(module))
    # a package that imports its family modules by tag (importlib) imports each of them
    for package in ("archspec.blocks", "archspec.nn"):
        edges.add_edges_from((package, f"{package}.{tag}") for tag in TAGS
                             if f"{package}.{tag}" in graph.modules)
    return edges


def test_no_import_cycle_among_archspec_modules(imports: nx.DiGraph) -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(imports) if len(c) > 1]
    cycles += [[m] for m in imports if imports.has_edge(m, m)]
    assert not cycles, f"import cycles: {cycles}"


def test_the_graph_sees_lazy_imports(imports: nx.DiGraph) -> None:
    """The check would miss cycles if grimp missed imports inside functions: the graph builder
    imports OpGraph only in ``finish`` (and under TYPE_CHECKING, which is not counted)."""
    assert imports.has_edge("archspec.graph.builder", "archspec.graph.opgraph")


def test_graph_knows_no_block_family(imports: nx.DiGraph) -> None:
    """The op graph sits below the block families: they trace into it, it never calls them."""
    below = [(a, b) for a, b in imports.edges
             if a.startswith("archspec.graph") and b.startswith("archspec.blocks")]
    assert not below
