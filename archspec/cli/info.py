"""The commands that describe archspec itself: ``schema``, ``list`` and ``rule``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from archspec.cli.output import Outcome, UsageError, display, render_errors, text_outcome
from archspec.diagnostics import Diagnostic, SpecError
from archspec.report.model import EXIT_OK, EXIT_SPEC_ERROR


def cmd_schema(args: argparse.Namespace) -> Outcome:
    from archspec.report.json import dumps

    if args.space:
        from archspec.sweep.space import space_schema

        return text_outcome(dumps(space_schema()), args.output)
    from archspec.spec.schema import json_schema

    return text_outcome(dumps(json_schema()), args.output)


# ------------------------------------------------------------------------------------ list


def shipped_specs() -> list[Path]:
    """The specs shipped as package data: ``data/specs/*.yaml`` and its ``experiments/``."""
    root = Path(__file__).parent.parent / "data" / "specs"
    return sorted(root.glob("*.yaml")) + sorted((root / "experiments").glob("*.yaml"))


def cmd_list(args: argparse.Namespace) -> Outcome:
    from archspec.spec.document import load

    if args.networks:
        if args.specs:
            raise UsageError("--networks lists the shipped networks; it takes no SPEC")
        return _list_networks(args)
    paths = [Path(p) for p in args.specs] if args.specs else shipped_specs()
    rows: list[dict[str, Any]] = []
    errors: list[Diagnostic] = []
    for path in paths:
        shown = display(path) if not args.specs else str(path)
        try:
            document = load(shown)
        except SpecError as exc:
            errors.extend(exc.diagnostics)
            rows.append({"file": shown, "name": None, "variants": [], "default_variant": None,
                         "valid": False})
            continue
        rows.append({"file": shown, "name": document.name, "variants": document.variants,
                     "default_variant": document.default_variant, "valid": True})

    def render(out: IO[str]) -> None:
        if args.format == "json":
            from archspec.report.json import dumps
            from archspec.report.model import SCHEMA_VERSION, diagnostic_dict

            out.write(dumps({"schema_version": SCHEMA_VERSION, "specs": rows,
                             "diagnostics": [diagnostic_dict(d) for d in errors]}))
        else:
            _print_list(rows, out)
            if errors:
                render_errors(errors, "text", out)

    return Outcome(EXIT_SPEC_ERROR if errors else EXIT_OK, render)


def _list_networks(args: argparse.Namespace) -> Outcome:
    from archspec.spec.zoo import networks

    rows = [{"name": n.name, "spec": n.spec.name, "variant": n.variant, "timm": n.timm,
             "torchvision": n.torchvision, "reference": n.reference}
            for n in networks().values()]

    def render(out: IO[str]) -> None:
        if args.format == "json":
            from archspec.report.json import dumps
            from archspec.report.model import SCHEMA_VERSION

            out.write(dumps({"schema_version": SCHEMA_VERSION, "networks": rows}))
            return
        from archspec.report.text import Page

        page = Page()
        page.table(("name", "spec", "variant", "equal to"),
                   ((n.name, n.spec.name, n.variant, n.source) for n in networks().values()))
        page.write(out)

    return Outcome(EXIT_OK, render)


def _print_list(rows: list[dict[str, Any]], stream: IO[str]) -> None:
    from archspec.report.text import Page

    page = Page()
    page.table(("name", "variants (* default)", "file"), (
        (row["name"] or "?", " ".join(f"*{v}" if v == row["default_variant"] else v
                                      for v in row["variants"])
         or ("-" if row["valid"] else "INVALID"), row["file"]) for row in rows))
    page.write(stream)


# ------------------------------------------------------------------------------------ rule


def cmd_rule(args: argparse.Namespace) -> Outcome:
    from archspec.codes import CODES
    from archspec.report.rule_pages import rule_page
    from archspec.rules.registry import RULES, by_name

    if args.list or args.code is None:
        return Outcome(EXIT_OK, _print_rules)
    named = by_name().get(args.code.strip())  # a rule's name works as well as its code
    code = named.code if named is not None else args.code.strip().upper()
    if code in RULES:
        text = rule_page(code)
        return text_outcome(text if text.endswith("\n") else text + "\n", None)
    if code in CODES:
        entry = CODES[code]
        kind = (f"A note ({entry.stage}; info: it explains the errors beside it and never sets "
                "the exit code)" if entry.note else f"A spec error ({entry.stage}; exit code 2)")
        return text_outcome(f"# {code}: {entry.title}\n\n{kind}.\n\n{entry.meaning}\n", None)
    from archspec.diagnostics import did_you_mean

    near = did_you_mean(code, [*RULES, *CODES])
    hint = f"; did you mean {near}?" if near else ""
    raise UsageError(f"no rule or error code {args.code!r}{hint} (see `archspec rule --list`)")


def _print_rules(stream: IO[str]) -> None:
    from archspec.codes import CODES
    from archspec.report.text import Page
    from archspec.rules.registry import RULES, sorted_codes

    page = Page()
    page.add(("Rules", "bold"))
    page.table(("code", "name", "severity", "what it checks"), (
        (code, RULES[code].name, RULES[code].severity.value, RULES[code].summary())
        for code in sorted_codes()), indent="  ")
    page.blank()
    page.add(("Spec errors (exit 2)", "bold"))
    page.table(("code", "raised by", "what"),
               ((c.code, c.stage, c.title) for c in CODES.values()),
               indent="  ")
    page.write(stream)
