"""Targets: which rules run, with which thresholds, fusions and missing operators, per device.

A target is YAML data (``rules/<name>.yaml`` at the top of the repository, shipped in the wheel as
``archspec/data/rules``): a description, the rules it selects and ignores, the fusions its runtime
performs (G3 counts kernels and G4 memory access after them), and per-rule options validated
against each rule's ``Options`` model, so a typo in a target file is a located error. Options a
target does not set keep the rule's defaults (the numbers on its documentation page).

``archspec lint --target NAME|PATH``: a name is looked up among the shipped targets, anything with
a ``/`` or a ``.yaml`` suffix is read as a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archspec.blocks.base import ActName
from archspec.diagnostics import (
    UNKNOWN_SPAN,
    Diagnostic,
    SpecError,
    did_you_mean,
    error,
    show_text,
)

if TYPE_CHECKING:
    from archspec.rules.base import RuleOptions
    from archspec.spec.source import Source

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "rules"
DEFAULT_TARGET = "default"


class Fusion(BaseModel):
    """What the target's runtime fuses; a fused op costs no memory access and no kernel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    norm_into_conv: bool = Field(
        default=True, description="BatchNorm right after a conv or linear folds into its weights "
        "(every inference runtime does this; LayerNorm never folds).")
    act_into_conv: list[ActName] = Field(
        default_factory=list, description="Activations that run in the epilogue of the conv "
        "(or conv + folded norm) before them.")
    add_into_conv: bool = Field(
        default=False, description="A residual add runs in the epilogue of the conv producing one of "
        "its operands.")
    attention: bool = Field(
        default=False, description="q·kᵀ, scale, softmax and ·v run as one kernel that never writes "
        "the score matrix (SDPA / flash-style attention).")
    concat_shuffle: bool = Field(
        default=True, description="A channel shuffle after a concat runs in the same copy "
        "(ShuffleNet V2's merged concat + shuffle + split).")


