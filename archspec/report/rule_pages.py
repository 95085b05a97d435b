"""Rule documentation, generated from the rules themselves: one page per rule, and an index.

A page is the rule's docstring (ruff's sections) with a header of its metadata, its Options table
(names, types, defaults and descriptions from the pydantic model), and what each shipped target
sets for it. ``archspec rule CODE`` prints :func:`rule_page`; ``docs/rules/`` holds the same pages,
written by ``python -m archspec.report.rule_pages --write docs/rules`` and checked by a test.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

from archspec.report.rule_appendices import APPENDICES
from archspec.rules.base import FAMILY_NAMES
from archspec.rules.registry import RULES, by_name, sorted_codes


def _rule(code_or_name: str) -> Any:
    cls = RULES.get(code_or_name) or by_name().get(code_or_name)
    if cls is None:
        from archspec.diagnostics import did_you_mean

        near = did_you_mean(code_or_name, [*RULES, *by_name()])
        hint = f"; did you mean {near}?" if near else ""
        raise KeyError(f"no rule {code_or_name!r}{hint}")
    return cls


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    text = str(annotation) if "[" in str(annotation) else text
    for junk in ("typing.", "archspec.diagnostics.", "<class '", "'>"):
        text = text.replace(junk, "")
    if text.startswith("list[Literal["):
        return "list of operator names"
    return {"Severity | None": "severity", "float": "number", "int": "integer",
            "bool": "boolean"}.get(text, text)


def _default(value: Any) -> str:
    if value is None:
        return "rule default"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "[]"
    if isinstance(value, float) and value >= 1e4:
        return f"{value:.0e}".replace("e+0", "e").replace("e+", "e")
    return str(getattr(value, "value", value))


def options_table(cls: Any) -> str:
    rows = ["| option | type | default | description |", "|---|---|---|---|"]
    for name, info in cls.Options.model_fields.items():
        default = info.get_default(call_default_factory=True)
        rows.append(f"| `{name}` | {_type_name(info.annotation)} | `{_default(default)}` | "
                    f"{info.description or ''} |")
    return "\n".join(rows)


def targets_table(cls: Any) -> str:
    from archspec.rules.targets import list_targets, load_target

    rows = ["| target | runs | sets |", "|---|---|---|"]
    from archspec.rules.targets import selected

    for name in list_targets():
        target = load_target(name)
        runs = "yes" if selected([cls.code], target.select, target.ignore) else "no"
        opts = target.rules.get(cls.code)
        sets = ", ".join(f"`{k}: {_default(getattr(v, 'value', v))}`"
                         for k, v in (opts.model_dump(exclude_unset=True).items()
                                      if opts else [])) or "defaults"
        rows.append(f"| [`{name}`](../../rules/{name}.yaml) | {runs} | {sets} |")
    return "\n".join(rows)


def rule_page(code: str) -> str:
    """The markdown documentation page of a rule (by code or name)."""
    cls = _rule(code)
    doc = inspect.cleandoc(cls.__doc__ or "")
    summary, _, body = doc.partition("\n")
    severity = cls.severity.value
    levels = f"{severity} (per-op and per-block figures: info)" if cls.notes_info else severity
    parts = [
        f"# {cls.code}: {cls.name}",
        "",
        f"{summary.strip()}",
        "",
        f"*Family:* {FAMILY_NAMES.get(cls.family(), cls.family())} · *Default severity:* "
        f"{levels} · *Suppress:* `noqa: {{{cls.code}: \"reason\"}}` on the stage or block",
        "",
        body.strip(),
    ]
    appendix = APPENDICES.get(cls.code)
    if appendix is not None:
        parts += ["", appendix().strip()]
    parts += ["", "## Options", "", options_table(cls), "",
              "Set them in a target file (`rules: {" + cls.code + ": {...}}`) or in "
              "`[tool.archspec.rules." + cls.code + "]`.", "",
              "## Targets", "", targets_table(cls), ""]
    return "\n".join(parts)


def index_page() -> str:
    """The index of every rule, with how to select, configure and suppress them."""
    from archspec.rules.targets import list_targets, load_target

    rows = ["| code | name | default severity | flags |", "|---|---|---|---|"]
    family = None
    for code in sorted_codes():
        cls = RULES[code]
        if cls.family() != family:
            family = cls.family()
            rows.append(f"| **{family}** | *{FAMILY_NAMES.get(family, family)}* | | |")
        sev = cls.severity.value + (" (+ info figures)" if cls.notes_info else "")
        rows.append(f"| [{code}]({code}.md) | `{cls.name}` | {sev} | {cls.summary()} |")
    targets = ["| target | description |", "|---|---|"]
    for name in list_targets():
        targets.append(f"| [`{name}`](../../rules/{name}.yaml) | "
                       f"{load_target(name).description} |")
    return "\n".join([INDEX_HEAD, "\n".join(rows), "", "## Targets", "",
                      "`archspec lint --target NAME|PATH` (default: `default`). A target is YAML "
                      "data under [rules/](../../rules/README.md): which rules run, their "
                      "thresholds, which ops its runtime fuses, which operators it lacks.", "",
                      "\n".join(targets), "", INDEX_TAIL])


INDEX_HEAD = """# Lint rules

