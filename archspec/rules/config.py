"""``[tool.archspec]`` in pyproject.toml: the lint configuration of a project, as ruff reads its own.

```toml
[tool.archspec]
target = "mobile-cpu"          # a shipped target name or a path (relative to this file)
select = ["G", "S", "H101"]    # codes, prefixes or rule names; default: the target's
ignore = ["S104"]              # added to the target's ignores

[tool.archspec.rules.G1]       # per-rule options over the target's
network_share = 0.03
```

The nearest pyproject.toml with a ``[tool.archspec]`` table, from the spec's directory upwards,
applies; without one the defaults do. Command-line ``--target`` and ``--select`` replace
``target`` and ``select``; ``--ignore`` adds to ``ignore`` (docs/configuration.md).

The table is validated by :class:`ConfigTable` (E174), its selectors (E173), its target name
(E170) and, when the rules run, each rule's options (E171, E172), every error at
``pyproject.toml:line:col``, located by :mod:`archspec.rules.toml_positions`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archspec.diagnostics import (
    Diagnostic,
    Span,
    SpecError,
    error,
    format_key_path,
    show_text,
    show_value,
)
from archspec.rules.targets import is_target_path
from archspec.rules.toml_positions import TABLE, toml_source
from archspec.spec.source import Source

#: Nesting of arrays and tables inside ``[tool.archspec]`` (rule options are flat numbers).
MAX_CONFIG_NESTING = 50


class ConfigTable(BaseModel):
    """The schema of ``[tool.archspec]`` (each ``rules`` entry is validated by its rule)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    target: str | None = Field(
        None, description="A shipped target name, or the path of a target file (relative to this "
        "pyproject.toml). Default: `default`.")
    select: list[str] | None = Field(
        None, description="Rules to run: codes, prefixes or rule names. Default: the target's.")
    ignore: list[str] = Field(
        default_factory=list, description="Rules not to run, added to the target's ignores.")
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-rule options over the target's, as "
        "`[tool.archspec.rules.<CODE>]` tables.")


KEYS = tuple(ConfigTable.model_fields)


@dataclass(frozen=True)
class Config:
    """A project's lint settings; ``path`` is the pyproject.toml they came from (None: defaults);
    ``source`` its text with positions (paths under ``tool.archspec``), to locate rule errors."""

    path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target: str | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Source | None = field(default=None, repr=False, compare=False)

    @property
    def where(self) -> str:
        return f"{self.path} [tool.archspec]" if self.path else "configuration"


