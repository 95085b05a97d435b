"""How long the lint rules take on specs/emo.yaml, next to the passes before them, medians.

Alternates, in one process, loading + resolving + tracing every EMO variant from the file and
running every rule of the default target on the graphs just built (fresh each round, so no
cache is warm). Prints the medians and the ratio rules / (load + resolve + trace): a ratio taken
in one run compares like with like on a busy machine, where an absolute figure does not. The
test it replaces asserted rules < 0.1 s; that figure is shown here, not enforced.

    python benchmarks/rule_time.py [--repeats 21] [--spec specs/emo.yaml]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved, median, print_table, write_result  # noqa: E402

import archspec  # noqa: E402
from archspec.rules.context import LintContext  # noqa: E402
from archspec.rules.engine import run_rules, select_codes  # noqa: E402
from archspec.rules.targets import load_target  # noqa: E402

OLD_BOUND_S = 0.1  # what the removed test asserted for the rules on EMO's four variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--spec", default=str(ROOT / "specs" / "emo.yaml"))
    args = parser.parse_args()

    variants = list(archspec.load(args.spec).variants) or [None]
    target = load_target("default")
    codes = select_codes(target)
    built: list = []

    def resolve() -> None:
        doc = archspec.load(args.spec)
        nets = [archspec.resolve(doc, v) for v in variants]
        built[:] = [(net, archspec.trace(net)) for net in nets]

    def rules() -> None:  # on the graphs of the round's resolve(): interleaved() alternates
        for net, graph in built:
            run_rules(LintContext(net, graph, target), codes)

    times = interleaved({"load + resolve + trace": resolve, "rules": rules}, args.repeats)
    med = {name: median(t) for name, t in times.items()}
    base = med["load + resolve + trace"]
    rows = [(name, f"{s * 1000:.1f} ms", f"{s / base:.2f}") for name, s in med.items()]
    print(f"{Path(args.spec).name}: {len(variants)} variants, {len(codes)} rules, "
          f"{args.repeats} interleaved repeats")
    print_table(["pass", "median", "ratio to load + resolve + trace"], rows)
    print(f"\nrules / (load + resolve + trace) = {med['rules'] / base:.2f}; rules "
          f"{med['rules'] * 1000:.1f} ms (the removed test's bound: {OLD_BOUND_S * 1000:.0f} ms, "
          f"{'met' if med['rules'] < OLD_BOUND_S else 'missed'} on this machine, now)")
    path = write_result("rule_time", {
        "spec": Path(args.spec).name, "variants": len(variants), "rules": len(codes),
        "repeats": args.repeats, "median_s": med, "rules_over_resolve": med["rules"] / base,
        "old_bound_s": OLD_BOUND_S,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
