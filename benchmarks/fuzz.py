"""Fuzz ``loads → analyze → lint`` (and the command line's renderers) for a given time.

Inputs are mutated spec texts. The seeds are the shipped specs (``specs/``), the malformed and
bad-spec fixtures of the test suite, the corpus of earlier findings (``tests/fuzz_corpus/``),
and documents drawn from ``archspec.testing.strategies`` (valid ones and near misses). Each
input is one seed with one to four mutations: bit flips, inserted YAML tokens, line deletions
and duplications, numbers replaced with extremes (0, -1, huge, floats, booleans, strings,
thousands of digits), keys swapped, indentation changed, random YAML spliced in, lines of
another seed spliced in, truncation, and edits of the parsed tree (values, keys, list items).

Each input runs in a worker process: ``archspec.loads`` → ``archspec.analyze`` of every variant →
``archspec.lint`` → ``archspec lint --format text|json`` and ``archspec profile`` on the input
written to a file. A ``SpecError`` (exit 2) is the expected way to refuse; any other exception
(exit 3 on the command line) is a finding, and so is an input that runs longer than
``--timeout`` seconds (the worker is killed and replaced), raises the worker's peak RSS above
``--max-rss`` MB, or kills the worker; a stage over ``--stage-cpu`` seconds of CPU is a slow
finding. The first few inputs of each signature are saved as
``tests/fuzz_corpus/<sha256 prefix>.yaml`` (a crash first reduced: lines, then bytes, while the
same signature reproduces), where ``tests/hostile/test_fuzz_corpus.py`` replays them; slow ones
go to ``tests/fuzz_corpus/slow/``, which ``benchmarks/hardening.py`` times. Prints inputs,
inputs/s and findings; writes ``benchmarks/results/fuzz.json``.

    python benchmarks/fuzz.py [--minutes 5] [--seed 0] [--timeout 20] [--max-rss 500]
    python benchmarks/fuzz.py --replay tests/fuzz_corpus/ab12….yaml   # exit 0 = no finding

Why not atheris: see docs/decisions/0013-fuzzing-and-hardening-benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fuzz_corpus"
MAX_INPUT = 256 * 1024  # mutations stop growing an input past this

# ============================================================================ the pipeline


FORMATS = ("text", "json", "sarif", "github")


class SlowStage(Exception):
    """A stage used more process CPU than the issue's bound for a ≤ 1 MiB input."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pipeline(data: bytes, workdir: str, stage_cpu: float = 5.0) -> str:
    """Run every stage on ``data``; return ``"ok"`` or ``"spec-error"``. Anything else raises,
    and so does a stage that takes more than ``stage_cpu`` seconds of CPU (:class:`SlowStage`).

    Stages: the API (``loads`` → ``analyze`` of every variant → ``lint``), then the command
    line on the input as a file: ``lint`` in one of the four formats (chosen by the input's
    hash, so a replay picks the same one) and ``profile``.
    """
    import archspec
    from archspec.cli import main as cli
    from archspec.diagnostics import SpecError

    def timed(stage: str, start: float) -> None:
        if (used := _cpu() - start) > stage_cpu:
            raise SlowStage(f"{stage}: {used:.1f} s CPU > {stage_cpu:g} s")

    outcome, start = "ok", _cpu()
    try:
        doc = archspec.loads(data, "fuzz.yaml")
        for variant in list(doc.variants) or [None]:
            archspec.analyze(doc, variant=variant)
        archspec.lint(doc)
    except SpecError:
        outcome = "spec-error"
    timed("loads → analyze → lint", start)
    path = os.path.join(workdir, "fuzz.yaml")
    with open(path, "wb") as f:
        f.write(data)
    fmt = FORMATS[hashlib.sha256(data).digest()[0] % len(FORMATS)]
    for argv in (["lint", path, "--format", fmt], ["profile", path]):
        out, err, start = io.StringIO(), io.StringIO(), _cpu()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli(argv)  # ARCHSPEC_TRACEBACK=1: a bug raises here instead of exiting 3
        if code not in (0, 1, 2):
            raise AssertionError(f"`archspec {' '.join(argv[:1] + argv[2:])}` exited {code}: "
                                 f"{err.getvalue()[-500:]}")
        timed(f"archspec {' '.join(argv[:1] + argv[2:])}", start)
    return outcome