def find_config(start: str | os.PathLike[str] | None = None) -> Config:
    """The configuration for a spec at (or a directory) ``start``: the nearest pyproject.toml with
    a ``[tool.archspec]`` table, walking up; empty defaults when there is none."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.exists():
            config = read_config(candidate)
            if config is not None:
                return config
    return Config()


def read_config(path: Path) -> Config | None:
    """The ``[tool.archspec]`` table of ``path``, validated; None when the file has none.

    Raises a SpecError: E100 (not a regular file, unreadable), E113 (over 1 MiB), E174 (not UTF-8,
    not TOML, nested too deeply, a malformed table), E173 (a selector that selects nothing), E170
    (an unknown target name), each at ``path:line:col``.
    """
    import tomllib

    from archspec.spec.source import read_file

    file = str(path)
    data = read_file(path, what="pyproject.toml")  # refuses FIFOs and devices, bounded
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col_of_byte(data, exc.start)
        raise _e174(f"{path.name} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                    Span(file, line, col), expected="a UTF-8 pyproject.toml (TOML is UTF-8)",
                    fix="save the file as UTF-8") from None
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        span = Span(file, int(found[1]), int(found[2])) if found else _end_of(file, text)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise _e174(f"{path.name} is not valid TOML: {reason}", span, expected="valid TOML",
                    fix="check the syntax at this position") from None
    except RecursionError:
        raise _e174(f"{path.name}: arrays or tables nested too deeply to read", Span(file, 1, 1),
                    expected=f"at most {MAX_CONFIG_NESTING} levels of nesting",
                    fix="flatten the nested arrays or inline tables") from None
    tool = parsed.get("tool")
    if tool is None or (isinstance(tool, dict) and "archspec" not in tool):
        return None
    source = toml_source(file, text, parsed)
    if not isinstance(tool, dict):
        raise SpecError([_wrong_kind(source, ("tool",), tool)])
    table = tool["archspec"]
    if not isinstance(table, dict):
        raise SpecError([_wrong_kind(source, TABLE, table)])
    deep = _too_deep(table, TABLE)
    if deep is not None:
        named = tuple(p for p in deep if isinstance(p, str))  # the key, without 50 list indices
        raise _e174(f"`{_dotted(named)}` nests more than {MAX_CONFIG_NESTING} levels deep",
                    source.span_of(deep), expected=f"at most {MAX_CONFIG_NESTING} levels of nesting",
                    fix="rule options are numbers, strings and short lists")
    try:
        model = ConfigTable.model_validate(table)
    except ValidationError as exc:
        from archspec.spec.errors import translate
        from archspec.spec.located import Located

        problems = translate(exc, Located.at(table, TABLE), source, prefix=TABLE,
                             allowed=lambda p, d: list(KEYS) if not p else [])
        raise SpecError([replace(d, code="E174", block=None) for d in problems]) from None
    _check_names(model, source)
    target = model.target
    if target is not None and is_target_path(target):
        target = str((path.parent / target).resolve())
    return Config(path=path, select=tuple(model.select) if model.select is not None else None,
                  ignore=tuple(model.ignore), target=target, rules=dict(model.rules),
                  source=source)


def _check_names(model: ConfigTable, source: Source) -> None:
    """E173 for each selector that selects nothing, E170 for an unknown target name."""
    from archspec.rules.targets import list_targets, suggestion, unknown_selector

    problems: list[Diagnostic] = []
    for key in ("select", "ignore"):
        for i, selector in enumerate(getattr(model, key) or ()):
            bad = unknown_selector(selector)
            if bad:
                problems.append(error(
                    "E173", f"`tool.archspec.{key}[{i}]`: {bad}", source.span_of((*TABLE, key, i)),
                    key_path=(*TABLE, key, i),
                    expected="ALL, a code (G1), a prefix (G, S1) or a rule name"))
    names = list_targets()
    if model.target is not None and not is_target_path(model.target) and names \
            and model.target not in names:
        problems.append(error(
            "E170", f"`tool.archspec.target`: no target named `{show_text(model.target)}`",
            source.span_of((*TABLE, "target")), key_path=(*TABLE, "target"),
            expected=", ".join(names),
            fix=suggestion(model.target, names) or "give the path of a target file"))
    if problems:
        raise SpecError(problems)


def _e174(message: str, span: Span, **kw: Any) -> SpecError:
    return SpecError([error("E174", message, span, **kw)])


def _wrong_kind(source: Source, path: tuple[str, ...], value: Any) -> Diagnostic:
    from archspec.spec.errors import kind_of

    return error("E174", f"`{_dotted(path)}` must be a table, got {show_value(value)} "
                 f"({kind_of(value)}), so `[tool.archspec]` cannot be read",
                 source.span_of(path), key_path=path, expected="a table",
                 fix=f"write `[{_dotted(path)}]` as a table header with the settings below it")


def _dotted(path: tuple[str | int, ...]) -> str:
    return format_key_path(path)


def _too_deep(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path of the first value nested more than MAX_CONFIG_NESTING below ``path``, else None."""
    stack = [(value, path, 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_CONFIG_NESTING:
            return where
        if isinstance(node, dict):
            stack.extend((v, (*where, k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*where, i), depth + 1) for i, v in enumerate(node))
    return None


def _end_of(file: str, text: str) -> Span:
    """The position just after the last character (where an unclosed array ends the file)."""
    lines = text.split("\n")
    return Span(file, len(lines), len(lines[-1]) + 1)


def _line_col_of_byte(data: bytes, index: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, index) + 1
    start = data.rfind(b"\n", 0, index) + 1
    return line, len(data[start:index].decode("utf-8", "replace")) + 1
