"""`archspec lint specs/emo.yaml` against `python -c "import torch"`, interleaved, medians.

Target: the lint (all four EMO variants, all rules) takes less than a third of torch's import.
Each command runs in a fresh interpreter, as a user runs it: from byte-compiled modules, as pip
installs a package (torch's are), so the package is compiled first; without that, an environment
with PYTHONDONTWRITEBYTECODE set would time archspec's compiler work and not its own.

    python benchmarks/cli_speed.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import compileall
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import interleaved, median, print_table, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def command(args: list[str]) -> object:
    def run() -> None:
        done = subprocess.run(args, cwd=ROOT, capture_output=True)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode()}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "archspec", quiet=1)
    py = sys.executable
    runs = {
        "archspec lint specs/emo.yaml": command([py, "-m", "archspec", "lint", "specs/emo.yaml"]),
        "archspec profile specs/emo.yaml": command(
            [py, "-m", "archspec", "profile", "specs/emo.yaml"]),
        'python -c "import torch"': command([py, "-c", "import torch"]),
        'python -c "pass"': command([py, "-c", "pass"]),
    }
    times = interleaved(runs, args.repeats)
    torch_s = median(times['python -c "import torch"'])
    rows = [(name, f"{median(t) * 1000:.0f} ms", f"{median(t) / torch_s:.2f}")
            for name, t in times.items()]
    print_table(["command", "median wall", "ratio to import torch"], rows)
    lint_ratio = median(times["archspec lint specs/emo.yaml"]) / torch_s
    print(f"\nlint / import torch = {lint_ratio:.2f} (target < 0.33): "
          f"{'OK' if lint_ratio < 1 / 3 else 'MISSED'}")
    path = write_result("cli_speed", {
        "repeats": args.repeats,
        "median_s": {name: median(t) for name, t in times.items()},
        "lint_over_import_torch": lint_ratio, "target": 1 / 3,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
