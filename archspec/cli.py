"""The ``archspec`` command: lint, profile, build, schema, list, rule.

Exit codes (docs/cli.md): 0 success; 1 ``lint`` found an error-severity finding; 2 a spec error
(rendered with its location) or bad command-line input; 3 a bug in archspec (a short message,
never a traceback, unless ``ARCHSPEC_TRACEBACK=1``); 130 interrupted.

Start-up is part of the interface: ``lint``, ``profile``, ``schema``, ``list`` and ``rule`` never
import torch, and every heavier import (rich, the rules, the analysis) happens inside the command
that needs it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from archspec.diagnostics import Diagnostic, SpecError, cap
from archspec.report.escape import escape
from archspec.report.model import EXIT_INTERNAL, EXIT_OK, EXIT_SPEC_ERROR

if TYPE_CHECKING:
    from archspec.report.model import FileReport
    from archspec.rules.config import Config
    from archspec.spec.document import Document

PROG = "archspec"
_DIGITS = re.compile("[0-9]{1,9}")  # ASCII digits only (int() also takes "1_0", "٣", " 3 ")
EXIT_INTERRUPTED = 130
EXPORT_SUFFIXES = (".pt2", ".onnx", ".pt")


class UsageError(Exception):
    """Bad command-line input found after parsing (a value argparse cannot judge): exit 2."""


class _OutputClosed(Exception):
    """The reader of stdout went away (``archspec ... | head``): exit, silently, with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _OutputFailed(Exception):
    """stdout cannot be written (a full disk, an I/O error): exit 2 with the reason."""


@contextlib.contextmanager
def _output(code: int) -> Iterator[None]:
    """Write a command's output once its exit ``code`` is decided: a reader that left ends the
    command silently with that code (1 stays 1 under ``| head``); any other failure to write
    stdout ends it with exit 2. stdout is flushed inside, so buffered output fails here too."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise _OutputClosed(code) from None
    except OSError as exc:
        raise _OutputFailed(exc.strerror or str(exc)) from None


class _Parser(argparse.ArgumentParser):
    """argparse, with the user's text in its messages escaped (an unknown argument is echoed)."""

    def error(self, message: str) -> NoReturn:
        super().error(escape(message))


# ------------------------------------------------------------------------------------ helpers


def _codes(values: list[str] | None) -> list[str] | None:
    """``--select G1,G2 --select S101`` → ``['G1', 'G2', 'S101']`` (None when not given)."""
    if values is None:
        return None
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def parse_input(text: str) -> tuple[int, int, int, int]:
    """``1x3x224x224`` (N×C×H×W) or ``3x224x224`` (C×H×W, batch 1) → (N, C, H, W), within the
    bounds of a spec's ``input`` (so a bad value is blamed on the flag, not on the file)."""
    from archspec.spec.models import MAX_INPUT_CHANNELS, MAX_INPUT_SIZE

    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    dims = [int(p) for p in parts] if all(_DIGITS.fullmatch(p) for p in parts) else []
    if len(dims) == 3:
        dims = [1, *dims]
    if len(dims) != 4 or min(dims) < 1:
        raise argparse.ArgumentTypeError(
            f"expected N×C×H×W such as 1x3x224x224 (or C×H×W), got {text!r}")
    if dims[1] > MAX_INPUT_CHANNELS or max(dims[2:]) > MAX_INPUT_SIZE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: C must be at most {MAX_INPUT_CHANNELS:,} and H, W at most "
            f"{MAX_INPUT_SIZE:,} (the bounds of a spec's `input`)")
    return dims[0], dims[1], dims[2], dims[3]


def _check_channels(channels: int, expected: int, where: str) -> None:
    if channels != expected:
        raise UsageError(f"--input has {channels} channels but {where} takes {expected}; "
                         f"the channels must match the spec's `input.channels`")


