"""The size limits of a spec, checked before the work they bound (see docs/limits.md).

Every pass of archspec is linear (or n·log n) in the size of the network, so bounding the number of
blocks bounds time and memory. The blocks are counted here from the raw document — template depth ×
the blocks one template block holds, every nested block (a ``parallel``'s branches, a ``residual``'s
blocks) included — before any
block is composed, resolved or traced, so a 10⁷-block network costs no more than reading its text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from archspec.blocks import FAMILIES
from archspec.blocks.base import nested_fields
from archspec.diagnostics import Diagnostic, error
from archspec.spec.source import Source

#: Blocks of one network, every nested child (``parallel``, ``residual``) counted.
MAX_BLOCKS = 5000
#: Blocks of every network a file describes (each variant, or the base when it has none): what
#: ``lint`` resolves, traces and checks.
MAX_TOTAL_BLOCKS = 10_000
#: Blocks nested inside blocks (``parallel`` in ``parallel``, ``residual`` in ``residual``);
#: only ``defaults`` can reach it (a default whose nested blocks hold its own type repeats
#: itself forever).
MAX_PARALLEL_NESTING = 16
#: A width (a block's ``out``, ``mid``, ``dim_head``, ``groups``, a stage's ``out``): MAX_WIDTH,
#: defined with the block vocabulary in :mod:`archspec.blocks.base`.
#: The smallest width multiplier: below it every scaled width is the divisor.
MIN_WIDTH_MULT = 1 / 64
#: Variants of one file: each is merged, validated and (by lint) resolved on its own.
MAX_VARIANTS = 100

Path = tuple[str | int, ...]


class _Over(Exception):
    """Counting stopped: the budget was exceeded (``count`` is a lower bound)."""


class _TooDeep(Exception):
    pass


def _flatten(value: Any, depth: int) -> Iterator[Any]:
    """The items ``depth`` lists deep in ``value`` (whatever is not a list holds none)."""
    if not isinstance(value, list):
        return
    for item in value:
        if depth == 1:
            yield item
        else:
            yield from _flatten(item, depth - 1)


def _count_block(block: Any, defaults: Mapping[str, Any], budget: int, nesting: int = 0) -> int:
    """Blocks in one block as composed (itself and every nested child: a ``parallel``'s
    branches, a ``residual``'s blocks and shortcut, any family's fields that hold blocks).

    A block's nested lists are its own, or its type's defaults' (lists replace, they never
    merge). Raises _Over past ``budget`` and _TooDeep past MAX_PARALLEL_NESTING, so it never
    walks more than ``budget`` blocks whatever the defaults say.
    """
    tag = block.get("block") if isinstance(block, Mapping) else None
    family = FAMILIES.get(tag) if isinstance(tag, str) else None
    fields = nested_fields(family.model) if family is not None else ()
    if not fields or not isinstance(tag, str):
        return 1
    if nesting >= MAX_PARALLEL_NESTING:
        raise _TooDeep
    default = defaults.get(tag)
    total = 1
    for key, depth in fields:
        value = block.get(key, default.get(key) if isinstance(default, Mapping) else None)
        for child in _flatten(value, depth):
            total += _count_block(child, defaults, budget - total, nesting + 1)
            if total > budget:
                raise _Over
    return total


def _entries(data: Mapping[str, Any]) -> Iterator[tuple[Path, str, list[tuple[Any, int]]]]:
    """(document path, description, [(composed block, how many times)]) per stem/stage/head entry."""
    for section in ("stem", "stages", "head"):
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if section != "stages":
                yield (section, i), f"`{section}[{i}]`", [(item, 1)]
                continue
            if not isinstance(item, Mapping):
                continue
            name = f"stage `{item.get('name')}`"
            blocks = item.get("blocks")
            if isinstance(blocks, list):
                yield ("stages", i, "blocks"), name, [(b, 1) for b in blocks]
                continue
            depth = item.get("depth")
            depth = depth if isinstance(depth, int) and depth > 0 else 1
            block = item.get("block")
            template: Mapping[str, Any] = block if isinstance(block, Mapping) else {}
            first = item.get("first")
            if isinstance(first, Mapping):
                replaces = first.get("block") not in (None, template.get("block"))
                yield ("stages", i, "depth"), name, [
                    (first if replaces else {**template, **first}, 1), (template, depth - 1)]
            else:
                yield ("stages", i, "depth"), name, [(template, depth)]


def count_blocks(data: Mapping[str, Any], source: Source, located: Any = None, *,
                 variant: str | None = None, budget: int = MAX_BLOCKS
                 ) -> tuple[int, Diagnostic | None]:
    """(blocks of the network ``data``, E150 when more than ``budget``) without composing any.

    ``located`` (a :class:`~archspec.spec.located.Located` of ``data``) maps document paths to
    source paths for the message; counting stops at the first entry past the budget.
    """
    def span(path: Path) -> Any:
        return source.span_of(located.source_path(path) if located is not None else path)

    written = data.get("defaults")
    defaults: Mapping[str, Any] = written if isinstance(written, Mapping) else {}
    total = 0
    for path, what, parts in _entries(data):
        before = total
        try:
            for block, times in parts:
                if times:
                    total += _count_block(block, defaults, budget - total) * times
                if total > budget:
                    raise _Over
        except _TooDeep:
            return total, error(
                "E150", f"{what}: blocks (`parallel`, `residual`) nested more than "
                f"{MAX_PARALLEL_NESTING} deep",
                span(path), variant=variant,
                expected=f"at most {MAX_PARALLEL_NESTING} levels of blocks inside blocks",
                fix="a default (`defaults.parallel.branches`, `defaults.residual.blocks`) that "
                    "holds a block of its own type repeats itself without end: give the inner "
                    "block its own list")
        except _Over:
            added = "more than " + f"{budget - before:,}" if total <= budget else f"{total - before:,}"
            return total, error(
                "E150", f"{what} takes the network past {budget:,} blocks (every block of a "
                f"`parallel` branch counts): {before:,} before it, {added} in it",
                span(path), variant=variant, expected=f"at most {budget:,} blocks per network",
                fix="check the depth and the branches for a typo (docs/limits.md)")
    return total, None


def check_variant_count(variants: Mapping[str, Any], source: Source) -> list[Diagnostic]:
    """E150 at the first variant past MAX_VARIANTS, before any is merged."""
    if len(variants) <= MAX_VARIANTS:
        return []
    name = list(variants)[MAX_VARIANTS]
    return [error("E150", f"{len(variants):,} variants: more than the {MAX_VARIANTS} a file may "
                  f"define (the {MAX_VARIANTS + 1}st is `{name}`)",
                  source.key_span_of(("variants", name)), variant=name,
                  expected=f"at most {MAX_VARIANTS} variants per file",
                  fix="split the variants over several files (docs/limits.md)")]


def check_total(networks: list[tuple[str | None, Mapping[str, Any], Any]], source: Source
                ) -> list[Diagnostic]:
    """E150 for each network over MAX_BLOCKS, and once when all of them together pass
    MAX_TOTAL_BLOCKS (variants × blocks), at the variant that crosses it.

    ``networks`` holds (variant, merged data, Located) for each network lint would resolve.
    """
    problems = []
    total = 0
    for variant, data, located in networks:
        count, problem = count_blocks(data, source, located, variant=variant)
        if problem is not None:
            problems.append(problem)
            continue
        total += count
        if total > MAX_TOTAL_BLOCKS:
            # only variants add up: one network alone stays within MAX_BLOCKS < MAX_TOTAL_BLOCKS
            assert variant is not None
            problems.append(error(
                "E150", f"variant `{variant}` takes the file past {MAX_TOTAL_BLOCKS:,} blocks in "
                f"all ({total - count:,} in the variants before it, {count:,} in it): every "
                "variant is resolved and checked", source.key_span_of(("variants", variant)),
                variant=variant, expected=f"variants × blocks ≤ {MAX_TOTAL_BLOCKS:,}",
                fix="split the variants over several files (docs/limits.md)"))
            break
    return problems
