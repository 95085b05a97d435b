"""Issue 8's hostile inputs, BEFORE (a pristine tree) and AFTER (this tree): wall, CPU, peak RSS.

Each command is ``python -P -m archspec …`` in a fresh process, run from a scratch directory with
``PYTHONPATH`` pointing at one tree, so each side imports only its own code. Runs are
interleaved (every case, before then after, then the next repeat) and summarised by medians.
Per run: wall time, process CPU (user + system) and peak RSS of that child, from ``os.wait4``
(the same figures ``getrusage(RUSAGE_CHILDREN)`` accumulates, but for one child at a time).

A run past ``--timeout`` seconds is killed and shown as ``> 60 s (timeout)``; a side that timed
out is not run again for that case (its other repeats would only time out too), nor is one whose
first run took longer than ``--slow`` seconds (the table gives the runs behind each median).
The table and the JSON are rewritten after every repeat. Every child
runs under a 4 GiB address-space limit so a runaway allocation fails fast instead of taking the
machine down (shown as ``exit N (memory limit)``).

Cases: (a) ``profile`` of a 5,000-block network; (b) the worst ≤ 1 MiB inputs of issue 8 §1,
from ``tests/hostile/generators.py``: a 300 KB one-line flow sequence of ``yes`` and one of
unknown keys (text and JSON output; the issue's size: at 1 MiB they pass the YAML node limit,
E108, and are refused before any work), 5,000 stages, a 15,000-block explicit stem, 30,000 variants,
10 variants × 4,990 blocks, a deep ``parallel`` template, an attention block after the widest
block allowed; (c) ``lint`` of every shipped spec (each tree's own ``specs/*.yaml``); (d) ``lint``
of each input the fuzzer found slow (``tests/fuzz_corpus/slow/``). The
table checks issue 8's target for inputs ≤ 1 MiB: ≤ 5 s of process CPU and ≤ 500 MB peak RSS.

    git worktree add ../before 0078751      # a pristine tree: the code before issue 8
    python benchmarks/hardening.py --before ../before [--after .] [--repeats 5]
                                   [--timeout 60] [--only profile-5000-blocks,lint-specs]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

import generators as G  # noqa: E402  (tests/hostile/generators.py, shared with the tests)
from _common import median, print_table, write_result  # noqa: E402

CPU_TARGET_S = 5.0
RSS_TARGET_MB = 500
ADDRESS_LIMIT = 4 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]  # archspec arguments; "{input}" is the generated file, "{specs}" the
    make: Callable[[], str] | None = None  # side's shipped specs; make() writes the input


CASES = (
    Case("profile-5000-blocks", ("profile", "{input}"), G.blocks_5000),
    Case("lint-flow-yes-text", ("lint", "{input}"), G.flow_sequence_yes),
    Case("lint-flow-yes-json", ("lint", "{input}", "--format", "json"),
         G.flow_sequence_yes),
    Case("lint-flow-keys-text", ("lint", "{input}"), G.flow_unknown_keys),
    Case("lint-flow-keys-json", ("lint", "{input}", "--format", "json"),
         G.flow_unknown_keys),
    Case("lint-5000-stages", ("lint", "{input}"), G.many_stages),
    Case("profile-5000-stages", ("profile", "{input}"), G.many_stages),
    Case("lint-long-stem", ("lint", "{input}"), G.long_explicit_stem),
    Case("lint-30000-variants", ("lint", "{input}"), G.many_variants),
    Case("list-30000-variants", ("list", "{input}"), G.many_variants),
    Case("lint-variants-x-blocks", ("lint", "{input}"), G.variants_times_blocks),
    Case("lint-deep-parallel", ("lint", "{input}"), G.deep_parallel_template),
    Case("lint-wide-then-attention", ("lint", "{input}"), G.wide_then_attention),
    Case("lint-specs", ("lint", "{specs}")),
    # inputs the fuzzer found slow (benchmarks/fuzz.py saves them there): timed, not replayed
    *(Case(f"lint-fuzz-slow-{p.stem[:8]}", ("lint", "{input}"), p.read_text)
      for p in sorted((ROOT / "tests" / "fuzz_corpus" / "slow").glob("*.yaml"))),
)


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    failed: str | None = None  # "timeout" or "memory limit": not run again

    def summary(self) -> dict[str, object]:
        return {"wall_s": self.wall, "cpu_s": self.cpu, "rss_mb": self.rss_mb,
                "exit": self.codes, "failed": self.failed,
                **({"median_wall_s": median(self.wall), "median_cpu_s": median(self.cpu),
                    "median_rss_mb": median(self.rss_mb)} if self.wall else {})}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))


def run_once(tree: Path, argv: list[str], cwd: Path, timeout: float
             ) -> tuple[int | None, float, float, float, str]:
    """(exit code or None on timeout, wall s, CPU s, peak RSS MB, stderr tail) of one run."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ARCHSPEC_TRACEBACK", None)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-P", "-m", "archspec", *argv], cwd=cwd,
                                env=env, stdout=subprocess.DEVNULL, stderr=err,
                                preexec_fn=_limit)
        code: int | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.perf_counter() - start > timeout:
                proc.kill()  # our own child, by its handle
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - start
        proc.returncode = code if code is not None else -9  # reaped by wait4, not by Popen
        err.seek(0)
        tail = err.read().decode(errors="replace")[-300:]
    return code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, tail