def _display(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _write_text(text: str, output: str | None) -> None:
    if output is None or output == "-":
        with _output(EXIT_OK):
            sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {escape(output)}", file=sys.stderr)


def _render_errors(diagnostics: list[Diagnostic], fmt: str) -> None:
    """Spec errors of a command other than lint: JSON on stdout, text on stderr."""
    from archspec.report import render_lint
    from archspec.report.model import LintReport

    report = LintReport.of_errors(diagnostics)
    if fmt == "text":
        render_lint(report, "text", sys.stderr, summary=False)
    else:
        render_lint(report, fmt, sys.stdout)


# ------------------------------------------------------------------------------------ lint


def _run_rules(document: Document, variant: str | None, args: argparse.Namespace,
               config: Config) -> list[Diagnostic]:
    from archspec.rules.engine import UnknownSelector, lint_document

    try:
        return lint_document(document, variant=variant, target=args.target,
                             select=_codes(args.select), ignore=_codes(args.ignore),
                             config=config)
    except UnknownSelector as exc:
        raise UsageError(f"--select/--ignore: {exc}") from None


def lint_file(path: str, args: argparse.Namespace) -> FileReport:
    """Load, resolve and trace every variant (or ``--variant``), then run the rules with the
    ``[tool.archspec]`` configuration of the pyproject.toml nearest the spec. Every mistake at
    once: variants that passed pass 1 are resolved even when others did not, and an error
    several variants share is reported once."""
    from archspec import trace
    from archspec.report.model import FileReport, VariantSummary
    from archspec.rules.config import find_config
    from archspec.spec.document import check
    from archspec.spec.resolve import resolve_variants
    from archspec.spec.source import read_source

    report = FileReport(path)
    try:
        document, problems = check(read_source(path))
    except SpecError as exc:
        report.diagnostics.extend(exc.diagnostics)
        return report
    if document is None or (args.variant in document.variants
                            and args.variant not in document.resolvable):
        report.diagnostics.extend(cap(problems))  # (a variant that failed pass 1: no more)
        return report
    variants: list[str | None] = [args.variant] if args.variant else document.resolvable
    nets, errors = resolve_variants(document, variants)
    report.diagnostics.extend(cap([*problems, *errors]))  # the file's limit, every variant's
    for net in nets:
        totals = trace(net).totals()
        report.variants.append(VariantSummary(net.variant, totals.params, totals.macs))
    if not nets:
        return report
    config = find_config(Path(path).resolve().parent)
    # all resolved: one run over the document (or --variant); else the variants that resolved
    runs = [args.variant] if len(nets) == len(variants) and not document.failed else \
        [net.variant for net in nets]
    for variant in runs:
        try:
            report.diagnostics.extend(_run_rules(document, variant, args, config))
        except SpecError as exc:
            report.diagnostics.extend(exc.diagnostics)
    return report


def cmd_lint(args: argparse.Namespace) -> int:
    from archspec.report import render_lint
    from archspec.report.model import LintReport

    if args.target is not None:  # once, before any file: a bad target is nobody's spec error
        from archspec.rules.targets import load_target

        args.target = load_target(args.target)
    report = LintReport([lint_file(path, args) for path in args.specs])
    with _output(report.exit_code):
        render_lint(report, args.format, sys.stdout)
    return report.exit_code


# ------------------------------------------------------------------------------------ profile


def cmd_profile(args: argparse.Namespace) -> int:
    from archspec import analyze
    from archspec.spec.document import load

    document = load(args.spec)
    batch, channels, size = 1, None, None
    if args.input is not None:
        batch, channels, h, w = args.input
        size = (h, w)
    try:
        analysis = analyze(document, variant=args.variant, input_size=size, batch=batch,
                           dtype=args.dtype, convention=args.convention,
                           num_classes=args.num_classes)
    except SpecError as exc:
        raise exc if size is None else _blame_input(exc, document, args) from None
    if channels is not None:
        _check_channels(channels, analysis.net.input_shape[0],
                        f"{args.spec} ({analysis.net.label})")
    with _output(EXIT_OK):
        if args.format == "json":
            from archspec.report.json import dumps
            from archspec.report.profile import profile_dict

            sys.stdout.write(dumps(profile_dict(analysis)))
        else:
            from archspec.report.text import render_profile

            render_profile(analysis, sys.stdout)
    return EXIT_OK


def _blame_input(exc: SpecError, document: Document, args: argparse.Namespace
                 ) -> SpecError | UsageError:
    """What to raise when the network failed at ``--input``'s size. Errors located at the file's
    `input:` (a tensor too large, say) are the flag's: a usage error naming ``--input``. Errors
    in blocks (a stage that collapses the map) keep their place, and a spec that fails at its
    own size too gets its own errors."""
    from archspec import resolve

    try:
        resolve(document, args.variant, num_classes=args.num_classes)
    except SpecError as own:
        return own
    at_input = {document.source.span_of(p) for p in (("input",), ("input", "size"))}
    flagged = [f"{d.code} {d.message}" for d in exc.diagnostics if d.span in at_input]
    if not flagged:
        return exc
    more = f"; and {len(flagged) - 3} more" if len(flagged) > 3 else ""
    return UsageError(f"--input {'x'.join(map(str, args.input))}: the network does not fit this "
                      f"input ({'; '.join(flagged[:3])}{more}); it does at the spec's own size")


# ------------------------------------------------------------------------------------ build


def cmd_build(args: argparse.Namespace) -> int:
    from archspec.graph import memory

    if args.output is not None:
        if Path(args.output).suffix not in EXPORT_SUFFIXES:
            raise UsageError(f"cannot tell the format of {args.output}: the suffix must be one "
                             f"of {', '.join(EXPORT_SUFFIXES)}")
        _check_output(args.output)
    try:
        budget = memory.budget(args.max_memory, option="--max-memory")
    except memory.SizeError as exc:
        raise UsageError(str(exc)) from None
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise UsageError("`archspec build` needs torch: pip install 'archspec[torch]'")
    from archspec import resolve, trace, with_input_size
    from archspec.spec.document import load

    document = load(args.spec)
    net = resolve(document, args.variant, num_classes=args.num_classes)
    channels, h, w = net.input_shape
    batch = 1
    if args.input is not None:
        batch, in_channels, h, w = args.input
        _check_channels(in_channels, channels, f"{args.spec} ({net.label})")
        if (h, w) != net.input_shape[1:]:  # resolve at that size: it must fit the network
            try:
                net = resolve(with_input_size(document, (h, w)), args.variant,
                              num_classes=args.num_classes)
            except SpecError as exc:
                raise _blame_input(exc, document, args) from None
    fmt = Path(args.output).suffix if args.output is not None else None
    graph = trace(net)
    memory.check(memory.estimate(graph, batch=batch, fmt=fmt), budget, net=net,
                 action="build" + (f" -o {args.output}" if args.output else ""),
                 override=f"--max-memory SIZE (or ${memory.ENV_VAR}); --max-memory none "
                          "turns the check off")
    import torch  # only now: the check above runs before torch takes its half gigabyte

    from archspec.nn.build import build_module

    model = build_module(net)
    model.eval()
    example = torch.zeros(batch, channels, h, w)
    with torch.no_grad():
        out = model(example)
    params = sum(p.numel() for p in model.parameters())
    analysed = graph.totals().params
    shapes = [tuple(t.shape) for t in (out if isinstance(out, list | tuple) else [out])]
    print(f"{escape(document.file)}  {net.label}")  # a file name is the user's text
    print(f"  parameters    {params:,}" + (" (as analysed)" if params == analysed else ""))
    print(f"  modules       {sum(1 for _ in model.modules()):,}")
    print(f"  input         {'×'.join(map(str, example.shape))}")
    print("  output        " + ", ".join("×".join(map(str, s)) for s in shapes))
    if params != analysed:  # the analysis is the truth about the module: this is a bug
        print(f"{PROG} build: internal error: the module has {params:,} parameters, the analysis "
              f"{analysed:,}; please report it with the spec", file=sys.stderr)
        return EXIT_INTERNAL
    if args.output is not None:
        _export(model, example, args.output, document)
    return EXIT_OK


def _check_output(output: str) -> None:
    """Refuse an ``-o`` path that cannot be written, before anything is built: its directory
    must exist and take a new file (tried with a temporary file, which also refuses /proc and
    /sys), and the path must not be a directory or another non-regular file."""
    import stat
    import tempfile

    path = Path(output)
    where = f"-o/--output {output}"
    parent = path.parent
    if not parent.exists():
        raise UsageError(f"{where}: the directory {parent} does not exist; create it first")
    if not parent.is_dir():
        raise UsageError(f"{where}: {parent} is not a directory")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UsageError(f"{where}: cannot use this path: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"{where}: is a directory; give a file name such as "
                         f"{path / ('model' + path.suffix)}")
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"{where}: exists and is not a regular file (a device, FIFO or "
                         "socket); give the path of a new or regular file")
    try:  # a real attempt, without touching the target: permissions, read-only or virtual fs
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".archspec-", suffix=".probe")
    except OSError as exc:
        raise UsageError(f"{where}: cannot create a file in {parent}: "
                         f"{exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    if mode is not None and not os.access(path, os.W_OK):
        raise UsageError(f"{where}: the file exists and is not writable")


def _export(model: Any, example: Any, output: str, document: Document) -> None:
    from archspec.nn.export import export

    try:
        export(model, example, output, spec_text=document.source.text)
    except ImportError as exc:  # onnx, onnxruntime, onnxscript
        raise UsageError(f"writing {Path(output).suffix} needs {exc.name or exc}: "
                         "pip install 'archspec[export]'") from None
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {escape(output)}")


# ------------------------------------------------------------------------------------ schema


def cmd_schema(args: argparse.Namespace) -> int:
    from archspec.report.json import dumps
    from archspec.spec.schema import json_schema

    _write_text(dumps(json_schema()), args.output)
    return EXIT_OK


# ------------------------------------------------------------------------------------ list


def shipped_specs() -> list[Path]:
    """The specs shipped as package data: ``data/specs/*.yaml`` and its ``experiments/``."""
    root = Path(__file__).parent / "data" / "specs"
    return sorted(root.glob("*.yaml")) + sorted((root / "experiments").glob("*.yaml"))


def cmd_list(args: argparse.Namespace) -> int:
    from archspec.spec.document import load

    paths = [Path(p) for p in args.specs] if args.specs else shipped_specs()
    rows: list[dict[str, Any]] = []
    errors: list[Diagnostic] = []
    for path in paths:
        shown = _display(path) if not args.specs else str(path)
        try:
            document = load(shown)
        except SpecError as exc:
            errors.extend(exc.diagnostics)
            rows.append({"file": shown, "name": None, "variants": [], "default_variant": None,
                         "valid": False})
            continue
        rows.append({"file": shown, "name": document.name, "variants": document.variants,
                     "default_variant": document.default_variant, "valid": True})
    code = EXIT_SPEC_ERROR if errors else EXIT_OK
    with _output(code):
        if args.format == "json":
            from archspec.report.json import dumps
            from archspec.report.model import SCHEMA_VERSION, diagnostic_dict

            sys.stdout.write(dumps({"schema_version": SCHEMA_VERSION, "specs": rows,
                                    "diagnostics": [diagnostic_dict(d) for d in errors]}))
        else:
            _print_list(rows, sys.stdout)
            if errors:
                _render_errors(errors, "text")
    return code


def _print_list(rows: list[dict[str, Any]], stream: IO[str]) -> None:
    from archspec.report.text import Page

    page = Page()
    page.table(("name", "variants (* default)", "file"), (
        (row["name"] or "?", " ".join(f"*{v}" if v == row["default_variant"] else v
                                      for v in row["variants"])
         or ("-" if row["valid"] else "INVALID"), row["file"]) for row in rows))
    page.write(stream)


# ------------------------------------------------------------------------------------ rule


def cmd_rule(args: argparse.Namespace) -> int:
    from archspec.codes import CODES
    from archspec.rules.docs import rule_page
    from archspec.rules.registry import RULES, by_name

    if args.list or args.code is None:
        with _output(EXIT_OK):
            _print_rules(sys.stdout)
        return EXIT_OK
    named = by_name().get(args.code.strip())  # a rule's name works as well as its code
    code = named.code if named is not None else args.code.strip().upper()
    if code in RULES:
        text = rule_page(code)
        with _output(EXIT_OK):
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return EXIT_OK
    if code in CODES:
        entry = CODES[code]
        kind = (f"A note ({entry.stage}; info: it explains the errors beside it and never sets "
                "the exit code)" if entry.note else f"A spec error ({entry.stage}; exit code 2)")
        with _output(EXIT_OK):
            sys.stdout.write(f"# {code}: {entry.title}\n\n{kind}.\n\n{entry.meaning}\n")
        return EXIT_OK
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


# ------------------------------------------------------------------------------------ parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


EXIT_CODES = """\
exit codes:
  0  success (lint: no error-severity finding)
  1  lint: at least one error-severity finding
  2  a spec error (bad YAML, unknown key, unbuildable network), or bad command-line input
  3  a bug in archspec: please report it
"""


def build_parser() -> argparse.ArgumentParser:
    from archspec import __version__

    parser = _Parser(
        prog=PROG, formatter_class=_Formatter, epilog=EXIT_CODES + "\nsee docs/cli.md",
        description="YAML specs of mobile vision networks: validate, lint against the "
                    "ShuffleNet V2 guidelines, profile without torch, build torch modules.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description, epilog=EXIT_CODES,
                           formatter_class=_Formatter)
        return p

    p = command("lint", "validate specs and check them against the design rules",
                "Load, resolve and trace every variant of each SPEC (or --variant), run the "
                "design rules, and report spec errors and findings with their YAML location.")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    p.add_argument("--variant", metavar="V", help="lint only this variant (default: all)")
    p.add_argument("--target", metavar="NAME|PATH",
                   help="target device: a shipped name (see docs/rules) or a target YAML file")
    p.add_argument("--select", action="append", type=_selectors, metavar="CODES",
                   help="only these rule codes or prefixes, comma-separated (repeatable)")
    p.add_argument("--ignore", action="append", type=_selectors, metavar="CODES",
                   help="skip these rule codes or prefixes, comma-separated (repeatable)")
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                   help="output format (default: text)")
    p.set_defaults(func=cmd_lint)

    p = command("profile", "per-block shapes, params, MACs, memory access (no torch)",
                "Analyse one variant of SPEC without torch: per-block table and totals, and every "
                "rounding that changed a number written in the spec.")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--variant", metavar="V", help="variant (default: the spec's default)")
    p.add_argument("--input", type=parse_input, metavar="NxCxHxW",
                   help="input shape, e.g. 1x3x224x224: N sets the batch, H×W override the "
                        "spec's size, C must equal the spec's input channels")
    p.add_argument("--num-classes", type=_positive, metavar="N",
                   help="classifier width (replaces the head's last linear)")
    p.add_argument("--dtype", choices=("fp32", "fp16", "bf16", "int8"), default="fp32",
                   help="element type for activation bytes (default: fp32)")
    p.add_argument("--convention", choices=("torch", "fvcore"), default="torch",
                   help="FLOPs: torch = 2×MACs; fvcore = MACs + norm elements (default: torch)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_profile)

    p = command("build", "build the torch module (needs torch) and optionally export it",
                "Build one variant of SPEC as a torch module, run a dummy input through it, print "
                "a summary, and write it to FILE: .pt2 (torch.export), .onnx (checked in "
                "onnxruntime) or .pt (checkpoint with the spec text; archspec.load_model reads "
                "it).")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--variant", metavar="V", help="variant (default: the spec's default)")
    p.add_argument("-o", "--output", metavar="FILE", help="write FILE (.pt2, .onnx or .pt)")
    p.add_argument("--num-classes", type=_positive, metavar="N",
                   help="classifier width (replaces the head's last linear)")
    p.add_argument("--input", type=parse_input, metavar="NxCxHxW",
                   help="dummy/example input shape (default: 1×C×H×W of the spec)")
    p.add_argument("--max-memory", type=_size, metavar="SIZE|none",
                   help="refuse (exit 2) a build or export estimated to need more than SIZE "
                        "(2G, 512M, 1.5GiB); none: no check (default: $ARCHSPEC_MAX_MEMORY, "
                        "else the memory available)")
    p.set_defaults(func=cmd_build)

    p = command("schema", "print the JSON Schema of the spec format",
                "The JSON Schema of archspec specs, generated from the pydantic models; point "
                "an editor at it for completion and hover docs "
                "(`# yaml-language-server: $schema=...`).")
    p.add_argument("-o", "--output", metavar="FILE", help="write FILE instead of stdout")
    p.set_defaults(func=cmd_schema)

    p = command("list", "list shipped specs (or the given ones) and their variants",
                "List the specs shipped with archspec, or the SPEC files given, with their "
                "variants; the default variant is starred.")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_list)

    p = command("rule", "show a rule's documentation, or list the rules",
                "Print the documentation page of a rule (G1, S101, …) or a spec error code "
                "(E120, …); --list lists them all.")
    p.add_argument("code", nargs="?", metavar="CODE")
    p.add_argument("--list", action="store_true", help="list every rule and error code")
    p.set_defaults(func=cmd_rule)
    return parser


def _size(text: str) -> str:
    """A ``--max-memory`` value, checked here and read by :func:`archspec.graph.memory.budget`."""
    from archspec.graph.memory import SizeError, parse_size

    try:
        parse_size(text)
    except SizeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


MAX_NUM_CLASSES = 1_000_000  # the bound of every width in a spec


def _positive(text: str) -> int:
    """``--num-classes``: a positive integer no wider than any width a spec may write."""
    value = int(text) if _DIGITS.fullmatch(text) else 0
    if not 1 <= value <= MAX_NUM_CLASSES:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer up to {MAX_NUM_CLASSES:,}, got {text!r}")
    return value


def _selectors(text: str) -> str:
    """A ``--select``/``--ignore`` value: at least one code, prefix or name (an empty value
    would silently select or ignore nothing)."""
    if not any(part.strip() for part in text.split(",")):
        raise argparse.ArgumentTypeError(
            f"expected rule codes, prefixes or names such as G1,S101, got {text!r}")
    return text


# ------------------------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_SPEC_ERROR
    try:
        with _collector_for_batch_work():
            return _run(args)
    except _OutputClosed as exc:  # `archspec ... | head`: the reader left; say nothing more
        _drop_stdout()
        return exc.code
    except _OutputFailed as exc:  # `> /dev/full`: not a bug, and not silent
        _drop_stdout()
        print(f"{PROG}: cannot write output: {exc}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # a write outside an _output guard: the exit code is unknown
        _drop_stdout()
        return EXIT_OK
    except Exception as exc:  # a bug: a short message, the traceback only on request
        if os.environ.get("ARCHSPEC_TRACEBACK"):
            raise
        print(f"{PROG} {args.command}: internal error: {type(exc).__name__}: "
              f"{escape(str(exc))}\n"
              "This is a bug in archspec; please report it with the command and the spec "
              "(set ARCHSPEC_TRACEBACK=1 to see the traceback).", file=sys.stderr)
        return EXIT_INTERNAL


#: The cyclic collector's thresholds while a command runs (Python's default is 700, 10, 10).
#: Analysis builds many small objects that live until the command ends (an Op, its shapes and
#: provenance per primitive op) and almost no cycles; at the defaults the older generations are
#: re-walked again and again: 1.5 s, a third of the CPU time of a 5,000-block lint, against
#: 0.15 s here. Young objects are still collected often. See decision 0015.
GC_THRESHOLDS = (2_000, 1_000, 1_000)


@contextlib.contextmanager
def _collector_for_batch_work() -> Iterator[None]:
    """Collect less often while a command runs; restored after (``main`` runs in tests too)."""
    saved = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _run(args: argparse.Namespace) -> int:
    """The command, with spec and usage errors rendered (text escaped); its exit code."""
    try:
        code = int(args.func(args))
    except SpecError as exc:
        with _output(EXIT_SPEC_ERROR):
            _render_errors(exc.diagnostics, getattr(args, "format", "text"))
        return EXIT_SPEC_ERROR
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {escape(str(exc))}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    with _output(code):  # what a command printed unguarded is still buffered
        pass
    return code


def _drop_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):  # not a real file (captured in tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