`archspec lint SPEC` checks a spec against design rules before any training: the ShuffleNet V2
guidelines quantified (G), legal but wasteful structure (S), hardware and export hazards (H), and
its own suppressions (A). Every finding names its code, the YAML line, the variant and block, the
measured figure with its threshold (`data`), and a fix kept apart from the message. What cannot be
built at all is a spec error (E1xx) from loading and resolution, not a lint finding.

Severities: guideline rules note figures per op or block at **info** and give a **warning** only
when a *network* aggregate crosses its threshold, so one widening unit does not condemn a network
balanced everywhere else. **Errors** are reserved for what a target cannot run (e.g. `npu-int8`
makes missing operators errors); under the default target no shipped spec has one, and `archspec
lint` exits non-zero only on errors. Findings a stage template repeats at one YAML line are
merged into one (`data.blocks` lists the blocks).

Memory access (`mem_access`) is counted in elements as in the ShuffleNet V2 paper (its "MAC"): each
op reads its inputs and writes its output once, weights included, after the fusions the target
states. It is never called "MAC" here: `macs` are multiply-accumulates.
"""

INDEX_TAIL = """## Selecting, configuring, suppressing

As ruff does it:

* `--select G,S101` runs only those rules; `--ignore S104` drops rules. Each entry is `ALL`, a
  code (`G1`), a prefix (`G`, `S1`) or a rule name (`unequal-channel-width`). `--select` replaces
  the target's selection; `--ignore` adds to the target's and the configuration's ignores.
* `[tool.archspec]` in the nearest `pyproject.toml` (from the spec upwards) sets `target`,
  `select`, `ignore` and per-rule options:

  ```toml
  [tool.archspec]
  target = "mobile-cpu"
  ignore = ["S104"]

  [tool.archspec.rules.G1]
  network_share = 0.03
  ```

* In a spec, a suppression sits next to what it excuses, on a stage or a block, with a reason:

  ```yaml
  - name: b2
    out: 24
    depth: 2
    noqa: {G1: "expansion 6 kept for accuracy (MobileNetV2 as published)"}
    block: {block: mmb, exp: 6}
  ```

  A `noqa` without a reason or naming an unknown code is a spec error (E160). A suppressed block
  also leaves the network aggregate of that rule (its excess does not count). An entry that
  suppresses nothing is reported as [A001](A001.md).

From Python: `archspec.lint(path_or_document, variant=None, target=None, select=None,
ignore=None)` returns the findings as `archspec.Diagnostic`s, torch-free.

## Errors in targets and configuration

| code | meaning |
|---|---|
| E170 | no shipped target of that name |
| E171 | a target (or `[tool.archspec.rules]`) names an unknown rule |
| E172 | a rule option in `[tool.archspec.rules]` is invalid (target files report E120–E122 at the YAML node) |
| E173 | a `select`/`ignore` entry selects no rule |
| E174 | `[tool.archspec]` is malformed (unknown key, wrong type, invalid TOML) |

## pre-commit

Other repositories can lint their specs on commit with this repository's hook
(`.pre-commit-hooks.yaml`: `archspec lint` on `.yaml`/`.yml` files under a `specs/` directory):

```yaml
repos:
  - repo: https://github.com/<org>/archspec
    rev: v0.1.0
    hooks:
      - id: archspec-lint
        args: [--target, mobile-cpu]     # optional
```

## Design notes

* **Why network aggregates decide warnings.** The paper's per-op penalties (Tables 1–4) are
  measured on networks made only of the offending op. In a real network one expansion conv at
  1.43× the minimum may be a small share of the traffic; the aggregate says how much the whole
  network pays, and the info notes say where.
* **Why fragments are weighted by work.** Table 3: four fragments cost 3.3× at c = 128 but 1.24×
  at c = 512 on the GPU. A kernel that does much more work than a launch costs is compute-bound
  and barely counts; an element-wise op or a per-window matmul counts fully.
* **Why the default target merges concat and shuffle.** The paper's implementation does (§3); a
  target without that fusion (`mobile-cpu`, `npu-int8`) counts them as two copies.
"""


def write(directory: Path) -> list[Path]:
    """Write index.md and one page per rule into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    pages = {"index.md": index_page(), **{f"{c}.md": rule_page(c) for c in sorted_codes()}}
    written = []
    for name, text in pages.items():
        path = directory / name
        path.write_text(text, "utf-8")
        written.append(path)
    return written


def stale(directory: Path) -> list[str]:
    """Pages in ``directory`` that differ from the generated ones (or are missing or extra)."""
    expected = {"index.md": index_page(), **{f"{c}.md": rule_page(c) for c in sorted_codes()}}
    out = []
    for name, text in expected.items():
        path = directory / name
        if not path.is_file() or path.read_text("utf-8") != text:
            out.append(name)
    present = {p.name for p in directory.glob("*.md")} if directory.is_dir() else set()
    out.extend(sorted(present - set(expected)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archspec.report.rule_pages",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="DIR", type=Path, help="write the pages into DIR")
    parser.add_argument("--check", metavar="DIR", type=Path,
                        help="exit 1 when the pages in DIR are out of date")
    parser.add_argument("rule", nargs="?", help="print one rule's page")
    args = parser.parse_args(argv)
    if args.write:
        for path in write(args.write):
            print(path)
        return 0
    if args.check:
        bad = stale(args.check)
        for name in bad:
            print(f"out of date: {args.check / name}", file=sys.stderr)
        return 1 if bad else 0
    print(rule_page(args.rule) if args.rule else index_page())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