class TargetFile(BaseModel):
    """The schema of a target file (``rules`` entries are validated per rule)."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    select: list[str] = Field(default_factory=lambda: ["ALL"])
    ignore: list[str] = Field(default_factory=list)
    fusion: Fusion = Field(default_factory=lambda: Fusion())
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """A validated target: selection, fusions and per-rule options (defaults where unset)."""

    name: str = DEFAULT_TARGET
    description: str = ""
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    fusion: Fusion = field(default_factory=lambda: Fusion())
    rules: dict[str, RuleOptions] = field(default_factory=dict)
    file: str | None = None

    def options(self, code: str) -> RuleOptions:
        from archspec.rules.registry import RULES

        found = self.rules.get(code)
        return found if found is not None else RULES[code].default_options()

    def with_options(self, overrides: dict[str, dict[str, Any]], where: str,
                     source: Source | None = None) -> Target:
        """This target with rule options overridden (from ``[tool.archspec.rules]``).

        ``source``: the pyproject.toml with positions (paths under ``tool.archspec``), so an
        unknown rule (E171) or a bad option (E172) is reported at its line and column.
        """
        from dataclasses import replace

        from archspec.rules.registry import RULES, by_name

        names = by_name()
        rules = dict(self.rules)
        problems: list[Diagnostic] = []
        for key, values in overrides.items():
            at = ("tool", "archspec", "rules", key)
            cls = RULES.get(key) or names.get(key)
            if cls is None:
                problems.append(error(
                    "E171", f"`tool.archspec.rules.{show_text(key)}`: unknown rule"
                    if source is not None else f"{where}: `rules.{show_text(key)}`: unknown rule",
                    source.key_span_of(at) if source is not None else UNKNOWN_SPAN,
                    key_path=at, expected="a rule code such as G1, S101, H101",
                    fix=suggestion(key, list(RULES)) or "see `archspec rule --list`"))
                continue
            merged = {**self.options(cls.code).model_dump(exclude_unset=True), **values}
            try:
                rules[cls.code] = cls.Options.model_validate(merged)
            except ValidationError as exc:
                problems.extend(_option_errors(exc, merged, at, cls, where, source))
        if problems:
            raise SpecError(problems)
        return replace(self, rules=rules)


def _option_errors(exc: ValidationError, merged: dict[str, Any], at: tuple[str, ...], cls: Any,
                   where: str, source: Source | None) -> list[Diagnostic]:
    """E172 for a rule's options that failed validation, located when ``source`` is given."""
    if source is None:
        return [error("E172", f"{where}: rules.{cls.code}."
                      f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
                for e in exc.errors(include_url=False)]
    from dataclasses import replace

    from archspec.spec.errors import translate
    from archspec.spec.located import Located

    allowed = list(cls.Options.model_fields)
    found = translate(exc, Located.at(merged, at), source, prefix=at,
                      allowed=lambda p, d: allowed if not p else [])
    return [replace(d, code="E172", block=None) for d in found]


def list_targets() -> list[str]:
    """Names of the shipped targets."""
    if not DATA_DIR.is_dir():
        return []
    return sorted(p.stem for p in DATA_DIR.glob("*.yaml"))


def is_target_path(text: str) -> bool:
    """Whether ``--target``/``target =`` names a file (a path or a .yaml name), not a shipped
    target."""
    return "/" in text or os.sep in text or text.endswith((".yaml", ".yml"))


def load_target(name_or_path: str | os.PathLike[str] | None = None) -> Target:
    """A shipped target by name, or a target file by path; raises a located SpecError."""
    if name_or_path is None:
        name_or_path = DEFAULT_TARGET
    text = os.fspath(name_or_path)
    if is_target_path(text):
        path = Path(text)
        name = path.stem
    else:
        path = DATA_DIR / f"{text}.yaml"
        name = text
        if not path.is_file():
            if text == DEFAULT_TARGET:  # no data directory (a bare source checkout): defaults
                return Target()
            raise SpecError([error(
                "E170", f"no target named `{show_text(text)}`", expected=", ".join(list_targets()),
                fix=suggestion(text, list_targets()) or "pass the path of a target file")])
    from archspec.spec.source import read_source

    return parse_target(read_source(path, what="target file"), name)


def parse_target(source: Source, name: str) -> Target:
    """Validate a parsed target file: the file's schema, then each rule's options."""
    from archspec.rules.registry import RULES, by_name
    from archspec.spec.errors import translate
    from archspec.spec.located import Located

    located = Located.at(source.data, ())
    try:
        parsed = TargetFile.model_validate(source.data)
    except ValidationError as exc:
        raise SpecError(translate(exc, located, source, allowed=_target_keys)) from None
    problems: list[Diagnostic] = []
    names = by_name()
    rules: dict[str, RuleOptions] = {}
    for key, values in parsed.rules.items():
        cls = RULES.get(key) or names.get(key)
        if cls is None:
            problems.append(error(
                "E171", f"`rules.{key}`: unknown rule", source.key_span_of(("rules", key)),
                expected="a rule code such as G1, S101, H101",
                fix=suggestion(key, list(RULES)) or "see `archspec rule --list`"))
            continue
        try:
            rules[cls.code] = cls.Options.model_validate(values)
        except ValidationError as exc:
            allowed = list(cls.Options.model_fields)
            problems.extend(translate(exc, located.sub(("rules", key)), source,
                                      prefix=("rules", key),
                                      allowed=lambda p, d, a=allowed: a if not p else []))
    for list_key in ("select", "ignore"):
        for i, selector in enumerate(getattr(parsed, list_key)):
            bad = unknown_selector(selector)
            if bad:
                problems.append(error("E173", f"`{list_key}[{i}]`: {bad}",
                                      source.span_of((list_key, i)),
                                      expected="ALL, a code (G1), a prefix (G, S1) or a rule name"))
    if problems:
        raise SpecError(problems)
    return Target(name=name, description=parsed.description, select=tuple(parsed.select),
                  ignore=tuple(parsed.ignore), fusion=parsed.fusion, rules=rules,
                  file=source.file)


def _target_keys(path: tuple[Any, ...], data: Any) -> list[str]:
    if not path:
        return list(TargetFile.model_fields)
    if path == ("fusion",):
        return list(Fusion.model_fields)
    return []


def suggestion(word: str, choices: list[str]) -> str | None:
    """``did you mean `x`?`` for a misspelt target, key or selector, or None."""
    near = did_you_mean(word, choices)
    return f"did you mean `{near}`?" if near else None


# ------------------------------------------------------------------------------ selection


def matches(selector: str, code: str) -> bool:
    """``ALL``, an exact code, a code prefix (``G``, ``S1``) or a rule name selects ``code``."""
    from archspec.rules.registry import RULES

    if selector == "ALL":
        return True
    if selector == RULES[code].name:
        return True
    return code.startswith(selector) and selector[:1].isupper()


def unknown_selector(selector: str) -> str | None:
    """Why ``selector`` selects nothing, or None when it selects some rule."""
    from archspec.rules.registry import RULES, by_name

    if selector == "ALL" or selector in by_name():
        return None
    if any(matches(selector, code) for code in RULES):
        return None
    near = suggestion(selector, [*RULES, *by_name()])
    return f"`{show_text(selector)}` selects no rule" + (f" ({near})" if near else "")


def selected(codes: list[str], select: list[str] | tuple[str, ...],
             ignore: list[str] | tuple[str, ...]) -> list[str]:
    return [c for c in codes if any(matches(s, c) for s in select)
            and not any(matches(s, c) for s in ignore)]
