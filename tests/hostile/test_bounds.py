"""Issue 8 §1 (rows 1, 2, 4–7) and §6: every hostile input is refused or answered within bounds.

Each case runs the CLI in a subprocess on a generated file (tests/hostile/generators.py, shared
with benchmarks/) and asserts the exit code, the located message (file:line:col and code) and the
peak RSS of the process (≤ 500 MB). The 60 s subprocess timeout is a hang detector, not a timing;
CPU times are measured by the benchmark, never asserted here. The limits are docs/limits.md
(decision 0008).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
HANG_BOUND = 60  # seconds
MAX_RSS_MB = 500

_spec = importlib.util.spec_from_file_location("hostile_generators", HERE / "generators.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

#: Runs argv and reports the peak RSS of that child alone on its last stderr line.
_WRAP = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "sys.stderr.write(f'\\nMAXRSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
         "sys.exit(r.returncode)")


def run_cli(tmp_path: Path, text: str, *args: str) -> tuple[int, str, float]:
    """(exit code, stdout + stderr, peak RSS in MB) of ``archspec ARGS FILE``."""
    spec = tmp_path / "hostile.yaml"
    spec.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _WRAP, sys.executable, "-m", "archspec",
                           *args, str(spec)], capture_output=True, text=True,
                          timeout=HANG_BOUND, cwd=tmp_path)
    found = re.search(r"MAXRSS_KB=(\d+)\s*$", done.stderr)
    assert found, done.stderr[-2000:]
    out = done.stdout + done.stderr[: found.start()]
    assert "Traceback" not in out and "internal error" not in out, out[-3000:]
    return done.returncode, out, int(found.group(1)) / 1024


#: (id, generator, command, exit code, "line:col: CODE" the output must contain)
CASES: list[tuple[str, Callable[[], str], tuple[str, ...], int, str]] = [
    # row 1: a 300 KB one-line flow sequence: 100 problems shown, then one E152 counting the rest
    ("yes-text", gen.flow_sequence_yes, ("lint",), 2, ":6:5: E111"),
    ("yes-json", gen.flow_sequence_yes, ("lint", "--format", "json"), 2, '"code": "E152"'),
    ("unknown-keys-text", gen.flow_unknown_keys, ("lint",), 2, ": E120"),
    ("unknown-keys-json", gen.flow_unknown_keys, ("lint", "--format", "json"), 2, '"E152"'),
    # row 2: widths are bounded like a stage's out; the largest allowed answers E140 at once
    ("width-1e12", lambda: gen.wide_then_attention(10**12, 1.0), ("lint",), 2, ":6:24: E122"),
    ("width-16e6-attn", gen.wide_then_attention, ("lint",), 2, ":7:54: E140"),
    # row 4: parallel children count toward the cap, before anything is composed
    ("deep-parallel-template", gen.deep_parallel_template, ("lint",), 2, ":7:12: E150"),
    ("nested-parallel", gen.nested_parallel, ("lint",), 2, ":5:5: E150"),
    ("defaults-recursion", gen.defaults_recursion, ("lint",), 2, ":7:5: E150"),
    ("defaults-recursion-residual", gen.defaults_recursion_residual, ("lint",), 2,
     ":7:5: E150"),
    # row 5: a valid 4,997-block network profiles (and lists) in linear time
    ("profile-5000", gen.blocks_5000, ("profile",), 0, "stages.s1[4992]"),
    ("list-5000", gen.blocks_5000, ("list",), 0, "hostile"),
    # row 6: many stages, a long explicit stem: counted before positions are computed
    ("stages-5001", lambda: gen.many_stages(5001), ("lint",), 2, ":5005:35: E150"),
    ("stem-15000", gen.long_explicit_stem, ("lint",), 2, ":5005:5: E150"),
    ("variant-overrides-4000-stages", gen.variant_overrides_every_stage, ("list",), 0, "narrow"),
    ("wide-parallel", gen.wide_parallel, ("profile",), 0, "stem[0]"),
    # row 7: variants, and variants × blocks
    ("variants-30000", gen.many_variants, ("list",), 2, ":107:3: E150"),
    ("variants-x-blocks", gen.variants_times_blocks, ("lint",), 2, ":13:3: E150"),
    # §6: E150 (parameters) and E151 point at what caused them, not at 1:1
    ("params-at-block", gen.huge_params, ("lint",), 2, ":7:26: E150"),
    ("input-too-large", gen.huge_tensor, ("lint",), 2, ":3:28: E151"),
]


@pytest.mark.parametrize(("make", "args", "code", "where"),
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_hostile_input_is_bounded(tmp_path: Path, make: Callable[[], str], args: tuple[str, ...],
                                  code: int, where: str) -> None:
    text = make()
    assert len(text.encode()) <= 1 << 20  # every case is within the file-size limit (E113)
    rc, out, rss = run_cli(tmp_path, text, *args)
    assert rc == code, out[-3000:]
    assert where in out, out[-3000:]
    assert rss <= MAX_RSS_MB, f"peak RSS {rss:.0f} MB"


def test_output_is_bounded_whatever_the_number_of_problems(tmp_path: Path) -> None:
    """60,000 problems are reported as 100 and one E152 that counts the rest by code."""
    rc, out, _ = run_cli(tmp_path, gen.flow_sequence_yes(), "lint")
    assert rc == 2
    assert len(out) < 100_000
    assert re.search(r"E152 … and [\d,]+ more problems not shown \(E111 ×[\d,]+\)", out)


def test_nearest_divisor_is_the_closest_divisor() -> None:
    from archspec.blocks.mmb import _nearest_divisor

    def slow(n: int, near: int) -> int:
        return min((d for d in range(1, n + 1) if n % d == 0), key=lambda d: (abs(d - near), -d))

    assert all(_nearest_divisor(n, k) == slow(n, k) for n in range(1, 200) for k in range(1, 70))
    assert _nearest_divisor(16_000_000, 7) == 8


def test_ops_by_block_groups_nested_children_like_ops_of() -> None:
    from archspec import loads, resolve, trace

    doc = loads(gen.HEADER + "stem:\n  - {block: conv, out: 8}\n"
                "  - {block: parallel, branches: [[{block: conv, out: 8}], [{block: act, "
                "act: relu}]], merge: add}\nhead:\n  - {block: pool, kind: avg, global: true}\n")
    net = resolve(doc)
    graph = trace(net)
    grouped = graph.ops_by_block(b.path for b in net.blocks)
    for block in net.blocks:
        assert grouped[block.path] == graph.ops_of(block.path)
    assert len(grouped["stem[1]"]) > len(grouped["stem[0]"])


def test_located_sub_keeps_the_provenance_of_its_subtree() -> None:
    from archspec.spec.located import Located, overlay

    net = Located.at({"stem": [{"block": "conv", "out": 8}], "x": {"a": [1, 2]}}, ("root",))
    sub = net.sub(("stem", 0))
    assert sub.root == ("root", "stem", 0)
    assert sub.prov == {(): ("root", "stem", 0), ("block",): ("root", "stem", 0, "block"),
                        ("out",): ("root", "stem", 0, "out")}
    top = Located.at({"x": {"a": [3]}}, ("v",))
    merged = overlay(net, top)
    assert merged.data["x"]["a"] == [3]
    assert merged.source_path(("x", "a", 0)) == ("v", "x", "a", 0)
    assert ("x", "a", 1) not in merged.prov  # the replaced list's entries are gone