def _argv(case: Case, tree: Path, input_path: Path | None) -> list[str]:
    out: list[str] = []
    for a in case.argv:
        if a == "{input}":
            out.append(str(input_path))
        elif a == "{specs}":
            out += sorted(str(p) for p in (tree / "specs").glob("*.yaml"))
        else:
            out.append(a)
    return out


def _fmt(runs: Runs, timeout: float) -> tuple[str, str, str]:
    if runs.failed == "timeout":
        return f"> {timeout:g} s (timeout)", "-", "-"
    if not runs.wall:
        return "-", "-", "-"
    return (f"{median(runs.wall):.2f} s", f"{median(runs.cpu):.2f} s",
            f"{median(runs.rss_mb):.0f} MB")


def _exit(runs: Runs) -> str:
    if runs.failed == "timeout":
        return "killed"
    codes = sorted(set(runs.codes))
    text = "/".join(map(str, codes))
    return text + (" (memory limit)" if runs.failed == "memory limit" else "")


def report(args: argparse.Namespace, sides: dict[str, Path], cases: list[Case],
           sizes: dict[str, int | None], runs: dict[tuple[str, str], Runs], done: int) -> None:
    """Print the table and write the JSON for the first ``done`` repeats (called after each
    repeat, so an interrupted run still leaves its figures)."""
    rows = []
    verdicts: dict[str, bool] = {}
    for case in cases:
        before, after = runs[case.name, "before"], runs[case.name, "after"]
        size = sizes[case.name]
        ok = bool(after.wall) and not after.failed and median(after.cpu) <= CPU_TARGET_S \
            and median(after.rss_mb) <= RSS_TARGET_MB
        verdicts[case.name] = ok
        rows.append((case.name, "-" if size is None else f"{size / 1024:.1f} KiB",
                     *_fmt(before, args.timeout), _exit(before), len(before.wall),
                     *_fmt(after, args.timeout), _exit(after), len(after.wall),
                     "yes" if ok else "NO"))
    print(f"\nbefore: {sides['before']}\nafter:  {sides['after']}\n"
          f"medians of {done} interleaved repeats, each run a fresh `python -m archspec` "
          f"(a side slower than {args.slow:g} s runs once); target (after): "
          f"≤ {CPU_TARGET_S:g} s CPU and ≤ {RSS_TARGET_MB} MB peak RSS\n")
    print_table(["case", "input", "before wall", "before CPU", "before RSS", "before exit",
                 "runs", "after wall", "after CPU", "after RSS", "after exit", "runs",
                 "target met"], rows)
    path = write_result("hardening", {
        "before": str(sides["before"]), "after": str(sides["after"]),
        "repeats": done, "timeout_s": args.timeout, "slow_s": args.slow,
        "targets": {"cpu_s": CPU_TARGET_S, "rss_mb": RSS_TARGET_MB},
        "cases": {c.name: {"argv": list(c.argv), "input_bytes": sizes[c.name],
                           "before": runs[c.name, "before"].summary(),
                           "after": runs[c.name, "after"].summary(),
                           "target_met": verdicts[c.name]} for c in cases},
    })
    print(f"\nwrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="the tree to compare against (its root, holding archspec/), e.g. a "
                             "`git worktree add ../before 0078751` of the code before issue 8")
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before a run is killed and shown as a timeout")
    parser.add_argument("--slow", type=float, default=20.0,
                        help="a side whose run takes longer than this is not repeated")
    parser.add_argument("--only", help="comma-separated case names")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or c.name in args.only.split(",")]
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    for side, tree in sides.items():  # each side must import its own tree, not an install
        env = {**os.environ, "PYTHONPATH": str(tree)}
        where = subprocess.run([sys.executable, "-P", "-c", "import archspec; "
                                "print(archspec.__file__)"], cwd=tempfile.gettempdir(), env=env,
                               capture_output=True, text=True, timeout=60).stdout.strip()
        if not where.startswith(str(tree) + os.sep):
            raise SystemExit(f"--{side} {tree}: `import archspec` finds {where or 'nothing'}")

    with tempfile.TemporaryDirectory(prefix="archspec-hardening-") as scratch:
        work = Path(scratch)
        inputs: dict[str, Path | None] = {}
        sizes: dict[str, int | None] = {}
        for case in cases:
            if case.make is None:
                inputs[case.name], sizes[case.name] = None, None
                continue
            data = case.make().encode()
            path = work / f"{case.name}.yaml"
            path.write_bytes(data)
            inputs[case.name], sizes[case.name] = path, len(data)
        runs = {(c.name, s): Runs() for c in cases for s in sides}
        for rep in range(args.repeats):
            for case in cases:
                for side, tree in sides.items():
                    r = runs[case.name, side]
                    if r.failed or (r.wall and r.wall[0] > args.slow):
                        continue
                    code, wall, cpu, rss, tail = run_once(
                        tree, _argv(case, tree, inputs[case.name]), work, args.timeout)
                    if code is None:
                        r.failed = "timeout"
                        continue
                    r.wall.append(wall)
                    r.cpu.append(cpu)
                    r.rss_mb.append(rss)
                    r.codes.append(code)
                    if "MemoryError" in tail or code in (-9, 137):
                        r.failed = "memory limit"
            print(f"repeat {rep + 1}/{args.repeats} done", file=sys.stderr, flush=True)
            report(args, sides, cases, sizes, runs, rep + 1)


if __name__ == "__main__":
    main()