def signature(exc: BaseException) -> str:
    """The exception type and the innermost archspec frame: one bug, one signature."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "archspec" in f.filename and "benchmarks" not in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    if isinstance(exc, SlowStage | CpuBudget):
        return f"{type(exc).__name__} in {str(exc).split(':')[0]}"
    return f"{type(exc).__name__} at {where}"


class CpuBudget(BaseException):
    """The whole input used more CPU than ``--cpu`` (raised by SIGPROF): a hang."""


def _on_sigprof(signum: int, frame: Any) -> None:
    raise CpuBudget("the whole pipeline: CPU budget spent")


def _worker(conn: Any, workdir: str, max_rss_mb: int, cpu_s: float, stage_cpu: float) -> None:
    os.environ["ARCHSPEC_TRACEBACK"] = "1"
    import archspec  # noqa: F401  (imports paid once, not per input)
    import archspec.cli  # noqa: F401

    signal.signal(signal.SIGPROF, _on_sigprof)
    while True:
        try:
            data = conn.recv_bytes()
        except EOFError:
            return
        try:
            signal.setitimer(signal.ITIMER_PROF, cpu_s)  # process CPU, not wall time
            try:
                result: tuple[str, str, str] = (pipeline(data, workdir, stage_cpu), "", "")
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
        except BaseException as exc:  # noqa: BLE001 - reporting what escaped is the point
            kind = {CpuBudget: "hang", SlowStage: "slow"}.get(type(exc), "crash")
            result = (kind, signature(exc), "".join(traceback.format_exception(exc))[-4000:])
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        if peak_mb > max_rss_mb and result[0] != "crash":
            result = ("memory", f"peak RSS {peak_mb} MB > {max_rss_mb} MB", "")
        conn.send(result)
        if result[0] in ("memory", "hang"):
            return  # a peak never goes down, an interrupted stage may leave state: start afresh


class Runner:
    """One worker process at a time. An input past ``cpu`` seconds of CPU is stopped inside the
    worker (a hang); one past ``timeout`` seconds of wall time (blocked, not computing) kills
    the worker (a hang too); a stage past ``stage_cpu`` seconds of CPU is a slow finding."""

    def __init__(self, timeout: float, max_rss_mb: int, cpu: float, stage_cpu: float):
        self.timeout, self.max_rss_mb = timeout, max_rss_mb
        self.cpu, self.stage_cpu = cpu, stage_cpu
        self.workdir = tempfile.mkdtemp(prefix="archspec-fuzz-")  # where inputs become files
        self.ctx = mp.get_context("fork")
        self.proc: Any = None

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(
            target=_worker, daemon=True,
            args=(child, self.workdir, self.max_rss_mb, self.cpu, self.stage_cpu))
        self.proc.start()
        child.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # our own worker, by its handle
            self.proc.join()
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run(self, data: bytes) -> tuple[str, str, str]:
        """(outcome, signature, detail); outcome is ok, spec-error, crash, hang, memory, died."""
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send_bytes(data)
        if not self.conn.poll(self.timeout):
            self.stop()
            return "hang", f"no answer in {self.timeout:g} s (blocked?)", ""
        try:
            result = self.conn.recv()
        except EOFError:
            code = self.proc.exitcode if self.proc else None
            self.stop()
            return "died", f"worker died (exit {code})", ""
        if result[0] in ("memory", "hang"):
            self.stop()
        return result


# ============================================================================ seeds


def _generated(n: int) -> tuple[list[bytes], list[bytes]]:
    """``n`` documents from archspec.testing.strategies, valid ones and near misses (the same
    ones on every run: the search is derandomized; ``--seed`` varies the mutations)."""
    import warnings

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from archspec.spec.document import dump
    from archspec.testing import strategies as S

    out: list[list[bytes]] = []
    for strategy in (S.documents(), S.near_misses()):
        drawn: list[Any] = []

        def keep(x: Any, drawn: list[Any] = drawn) -> bool:
            drawn.append(x)
            return False

        with warnings.catch_warnings(), contextlib.suppress(NoSuchExample):
            warnings.simplefilter("ignore")
            find(strategy, keep, settings=settings(
                max_examples=max(1, n // 2), phases=[Phase.generate], database=None,
                deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)))
        out.append([dump(getattr(x, "document", x)).encode() for x in drawn])
    return out[0], out[1]


def seeds(generated: int) -> tuple[list[bytes], list[bytes]]:
    """(valid seeds: the shipped specs and generated documents; broken ones: the test suite's
    malformed and bad specs, generated near misses and the corpus of findings)."""
    def read(files: list[Path]) -> list[bytes]:
        texts = [p.read_bytes() for p in files if p.name != "EXPECTED.yaml"]
        return [t for t in texts if len(t) <= MAX_INPUT]

    valid = read(sorted((ROOT / "specs").rglob("*.yaml")))
    broken = read([*sorted((ROOT / "tests" / "spec" / "malformed").glob("*.yaml")),
                   *sorted((ROOT / "tests" / "cli" / "bad_specs").glob("*.yaml")),
                   *sorted(CORPUS.glob("*.yaml"))])
    documents, near_misses = _generated(generated) if generated else ([], [])
    return valid + documents, broken + near_misses


# ============================================================================ mutations

TOKENS = (b"\t", b"\x00", b"\xff", b"\xef\xbb\xbf", b"&a ", b"*a", b"!!python/object:os.system ",
          b"!!int ", b"!!binary ", b"!foo ", b"---\n", b"...\n", b"? ", b"- ", b": ", b"{", b"}",
          b"[", b"]", b"\"", b"'", b"#", b"\n", b"\r", b"\x85", b"%YAML 1.1\n", b"%TAG ! !x\n",
          b"<<: *a\n", b"yes", b"no", b".inf", b".nan", b"1e999", b"0x1F", b"0o17", b"~",
          b"null", "\u2028".encode(), "\u00e9".encode(), b"\x1b[31m", b"\x07", b"  ", b",",
          b"|\n", b">-\n", b"-1", b"0", b"2.5", b"true", b"block: ", b"noqa: {G1: x}\n",
          b"variants: {a: {}}\n", b"stages: []\n", b"parallel", b"branches: [[]]\n")
EXTREMES = ("0", "-1", "1", "2", "3", "-0", "0.0", "0.5", "1.5", "1e-300", "1e300", "1e999",
            "-1e999", ".inf", "-.inf", ".nan", "true", "false", "yes", "null", "~", "''",
            "'7'", "[]", "{}", "1000000", "1000001", "999999999999", "1000000000000",
            "2147483648", "9223372036854775808", "0x" + "f" * 5000, "9" * 5000,
            "1_000", "0o17", "0b101", "+3", "12abc", "\"\\x00\"", "\"\\e[2J\"")
KEYS = ("block", "out", "k", "stride", "name", "depth", "exp", "mid", "f", "window", "dim_head",
        "groups", "skip", "dw_skip", "first", "blocks", "branches", "merge", "se", "noqa",
        "variants", "default_variant", "stages", "input", "size", "channels", "width", "mult",
        "divisor", "stem", "head", "defaults", "archspec", "scaling", "split", "dilation",
        "padding", "global", "p", "norm", "act", "strid", "G1", "")
NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])")
KEY = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*)(?=:\s)")


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.5:
        return rng.choice([0, 1, -1, 2**64, 1.5, 1e300, True, False, None, "", "relu", "mmb",
                           "conv", "x" * rng.choice([1, 10, 1000]), "\x1b]0;t\x07", "a\nb"])
    if roll < 0.75:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _random_yaml(rng: random.Random) -> bytes:
    import yaml

    return yaml.safe_dump(_random_value(rng), default_flow_style=rng.choice([None, True, False]),
                          allow_unicode=rng.random() < 0.5).encode()


def _line_span(data: bytes, pos: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, pos) + 1
    end = data.find(b"\n", pos)
    return start, len(data) if end < 0 else end + 1


def _parse(data: bytes) -> Any:
    """The YAML tree of ``data``, or None when it does not parse."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(data, Loader=loader)  # noqa: S506 - a safe loader
    except Exception:  # noqa: BLE001 - not YAML: leave it to the byte mutations
        return None


