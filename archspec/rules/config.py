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
applies; without one the defaults do. Command-line ``--select`` replaces ``select`` and
``--ignore`` adds to ``ignore``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archspec.diagnostics import Diagnostic, Span, SpecError, error

KEYS = ("select", "ignore", "target", "rules")


@dataclass(frozen=True)
class Config:
    """A project's lint settings; ``path`` is the pyproject.toml they came from (None: defaults)."""

    path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target: str | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)

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
        if candidate.is_file():
            config = read_config(candidate)
            if config is not None:
                return config
    return Config()


def read_config(path: Path) -> Config | None:
    """The ``[tool.archspec]`` table of ``path``, validated; None when the file has none."""
    import tomllib

    text = path.read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([error("E174", f"{path}: {exc}", Span(str(path), 1, 1))]) from None
    table = data.get("tool", {}).get("archspec")
    if table is None:
        return None
    problems: list[Diagnostic] = []

    def where(key: str) -> Span:
        return _key_span(path, text, key)

    for key in table:
        if key not in KEYS:
            import difflib

            near = difflib.get_close_matches(key, KEYS, n=1)
            problems.append(error("E174", f"[tool.archspec]: unknown key `{key}`", where(key),
                                  expected=", ".join(KEYS),
                                  fix=f"did you mean `{near[0]}`?" if near else None))
    select = table.get("select")
    ignore = table.get("ignore", [])
    target = table.get("target")
    rules = table.get("rules", {})
    for key, value in (("select", select), ("ignore", ignore)):
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            problems.append(error("E174", f"[tool.archspec]: `{key}` must be a list of strings",
                                  where(key), expected='["G", "S101", "unequal-channel-width"]'))
        elif value:
            from archspec.rules.targets import unknown_selector

            for selector in value:
                bad = unknown_selector(selector)
                if bad:
                    problems.append(error("E173", f"[tool.archspec] {key}: {bad}", where(key)))
    if target is not None and not isinstance(target, str):
        problems.append(error("E174", "[tool.archspec]: `target` must be a string",
                              where("target")))
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        problems.append(error("E174", "[tool.archspec]: `rules` must be a table of tables, "
                              "e.g. [tool.archspec.rules.G1]", where("rules")))
    if problems:
        raise SpecError(problems)
    if isinstance(target, str) and ("/" in target or target.endswith((".yaml", ".yml"))):
        target = str((path.parent / target).resolve())
    return Config(path=path, select=tuple(select) if select is not None else None,
                  ignore=tuple(ignore), target=target, rules=dict(rules))


def _key_span(path: Path, text: str, key: str) -> Span:
    """The line of ``key`` inside the [tool.archspec] tables (tomllib keeps no positions)."""
    section = False
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.startswith("[tool.archspec")
            if section and f".{key}" in stripped:
                return Span(str(path), i, 1)
            continue
        if section and re.match(rf"{re.escape(key)}\s*=", stripped):
            return Span(str(path), i, line.index(key) + 1)
    return Span(str(path), 1, 1)
