"""Sections of rule pages computed from the shipped data (specs and targets), by rule code.

They belong to the documentation, not to the rules: a rule module does not load specs. The
figures come from :func:`archspec.pipeline.run`, as ``archspec lint`` computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def shipped_g4_figures() -> str:
    """G4's figures for every shipped spec and variant under every shipped target (markdown)."""
    from archspec.pipeline import run
    from archspec.rules.context import LintContext
    from archspec.rules.registry import RULES
    from archspec.rules.targets import DATA_DIR, list_targets, load_target
    from archspec.spec.document import load

    targets = [load_target(name) for name in list_targets()]
    rule = RULES["G4"]()
    head = "| spec | variant | " + " | ".join(f"`{t.name}`" for t in targets) + " |"
    rows = [head, "|---|---|" + "---|" * len(targets)]
    for path in sorted((DATA_DIR.parent / "specs").glob("*.yaml")):
        doc = load(path)
        for result in run(doc, list(doc.variants) or [None]).variants:
            net, graph = result.require()
            cells = []
            for target in targets:
                options: Any = target.options(rule.code)
                fig = rule.network(LintContext(net, graph, target), options)  # type: ignore[attr-defined]
                cell = f"{fig['elementwise_share'] * 100:.1f} / {fig['depthwise_share'] * 100:.1f}"
                cells.append(f"**{cell}**" if fig["value"] > options.network_share else cell)
            rows.append(f"| {path.stem} | {result.variant or '—'} | " + " | ".join(cells) + " |")
    legend = ("Each cell: memory access in element-wise ops / in depthwise convs, % of the "
              "network's, after the target's fusions; **bold**: over the target's "
              "`network_share`, a G4 warning.")
    return "\n".join(["### Figures on the shipped specs", "", legend, "", *rows])


#: Rule code → the function that writes its page's appendix.
APPENDICES: dict[str, Callable[[], str]] = {"G4": shipped_g4_figures}
