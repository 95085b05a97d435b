"""The command line's grammar: every command, its arguments, and the checks of values argparse
cannot judge alone (``--input``, ``--num-classes``, ``--max-memory``, ``--select``)."""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from archspec.cli import build, graph, info, lint, profile, report, sweep
from archspec.cli import calibrate as calibrate_cmd
from archspec.cli.output import PROG
from archspec.report.escape import escape

_DIGITS = re.compile("[0-9]{1,9}")  # ASCII digits only (int() also takes "1_0", "٣", " 3 ")


class _Parser(argparse.ArgumentParser):
    """argparse, with the user's text in its messages escaped (an unknown argument is echoed)."""

    def error(self, message: str) -> NoReturn:
        super().error(escape(message))


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


SPEC_HELP = ("a spec file (YAML), or a shipped network's name such as ghostnet_100 (its spec "
             "and variant; `archspec list --networks`)")
DEVICE_HELP = ("predict latency on this device profile (from `archspec calibrate`; "
               "default: $ARCHSPEC_DEVICE if set)")


DEPLOY_HELP = ("the deploy (inference) form: BNs folded into their convs, re-parameterisable "
               "parallel branches fused into one conv (docs/deploy-form.md)")


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
    p.add_argument("specs", nargs="+", metavar="SPEC",
                   help="spec files (YAML), or shipped networks' names (`archspec list "
                        "--networks`), each linted in its variant")
    p.add_argument("--variant", metavar="V", help="lint only this variant (default: all)")
    _lint_options(p)
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                   help="output format (default: text)")
    p.add_argument("--device", metavar="DEVICE.json", help=DEVICE_HELP)
    p.set_defaults(func=lint.cmd_lint)

    p = command("profile", "per-block shapes, params, MACs, memory access (no torch)",
                "Analyse one variant of SPEC without torch: per-block table and totals, and every "
                "rounding that changed a number written in the spec.")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
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
    p.add_argument("--device", metavar="DEVICE.json", help=DEVICE_HELP)
    p.add_argument("--deploy", action="store_true", help=DEPLOY_HELP)
    p.set_defaults(func=profile.cmd_profile)

    p = command("report", "one self-contained HTML page: tables, charts, diagram, findings",
                "Lint and analyse every variant of SPEC (or --variant) without torch and write "
                "one HTML page that opens offline: per variant, bar charts of where the MACs, "
                "memory access and (with --device) predicted latency go, the block diagram "
                "(needs Graphviz), the per-block table and the findings with their YAML line.")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--variant", metavar="V", help="only this variant (default: all)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the page to write, e.g. report.html (default: stdout)")
    p.add_argument("--device", metavar="DEVICE.json", help=DEVICE_HELP)
    _lint_options(p)
    p.set_defaults(func=report.cmd_report)

    p = command("build", "build the torch module (needs torch) and optionally export it",
                "Build one variant of SPEC as a torch module, run a dummy input through it, print "
                "a summary, and write it to FILE: .pt2 (torch.export), .onnx (checked in "
                "onnxruntime) or .pt (checkpoint with the spec text; archspec.load_model reads "
                "it).")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
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
    p.add_argument("--deploy", action="store_true", help=DEPLOY_HELP)
    p.add_argument("--channels-last", action="store_true",
                   help="with --deploy: weights in torch.channels_last memory format")
    q = p.add_argument_group("ONNX export and quantisation (docs/deployment.md)")
    q.add_argument("--opset", type=_positive, metavar="N",
                   help="ONNX opset (.onnx only; torch 2.14 exports 18..23, default 20)")
    q.add_argument("--quantize", choices=("dynamic", "int8"),
                   help="write the .onnx quantised by ONNX Runtime: dynamic (8-bit weights, "
                        "activations at run time) or int8 (static, QDQ, calibrated)")
    q.add_argument("--half", action="store_true",
                   help="write the .onnx in fp16 (inputs and outputs stay fp32)")
    q.add_argument("--calibration", metavar="DIR",
                   help="--quantize int8: calibrate on the images in DIR (default: generated "
                        "inputs, labelled as such)")
    q.add_argument("--calibration-count", type=_positive, metavar="N",
                   help="use at most N calibration images or generated inputs (default 64)")
    q.add_argument("--mean", type=_rgb, metavar="R,G,B",
                   help="with --calibration: per-channel mean of [0,1] pixels (default "
                        "ImageNet's 0.485,0.456,0.406)")
    q.add_argument("--std", type=_rgb, metavar="R,G,B",
                   help="with --calibration: per-channel std (default ImageNet's "
                        "0.229,0.224,0.225)")
    p.set_defaults(func=build.cmd_build)

    p = command("graph", "draw the network's blocks: dot, mermaid, svg or png (no torch)",
                "Draw one variant of SPEC block by block: the stem, each stage with its repeated "
                "blocks collapsed (×N), branches and merges, output shapes on the edges, and "
                "the blocks with lint findings coloured by severity. dot and mermaid are text; "
                "svg and png need Graphviz (`apt install graphviz`, `pip install "
                "'archspec[graph]'`).")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--variant", metavar="V", help="variant (default: the spec's default)")
    # not `format`: the command's spec errors are text on stderr, whatever it draws
    p.add_argument("--format", dest="diagram_format", choices=("dot", "mermaid", "svg", "png"),
                   default="dot", help="output format (default: dot)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write FILE (default: stdout; png only when stdout is not a terminal)")
    p.add_argument("--expand", action="store_true",
                   help="draw every block (default: a stage's repeated blocks as one ×N node)")
    p.add_argument("--device", metavar="DEVICE.json",
                   help=DEVICE_HELP + "; each block's predicted ms in its node")
    p.set_defaults(func=graph.cmd_graph)

    p = command("calibrate", "time kernels and networks on this machine: a device profile",
                "Time the kernels archspec's networks run, and whole networks, on a backend "
                "at a fixed thread count; fit the latency model and write DEVICE.json (read by "
                "profile/lint --device). --bundle writes ONNX micro-kernels and a runner for a "
                "remote device; --from fits a profile from the timings that runner wrote.")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch",
                   help="eager torch or ONNX Runtime (CPU) (default: torch)")
    p.add_argument("--threads", type=_positive, default=1, metavar="N",
                   help="intra-op threads, pinned and recorded (default: 1)")
    p.add_argument("--quick", action="store_true",
                   help="fewer samples and networks (about 2 minutes instead of 10)")
    p.add_argument("--bundle", metavar="DIR", help="write a remote-device bundle to DIR")
    p.add_argument("--from", dest="timings", metavar="FILE",
                   help="fit a profile from a bundle runner's timings.json")
    p.add_argument("-o", "--output", metavar="FILE", help="the device profile to write")
    p.add_argument("--name", help="the profile's name (default: BACKEND-Nt)")
    p.add_argument("--specs", metavar="DIR", help="sample kernels and networks from the specs "
                   "in DIR (default: the shipped specs)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="where ONNX exports are cached (default: ~/.cache/archspec/calibrate)")
    p.add_argument("--no-progress", action="store_true", help="no progress display on stderr")
    p.set_defaults(func=calibrate_cmd.cmd_calibrate)

    p = command("sweep", "analyse a design space's candidates: constraints, Pareto front",
                "Sample the candidates of a search-space file (overrides over a base spec's "
                "variant), analyse and lint each without torch on a process pool or a Ray "
                "cluster, journal the results so an interrupted sweep resumes, and show the "
                "Pareto front of the candidates that pass every --constraint. "
                "--export writes one row of the results as a standalone spec.")
    p.add_argument("space", nargs="?", metavar="SPACE",
                   help="a search-space file (YAML); with --export, the space of a CSV file")
    p.add_argument("--sampler", choices=("grid", "random", "sobol"), default="grid",
                   help="every combination, or random or Sobol samples (default: grid)")
    p.add_argument("--samples", type=_count, metavar="N",
                   help="how many candidates random and Sobol draw (grid: at most N)")
    p.add_argument("--seed", type=_seed, default=0, metavar="S",
                   help="the samplers' seed: the same seed, the same candidates (default: 0)")
    p.add_argument("--constraint", action="append", metavar="EXPR",
                   help="keep candidates with NAME OP NUMBER, e.g. 'params <= 5e6' (a total, "
                        "errors/warnings/info, a rule code's count, latency_ms with --device); "
                        "repeatable, all must hold")
    p.add_argument("--objectives", metavar="LIST",
                   help="the front's columns, minimised unless written max:NAME (default: "
                        "latency_ms,params with --device, else macs,params)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the results: .parquet, or .csv (default: SPACE's name + "
                        "-results.parquet); the journal is FILE.journal/; with --export, the "
                        "spec to write")
    p.add_argument("--device", metavar="DEVICE.json", help=DEVICE_HELP)
    p.add_argument("--select", action="append", type=_selectors, metavar="CODES",
                   help="count only these rule codes or prefixes, comma-separated (repeatable)")
    p.add_argument("--ignore", action="append", type=_selectors, metavar="CODES",
                   help="skip these rule codes or prefixes, comma-separated (repeatable)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="a process pool on this machine, or a Ray cluster (pip install "
                        "'archspec[ray]') (default: local)")
    p.add_argument("--address", metavar="ADDR",
                   help="the Ray cluster to join (auto: this machine's); default: start one")
    p.add_argument("--workers", type=_count, metavar="N",
                   help="worker processes (local) or CPUs of a started Ray (default: every core)")
    p.add_argument("--batch-size", type=_count, default=sweep.DEFAULT_BATCH, metavar="B",
                   help="candidates per task and per journal part (default: 200)")
    p.add_argument("--fresh", action="store_true",
                   help="discard the journal of an earlier run and start over")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the summary's format (default: text)")
    p.add_argument("--measure", type=_count, metavar="K",
                   help="build and time the first K candidates of the front (needs torch)")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch",
                   help="what --measure times on (default: torch)")
    p.add_argument("--measure-on", metavar="RESOURCE",
                   help="with --engine ray: measure on the cluster's workers that offer this "
                        "custom resource (e.g. device:pi4), in parallel")
    p.add_argument("--plot", metavar="FRONT.png", help="draw the population and its front")
    p.add_argument("--html", metavar="FRONT.html", help="the same as a self-contained page")
    p.add_argument("--export", nargs=2, metavar=("RESULTS", "ROW"),
                   help="write the candidate ROW of RESULTS as a standalone spec (-o FILE)")
    p.set_defaults(func=sweep.cmd_sweep)

    p = command("schema", "print the JSON Schema of the spec format",
                "The JSON Schema of archspec specs, generated from the pydantic models; point "
                "an editor at it for completion and hover docs "
                "(`# yaml-language-server: $schema=...`).")
    p.add_argument("--space", action="store_true",
                   help="the schema of a sweep's space file instead (docs/sweep.schema.json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write FILE instead of stdout")
    p.set_defaults(func=info.cmd_schema)

    p = command("list", "list shipped specs (or the given ones) and their variants",
                "List the specs shipped with archspec, or the SPEC files given, with their "
                "variants; the default variant is starred.")
    p.add_argument("specs", nargs="*", metavar="SPEC")
    p.add_argument("--networks", action="store_true",
                   help="list the shipped networks by name (what SPEC may also be), with their "
                        "spec, variant and the reference they equal")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=info.cmd_list)

    p = command("rule", "show a rule's documentation, or list the rules",
                "Print the documentation page of a rule (G1, S101, …) or a spec error code "
                "(E120, …); --list lists them all.")
    p.add_argument("code", nargs="?", metavar="CODE")
    p.add_argument("--list", action="store_true", help="list every rule and error code")
    p.set_defaults(func=info.cmd_rule)
    return parser