def _nodes(tree: Any, limit: int = 5000) -> list[tuple[Any, Any]]:
    """(container, key) of every node, each shared node once (an alias bomb stays small)."""
    nodes: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    todo = [tree]
    while todo and len(nodes) < limit:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for k, v in list(items):
            nodes.append((node, k))
            todo.append(v)
    return nodes


_PARSED: dict[int, Any] = {}  # id of a seed → its tree (seeds live as long as the run)


def _tree_edit(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """Parse, change one node of the tree, dump again (only for inputs that parse). A graft puts
    a node of another seed's tree here: an mmb block in a ShuffleNet, EMO's variants on
    MobileNetV2, a template stage in a stem."""
    import yaml

    tree = _parse(data)
    nodes = _nodes(tree)
    if not nodes:
        return data
    parent, key = rng.choice(nodes)
    op = rng.choice(["value", "value", "delete", "rename", "dup", "wrap", "graft", "graft"])
    if op == "value":
        parent[key] = _random_value(rng)
    elif op == "delete":
        del parent[key]
    elif op == "rename" and isinstance(parent, dict):
        parent[rng.choice(KEYS)] = parent.pop(key)
    elif op == "dup" and isinstance(parent, list):
        parent[key:key] = [parent[key]] * rng.choice([1, 2, 100])
    elif op == "wrap":
        parent[key] = rng.choice([[parent[key]], {"block": parent[key]}])
    elif op == "graft":
        donor = rng.choice(pool)
        if id(donor) not in _PARSED:
            _PARSED[id(donor)] = _parse(donor)
        graft = _nodes(_PARSED[id(donor)])
        if graft:
            where, k = rng.choice(graft)
            value = copy.deepcopy(where[k])
            if isinstance(parent, list) and rng.random() < 0.5:
                parent.insert(key, value)
            elif isinstance(parent, dict) and isinstance(where, dict) and rng.random() < 0.5:
                parent[k] = value  # the donor's key too: `variants:` lands as `variants:`
            else:
                parent[key] = value
    try:
        return yaml.safe_dump(tree, default_flow_style=rng.choice([None, False]),
                              sort_keys=False).encode()
    except Exception:  # noqa: BLE001 - e.g. a recursive tree from an alias
        return data


def mutate(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
        pos = rng.randint(0, len(out))
        op = rng.choice(["flip", "token", "delete_line", "dup_line", "number", "number",
                         "swap_keys", "indent", "random_yaml", "splice", "truncate", "tree",
                         "tree", "delete_bytes"])
        if op == "flip" and out:
            out[min(pos, len(out) - 1)] ^= 1 << rng.randint(0, 7)
        elif op == "token":
            out[pos:pos] = rng.choice(TOKENS)
        elif op == "delete_line":
            start, end = _line_span(bytes(out), pos)
            del out[start:end]
        elif op == "dup_line":
            start, end = _line_span(bytes(out), pos)
            line = bytes(out[start:end])
            out[end:end] = line * rng.choice([1, 1, 2, 10, 200, 2000])
        elif op == "number":
            found = list(NUMBER.finditer(out))
            if found:
                m = rng.choice(found)
                out[m.start():m.end()] = rng.choice(EXTREMES).encode()
        elif op == "swap_keys":
            found = list(KEY.finditer(out))
            if len(found) > 1:
                a, b = sorted(rng.sample(found, 2), key=lambda m: m.start())
                out[b.start():b.end()] = a.group(1)
                out[a.start():a.end()] = b.group(1)
        elif op == "indent":
            start, _ = _line_span(bytes(out), pos)
            if rng.random() < 0.5:
                out[start:start] = rng.choice([b" ", b"  ", b"    ", b"\t"])
            else:
                strip = len(out[start:]) - len(bytes(out[start:]).lstrip(b" "))
                del out[start:start + min(strip, rng.randint(1, 4))]
        elif op == "random_yaml":
            snippet = _random_yaml(rng)
            if rng.random() < 0.2:
                out[:] = snippet
            else:
                start, end = _line_span(bytes(out), pos)
                out[start:end] = snippet
        elif op == "splice":
            other = rng.choice(pool)
            a = rng.randint(0, len(other))
            start, end = _line_span(other, a)
            out[pos:pos] = other[start:end]
        elif op == "truncate":
            del out[pos:]
        elif op == "tree":
            out[:] = _tree_edit(bytes(out), rng, pool)
        elif op == "delete_bytes":
            del out[pos:pos + rng.randint(1, 16)]
        if len(out) > MAX_INPUT:
            del out[MAX_INPUT:]
    return bytes(out)


# ============================================================================ reduction


def reduce(data: bytes, sig: str, runner: Runner, budget: int = 150) -> bytes:
    """A smaller input with the same signature: drop chunks of lines, then of bytes."""
    def same(candidate: bytes) -> bool:
        nonlocal budget
        if budget <= 0:
            return False
        budget -= 1
        outcome, got, _ = runner.run(candidate)
        return outcome not in ("ok", "spec-error") and got == sig

    for split in (lambda d: d.splitlines(keepends=True), lambda d: [bytes([c]) for c in d]):
        parts = split(data)
        chunk = max(1, len(parts) // 2)
        while chunk >= 1 and budget > 0:
            i, changed = 0, False
            while i < len(parts) and budget > 0:
                trial = parts[:i] + parts[i + chunk:]
                if trial and same(b"".join(trial)):
                    parts, changed = trial, True
                else:
                    i += chunk
            if not changed:
                chunk //= 2
        data = b"".join(parts)
        if len(data) > 2000:  # byte by byte only for small inputs
            break
    return data


def save(data: bytes, slow: bool = False) -> Path:
    """A crash, hang or memory finding goes to the corpus the tests replay; a slow one (a stage
    over the CPU bound, answered correctly) to ``slow/``, which benchmarks/hardening.py times."""
    folder = CORPUS / "slow" if slow else CORPUS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.yaml"
    path.write_bytes(data)
    return path


# ============================================================================ main


def _runner(args: argparse.Namespace) -> Runner:
    return Runner(args.timeout, args.max_rss, args.cpu, args.stage_cpu)


def replay(paths: list[str], runner: Runner) -> int:
    """Run saved inputs; print one line each; exit 1 if any is still a finding."""
    bad = 0
    try:
        for p in paths:
            outcome, sig, detail = runner.run(Path(p).read_bytes())
            print(f"{p}: {outcome} {sig}".rstrip())
            if outcome not in ("ok", "spec-error"):
                bad += 1
                print(detail, file=sys.stderr)
    finally:
        runner.close()
    return 1 if bad else 0


def fuzz(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    t0 = time.monotonic()
    valid, broken = seeds(args.generated)
    pool = valid + broken
    print(f"{len(valid)} valid and {len(broken)} broken seeds ({args.generated} generated) in {time.monotonic() - t0:.1f} s; "
          f"fuzzing for {args.minutes:g} min; per input {args.stage_cpu:g} s CPU per stage, "
          f"{args.cpu:g} s CPU and {args.timeout:g} s wall in all, {args.max_rss} MB peak RSS")
    runner = _runner(args)
    outcomes: Counter[str] = Counter()
    findings: dict[str, dict[str, Any]] = {}
    start = time.monotonic()
    deadline = start + args.minutes * 60
    fuzz_s = 0.0  # time spent on inputs, not on reducing findings
    try:
        while time.monotonic() < deadline:
            data = mutate(rng.choice(valid if rng.random() < 0.75 else broken), rng, pool)
            t = time.monotonic()
            outcome, sig, detail = runner.run(data)
            fuzz_s += time.monotonic() - t
            outcomes[outcome] += 1
            if outcome in ("ok", "spec-error"):
                continue
            entry = findings.setdefault(sig, {"outcome": outcome, "count": 0, "saved": [],
                                              "detail": detail})
            entry["count"] += 1
            if len(entry["saved"]) < args.keep:
                small = reduce(data, sig, runner) if outcome in ("crash", "died") else data
                path = save(small, slow=outcome == "slow")
                entry["saved"].append(str(path.relative_to(ROOT)))
                print(f"FINDING {outcome}: {sig} -> {path.relative_to(ROOT)} "
                      f"({len(small)} bytes)", flush=True)
    except KeyboardInterrupt:  # Ctrl-C ends the run early, with its summary
        print("interrupted", file=sys.stderr)
    finally:
        runner.close()
    total = sum(outcomes.values())
    wall = time.monotonic() - start
    bad = total - outcomes["ok"] - outcomes["spec-error"]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import print_table, write_result

    print()
    print_table(["inputs", "inputs/s", "accepted", "spec errors", "findings", "signatures"],
                [(total, f"{total / max(fuzz_s, 1e-9):.1f}", outcomes["ok"],
                  outcomes["spec-error"], bad, len(findings))])
    for sig, entry in findings.items():
        print(f"\n{entry['outcome']} ×{entry['count']}: {sig}\n  saved: {', '.join(entry['saved'])}")
        if entry["detail"]:
            print("  " + entry["detail"].strip().splitlines()[-1])
    path = write_result("fuzz", {
        "seed": args.seed, "minutes": args.minutes, "seeds": {"valid": len(valid), "broken": len(broken)}, "wall_s": wall,
        "inputs": total, "inputs_per_s": total / max(fuzz_s, 1e-9), "outcomes": dict(outcomes),
        "findings": {s: {k: v for k, v in e.items() if k != "detail"}
                     for s, e in findings.items()},
    })
    print(f"\nwrote {path}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="wall seconds an input may block before it counts as a hang")
    parser.add_argument("--cpu", type=float, default=30.0,
                        help="CPU seconds all stages of an input may use before it is a hang")
    parser.add_argument("--stage-cpu", type=float, default=5.0,
                        help="CPU seconds one stage may use (the issue's bound per command)")
    parser.add_argument("--max-rss", type=int, default=500, help="peak RSS bound (MB)")
    parser.add_argument("--generated", type=int, default=200,
                        help="documents drawn from archspec.testing.strategies as seeds")
    parser.add_argument("--keep", type=int, default=3, help="inputs saved per signature")
    parser.add_argument("--replay", nargs="+", metavar="FILE", help="replay saved inputs")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay, _runner(args))
    return fuzz(args)


if __name__ == "__main__":
    raise SystemExit(main())

