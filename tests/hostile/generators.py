"""Generators of the hostile inputs of issue 8 §1 (unbounded time or memory), as YAML text.

Each function returns the text of one reproduction; ``tests/hostile/test_bounds.py`` runs them
through the CLI and ``benchmarks/`` times them, so both use the same inputs. Sizes default to the
issue's figures; every result stays at or below the 1 MiB file limit (E113) unless a test says
otherwise.
"""

from __future__ import annotations

HEADER = "archspec: 1\nname: hostile\ninput: {channels: 3, size: 32}\n"
MIB = 1 << 20


def _fill(prefix: str, item: str, suffix: str, nbytes: int) -> str:
    """``prefix`` + ``item, item, …`` + ``suffix`` of about ``nbytes`` bytes, on one line."""
    count = max(1, (nbytes - len(prefix) - len(suffix)) // (len(item) + 2))
    return prefix + ", ".join([item] * count) + suffix


def flow_sequence_yes(nbytes: int = 300_000) -> str:
    """Row 1: a valid network with one extra key holding ``[yes, yes, …]`` on one long line."""
    return HEADER + "stem:\n  - {block: conv, out: 8}\n" + _fill("x: [", "yes", "]\n", nbytes)


def flow_unknown_keys(nbytes: int = 300_000) -> str:
    """Row 1: one stem block written as a one-line flow mapping of thousands of unknown keys."""
    count = nbytes // 12
    keys = ", ".join(f"k{i:06d}: 1" for i in range(count))
    return HEADER + "stem:\n  - {block: conv, out: 8, " + keys + "}\n"


def wide_then_attention(out: int = 1_000_000, mult: float = 16.0) -> str:
    """Row 2: an attention block after a block of ``out`` channels under ``width.mult``, with a
    ``dim_head`` that does not divide them (E140, whose hint looks for the nearest divisor).
    The issue's ``out: 1000000000000`` is now E122 (widths are bounded); the largest width
    allowed, 16 × 1,000,000, still has to answer at once."""
    return HEADER + (
        f"width: {{mult: {mult}, divisor: 1}}\n"
        "stem:\n"
        f"  - {{block: conv, out: {out}, k: 1}}\n"
        "  - {block: mmb, out: 64, exp: 1, f: attn, dim_head: 7}\n"
    )


def defaults_recursion() -> str:
    """Row 4's sibling: a ``parallel`` whose defaults hold a ``parallel``: endless nesting."""
    return HEADER + (
        "defaults:\n"
        "  parallel: {branches: [[{block: parallel}, {block: parallel}]]}\n"
        "stem:\n"
        "  - {block: parallel}\n"
    )


def defaults_recursion_residual() -> str:
    """The same through a ``residual``: its defaults' blocks and shortcut hold residuals."""
    return HEADER + (
        "defaults:\n"
        "  residual: {blocks: [{block: residual}], shortcut: [{block: residual}]}\n"
        "stem:\n"
        "  - {block: residual}\n"
    )


def deep_parallel_template(depth: int = 1000, branch_blocks: int = 10_000) -> str:
    """Row 4: a depth-``depth`` template stage whose ``parallel`` branch holds many blocks."""
    branch = ", ".join(["{block: act, act: relu}"] * branch_blocks)
    return HEADER + (
        "stages:\n"
        f"  - name: s1\n    out: 8\n    depth: {depth}\n"
        f"    block: {{block: parallel, branches: [[{branch}]]}}\n"
    )


def nested_parallel(levels: int = 12, width: int = 2) -> str:
    """Row 4's sibling: ``parallel`` nested ``levels`` deep, ``width`` branches each: width**levels."""
    block = "{block: act, act: relu}"
    for _ in range(levels):
        block = "{block: parallel, merge: add, branches: [" + ", ".join([f"[{block}]"] * width) + "]}"
    return HEADER + f"stem:\n  - {block}\n"


def _stem_block(i: int) -> str:
    return ("{block: mmb, out: 16, exp: 2}" if i % 2 else "{block: conv, out: 16, k: 3}")


def blocks_5000(n: int = 4997) -> str:
    """Row 5: a valid network of ``n`` explicit stage blocks (plus a 3-block head)."""
    lines = [HEADER, "stem:\n  - {block: conv, out: 16, k: 3, stride: 2}\n", "stages:\n",
             "  - name: s1\n    blocks:\n"]
    lines += [f"      - {_stem_block(i)}\n" for i in range(n - 4)]
    lines.append("head:\n  - {block: pool, kind: avg, global: true}\n  - {block: linear, out: 10}\n"
                 "  - {block: dropout, p: 0.1}\n")
    return "".join(lines)


def many_stages(n: int = 5000, depth: int = 1) -> str:
    """Row 6: ``n`` template stages of ``depth`` blocks each."""
    stages = "".join(f"  - {{name: s{i}, out: 16, depth: {depth}, block: {{block: conv, k: 1}}}}\n"
                     for i in range(n))
    return HEADER + "stages:\n" + stages


def long_explicit_stem(n: int = 15_000) -> str:
    """Row 6: a stem of ``n`` explicit blocks (the issue's 20,000 pass the 100,000-node limit,
    E108, first; 15,000 is three times the block limit and within it)."""
    return HEADER + "stem:\n" + "".join("  - {block: act, act: relu}\n" for _ in range(n))


def many_variants(n: int = 30_000) -> str:
    """Row 7: ``n`` (empty) variants of a one-block network."""
    body = "".join(f"  v{i}: {{}}\n" for i in range(n))
    return HEADER + "stem:\n  - {block: conv, out: 8}\nvariants:\n" + body


def variants_times_blocks(variants: int = 10, blocks: int = 4990) -> str:
    """Row 7: ``variants`` variants of a ``blocks``-block network (each one within the block cap)."""
    body = "".join(f"  v{i}: {{width: {{mult: {1 + i / 100}}}}}\n" for i in range(variants))
    stages, depth = -(-blocks // 1000), 1000  # template stages of at most 1,000 blocks
    return many_stages(stages, min(depth, blocks // stages)) + "variants:\n" + body


def huge_tensor() -> str:
    """E151: a valid-looking network whose stem output exceeds 2^31 elements per image."""
    return ("archspec: 1\nname: hostile\ninput: {channels: 3, size: 60000}\n"
            "stem:\n  - {block: conv, out: 1024, k: 1}\n")


def huge_params() -> str:
    """E150: a network of more than 10^9 parameters, made by one wide linear."""
    return HEADER + "head:\n  - {block: pool, kind: avg, global: true}\n" \
        "  - {block: linear, out: 1000000}\n  - {block: linear, out: 1000000}\n"


def variant_overrides_every_stage(n: int = 4000) -> str:
    """Row 6's sibling: a variant that overrides each of ``n`` stages by name (one merge each)."""
    overrides = ", ".join(f"s{i}: {{out: 8}}" for i in range(n))
    return many_stages(n) + "variants:\n  narrow: {stages: {" + overrides + "}}\n"


def wide_parallel(branches: int = 4990) -> str:
    """Row 4's valid sibling: one ``parallel`` of ``branches`` one-block branches (under the cap)."""
    branch = ", ".join(["[{block: conv, out: 8, k: 1}]"] * branches)
    return HEADER + f"stem:\n  - {{block: parallel, branches: [{branch}]}}\n" \
        "head:\n  - {block: pool, kind: avg, global: true}\n  - {block: linear, out: 10}\n"