def _lint_options(p: argparse.ArgumentParser) -> None:
    """The rules' selection, as ``lint`` and ``report`` take it."""
    p.add_argument("--target", metavar="NAME|PATH",
                   help="target device: a shipped name (see docs/rules) or a target YAML file")
    p.add_argument("--select", action="append", type=_selectors, metavar="CODES",
                   help="only these rule codes or prefixes, comma-separated (repeatable)")
    p.add_argument("--ignore", action="append", type=_selectors, metavar="CODES",
                   help="skip these rule codes or prefixes, comma-separated (repeatable)")


def _size(text: str) -> str:
    """A ``--max-memory`` value, checked here and read by :func:`archspec.graph.memory.budget`."""
    from archspec.graph.memory import SizeError, parse_size

    try:
        parse_size(text)
    except SizeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _rgb(text: str) -> tuple[float, float, float]:
    """``--mean``/``--std``: three finite numbers, comma-separated."""
    import math

    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(
            f"expected three numbers R,G,B such as 0.485,0.456,0.406, got {text!r}")
    return values[0], values[1], values[2]


MAX_NUM_CLASSES = 1_000_000  # the bound of every width in a spec


def _positive(text: str) -> int:
    """``--num-classes``: a positive integer no wider than any width a spec may write."""
    value = int(text) if _DIGITS.fullmatch(text) else 0
    if not 1 <= value <= MAX_NUM_CLASSES:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer up to {MAX_NUM_CLASSES:,}, got {text!r}")
    return value


MAX_COUNT = 10**9  # candidates, workers, a batch: anything larger is a typo


def _count(text: str) -> int:
    """A positive integer (``--samples``, ``--workers``, ``--batch-size``, ``--measure``)."""
    value = int(text.replace("_", "")) if re.fullmatch("[0-9][0-9_]{0,12}", text) else 0
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer up to {MAX_COUNT:,}, got {text!r}")
    return value


def _seed(text: str) -> int:
    """``--seed``: a non-negative integer."""
    if not _DIGITS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return int(text)


def _selectors(text: str) -> str:
    """A ``--select``/``--ignore`` value: at least one code, prefix or name (an empty value
    would silently select or ignore nothing)."""
    if not any(part.strip() for part in text.split(",")):
        raise argparse.ArgumentTypeError(
            f"expected rule codes, prefixes or names such as G1,S101, got {text!r}")
    return text


