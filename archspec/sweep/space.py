"""The search-space file of a sweep: read with locations, validated, every problem located.

A space file (docs/sweep-space.md) names a base spec and variant and, under ``space:``, the axes
to sweep: dotted paths into the base network (:mod:`archspec.sweep.paths`) mapped to a list of
choices, a range ``{min, max, step}`` or a tie ``{tie: AXIS, times, plus}`` (derived from
another axis, never sampled); ``skip:`` lists conditions (:mod:`archspec.sweep.skip`) whose
combinations are not candidates. It is read by the spec loader (:mod:`archspec.spec.source`:
every value with its ``file:line:col``), validated by strict pydantic models
(:mod:`archspec.sweep.space_file`), and every value of
every axis is checked against the type of the field its path names before anything is sampled.
All problems are raised at once as one :class:`~archspec.diagnostics.SpecError`: the loader's
codes, then E200 (not a space file), E201 (a bad key or value), E202 (a path the base does not
have), E203 (a value the field cannot take), E204 (a bad tie), E205 (a bad skip condition), E206
(an axis of more than :data:`MAX_VALUES` values); the base spec's own errors are its own.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from pydantic import TypeAdapter, ValidationError

from archspec.diagnostics import Diagnostic, Span, SpecError, did_you_mean, error, show_value
from archspec.spec.located import Located
from archspec.sweep.paths import PathProblem, Target, targets
from archspec.sweep.skip import NUMBER, Skip, SkipProblem, compile_skip, kind_of
from archspec.sweep.space_file import (
    AXIS,
    FORMAT_VERSION,
    HEAD,
    RangeAxis,
    TieAxis,
    allowed,
    allowed_in_axis,
    space_schema,
)

if TYPE_CHECKING:
    from archspec.spec.source import Source
    from archspec.sweep.evaluate import Setup

__all__ = ["MAX_VALUES", "Axis", "Space", "load_space", "space_schema"]

#: the most values one axis may have (a range of ten million steps is a typo)
MAX_VALUES = 10_000_000
#: a range of at most this many values keeps them in a list once computed
CACHED_STEPS = 100_000

NOT_A_SPACE, BAD_VALUE, NO_PATH, BAD_FIELD_VALUE, BAD_TIE, BAD_SKIP, TOO_LARGE = (
    "E200", "E201", "E202", "E203", "E204", "E205", "E206")


# ------------------------------------------------------------------------------ the result


class Steps(Sequence[Any]):
    """A range axis's values, computed on demand (a range may have millions of steps)."""

    def __init__(self, start: float, step: float, length: int, integer: bool):
        self.start, self.step, self.length, self.integer = start, step, length, integer
        self._cache: list[Any] | None = None

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.length))]
        if self._cache is not None:
            return self._cache[i]
        if self.length <= CACHED_STEPS and i >= 0:  # a small range: its values computed once
            self._cache = [self._at(j) for j in range(self.length)]
            return self._cache[i]
        return self._at(i)

    def _at(self, i: int) -> Any:
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(i)
        if self.integer:
            return int(self.start) + i * int(self.step)
        return tidy(self.start + i * self.step)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self.length))

    def __repr__(self) -> str:
        return f"Steps({self.start!r}, {self.step!r}, {self.length:,})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Steps) and (self.start, self.step, self.length, self.integer) == (
            other.start, other.step, other.length, other.integer)

    def __hash__(self) -> int:
        return hash((self.start, self.step, self.length, self.integer))


def tidy(x: float) -> float:
    """A float without the binary noise of its arithmetic (0.1 · 3 is 0.3): 12 significant
    digits, far finer than any spec value."""
    return float(f"{x:.12g}")


@dataclass(frozen=True)
class Axis:
    """One axis: its path as written, its kind, and its values (none for a tie, whose value is
    ``tie``'s value × ``times`` + ``plus``)."""

    path: str
    kind: Literal["choices", "range", "tie"]
    values: Sequence[Any] = ()
    tie: str | None = None
    times: int | float | None = None
    plus: int | float | None = None

    def derive(self, value: Any) -> Any:
        """A tied axis's value from its target's."""
        if self.times is None and self.plus is None:
            return value
        out = value * (1 if self.times is None else self.times) + (
            0 if self.plus is None else self.plus)
        return tidy(out) if isinstance(out, float) else out


@dataclass(frozen=True)
class Space:
    """A validated space: its file, the base spec (absolute path) and variant, the axes in file
    order, the tied axes in the order to derive them, and the skip conditions."""

    file: str
    base: str
    variant: str | None
    axes: tuple[Axis, ...]
    skips: tuple[Skip, ...] = ()
    #: where ``space:`` is written (a space too large to enumerate is reported there)
    span: Span = field(default_factory=lambda: Span("<space>", 1, 1))
    ties: tuple[Axis, ...] = ()

    @cached_property
    def sampled(self) -> tuple[Axis, ...]:
        """The axes a sampler chooses values for (every axis but the tied ones), in file order."""
        return tuple(a for a in self.axes if a.kind != "tie")

    @cached_property
    def paths(self) -> tuple[str, ...]:
        """Every axis's path, in file order (a row's axis columns)."""
        return tuple(a.path for a in self.axes)

    @cached_property
    def _sampled_paths(self) -> tuple[str, ...]:
        return tuple(a.path for a in self.sampled)

    def size(self) -> int:
        """The number of combinations of the sampled axes, before skips (exact, may be huge)."""
        return math.prod(len(a.values) for a in self.sampled)

    def assign(self, chosen: Sequence[Any]) -> dict[str, Any]:
        """Every axis's value by path, from one value per sampled axis (in order)."""
        values = dict(zip(self._sampled_paths, chosen, strict=True))
        for tie in self.ties:
            values[tie.path] = tie.derive(values[str(tie.tie)])
        return values

    def combine(self, chosen: Sequence[Any]) -> tuple[tuple[str, Any], ...]:
        """Every axis's value, in file order (a candidate's values), from one value per sampled
        axis (in order)."""
        values = self.assign(chosen)
        return tuple((p, values[p]) for p in self.paths)

    def skipped(self, values: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> bool:
        """Whether a combination (every axis's value, by path) is skipped."""
        if not self.skips:
            return False
        by_path = values if isinstance(values, Mapping) else dict(values)
        return any(s(by_path) for s in self.skips)

    def setup(self, device: str | None = None, select: Sequence[str] | None = None,
              ignore: Sequence[str] | None = None) -> Setup:
        """What a worker needs to evaluate this space's candidates."""
        from archspec.sweep.evaluate import Setup

        return Setup(base=self.base, variant=self.variant, axes=self.paths, device=device,
                     select=tuple(select) if select is not None else None,
                     ignore=tuple(ignore) if ignore is not None else None)


# ------------------------------------------------------------------------------ loading


def load_space(path: str | os.PathLike[str]) -> Space:
    """Read and validate a space file; SpecError with every problem, located."""
    from archspec.spec.source import read_source

    file = os.fsdecode(path)
    source = read_source(path, what="sweep space file")
    _check_header(source)
    problems: list[Diagnostic] = []
    data = source.data
    _validated(HEAD, data, (), source, problems)
    specs: dict[str, Any] = {}
    raw_axes = data["space"] if isinstance(data.get("space"), dict) else {}
    written = set(raw_axes)
    for axis_path, raw in raw_axes.items():  # each axis alone: one hides no other's problem
        spec = _validated(AXIS, raw, ("space", axis_path), source, problems)
        if spec is not None:
            specs[axis_path] = spec
    base_name, variant_name = data.get("base"), data.get("variant")
    if any(d.key_path[:1] in (("base",), ("variant",)) for d in problems) or \
            not isinstance(base_name, str):
        raise SpecError(problems)  # no base to check the axes against: reported above
    try:
        base, variant, network = _base(base_name, variant_name, source, file)
    except SpecError as exc:
        raise SpecError([*problems, *exc.diagnostics]) from None
    axes: list[Axis] = []
    found_targets: dict[str, list[Target]] = {}
    for axis_path, spec in specs.items():
        try:
            found_targets[axis_path] = targets(axis_path, network)
        except PathProblem as bad:
            problems.append(error(NO_PATH, bad.message, source.key_span_of(("space", axis_path)),
                                  key_path=("space", axis_path), expected=bad.expected,
                                  fix=bad.fix))
        axis = _axis(axis_path, spec, source, problems)
        if axis is not None:
            axes.append(axis)
    ties = _ties(axes, written, source, problems)
    for axis in axes:
        if axis.path in found_targets and (axis.kind != "tie" or axis in ties):
            problems.extend(_check_values(axis, axes, found_targets[axis.path], source))
    if axes and not any(a.kind != "tie" for a in axes):
        problems.append(error(BAD_VALUE, "every axis is tied: nothing to sample",
                              source.key_span_of(("space",)), key_path=("space",),
                              fix="give at least one axis choices or a range"))
    texts = data.get("skip")
    skips = _skips([t if isinstance(t, str) else None for t in texts]  # others: E201 above
                   if isinstance(texts, list) else [], axes, ties, written, source, problems)
    if problems:
        raise SpecError(problems)
    return Space(file, base, variant, tuple(axes), tuple(skips),
                 source.key_span_of(("space",)), tuple(ties))


def _validated(adapter: TypeAdapter[Any], data: Any, at: tuple[str, ...], source: Source,
               problems: list[Diagnostic]) -> Any:
    """``data`` (found at ``at``) validated, or None and its problems (E201) added."""
    from archspec.spec.errors import translate

    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        found = translate(exc, Located.at(data, at), source, prefix=at, tagged=False,
                          allowed=allowed_in_axis if at else allowed)
        problems.extend(_axis_shape(replace(d, code=BAD_VALUE, block=None)) for d in found)
        return None


def _check_header(source: Source) -> None:
    """E200 unless ``sweep: 1``: checked first, so a spec passed as the space gets one error."""
    data = source.data
    version = data.get("sweep")
    if "sweep" not in data:
        hint = (" (it looks like a spec: write a space file whose `base:` names it)"
                if "archspec" in data else "")
        raise SpecError([error(NOT_A_SPACE, f"not a sweep space file: no `sweep:` key{hint}",
                               source.span_of(()), expected="sweep: 1",
                               fix="start the file with `sweep: 1` (docs/sweep-space.md)")])
    if type(version) is not int or version != FORMAT_VERSION:
        raise SpecError([error(NOT_A_SPACE, f"space file of version {show_value(version)}; this "
                               f"archspec reads version {FORMAT_VERSION}",
                               source.span_of(("sweep",)), key_path=("sweep",),
                               expected=f"sweep: {FORMAT_VERSION}")])


def _axis_shape(d: Diagnostic) -> Diagnostic:
    """An axis written as neither choices, a range nor a tie: say what an axis can be."""
    path = tuple(d.key_path)
    if len(path) == 2 and path[0] == "space" and d.message.count("expected a list"):
        return replace(d, expected="a list of choices, {min, max, step} or {tie: AXIS}",
                       fix="write `[a, b, c]`, `{min: 2, max: 6, step: 2}` or "
                           "`{tie: stages.s3.block.exp, times: 2}`")
    return d


def _base(base: str, variant: str | None, source: Source, file: str
          ) -> tuple[str, str | None, dict[str, Any]]:
    """The base spec's absolute path, the variant, and the variant's network data."""
    from archspec.spec import zoo
    from archspec.spec.document import load

    at_base = source.span_of(("base",))
    here = Path(file).parent / base
    if os.path.lexists(here):
        path = os.path.abspath(here)
    else:
        network = zoo.lookup(base)
        if network is None:
            near = did_you_mean(base, list(zoo.networks())) \
                if zoo.looks_like_a_name(base) else None
            raise SpecError([error(
                BAD_VALUE, f"`base`: {show_value(base)} is neither a file (relative to "
                "the space file) nor a shipped network's name", at_base, key_path=("base",),
                expected="a spec path relative to the space file, or a network name",
                fix=f"did you mean `{near}`?" if near else
                "check the path; `archspec list --networks` shows every name")])
        path = str(network.spec)
        if variant is not None and variant != network.variant:
            raise SpecError([error(
                "E131", f"`variant`: {base} is variant {network.variant!r} of "
                f"{network.spec.name}; it cannot be given variant {variant!r}",
                source.span_of(("variant",)), key_path=("variant",),
                expected=f"no variant, or {network.variant!r}",
                fix=f"write `base:` as the path of {network.spec.name} to choose a variant")])
        variant = network.variant
    document = load(path)  # the base's own errors, located in the base
    if variant is None:
        variant = document.default_variant
    elif variant not in document.variants:
        near = did_you_mean(variant, document.variants)
        raise SpecError([error(
            "E131", f"`variant`: no variant {variant!r} in {base}",
            source.span_of(("variant",)), key_path=("variant",),
            expected=", ".join(document.variants) or "no variants: remove `variant:`",
            fix=f"did you mean `{near}`?" if near else None)])
    return path, variant, document.located(variant).data


def _axis(path: str, spec: Any, source: Source, problems: list[Diagnostic]) -> Axis | None:
    at = ("space", path)
    if isinstance(spec, TieAxis):
        return Axis(path, "tie", (), spec.tie, spec.times, spec.plus)
    if isinstance(spec, RangeAxis):
        return _range(path, spec, source, problems)
    seen: dict[str, int] = {}
    for i, value in enumerate(spec):
        key = _identity(value)
        if key in seen:
            problems.append(error(BAD_VALUE, f"`{path}`: choice {show_value(value)} is already "
                                  f"given (item {seen[key] + 1})", source.span_of((*at, i)),
                                  key_path=(*at, i), fix="remove the repeat"))
        seen.setdefault(key, i)
    if len(spec) > MAX_VALUES:  # pragma: no cover - the loader's node limit comes first
        problems.append(error(TOO_LARGE, f"`{path}`: {len(spec):,} choices",
                              source.span_of(at), key_path=at))
    return Axis(path, "choices", tuple(spec))


def _identity(value: Any) -> str:
    """Equal choices have equal identities (3 and 3.0 are one choice)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return json.dumps(value, sort_keys=True)


def _range(path: str, spec: RangeAxis, source: Source, problems: list[Diagnostic]
           ) -> Axis | None:
    at = ("space", path)
    integer = all(type(v) is int for v in (spec.min, spec.max, spec.step) if v is not None)
    if spec.step is None and not integer:
        problems.append(error(BAD_VALUE, f"`{path}`: a range of floats needs a `step`",
                              source.span_of(at), key_path=at,
                              fix="add `step:`, e.g. `step: 0.5`"))
        return None
    step = 1 if spec.step is None else spec.step
    if step <= 0:
        problems.append(error(BAD_VALUE, f"`{path}.step`: {show_value(step)} is not positive",
                              source.span_of((*at, "step")), key_path=(*at, "step"),
                              expected="a step > 0"))
        return None
    if spec.max < spec.min:
        problems.append(error(BAD_VALUE, f"`{path}`: `max` {show_value(spec.max)} is below "
                              f"`min` {show_value(spec.min)}", source.span_of((*at, "max")),
                              key_path=(*at, "max"), fix="swap them"))
        return None
    if integer:
        count = (int(spec.max) - int(spec.min)) // int(step) + 1
    else:
        span = (spec.max - spec.min) / step
        count = math.floor(span + 1e-9) + 1 if math.isfinite(span) else MAX_VALUES + 1
    if count > MAX_VALUES:
        problems.append(error(TOO_LARGE, f"`{path}`: a range of {count:,} values; at most "
                              f"{MAX_VALUES:,}", source.span_of(at), key_path=at,
                              fix="raise `step` or narrow `min`..`max`"))
        return None
    return Axis(path, "range", Steps(spec.min, step, count, integer))


def _ties(axes: list[Axis], written: set[str], source: Source, problems: list[Diagnostic]
          ) -> list[Axis]:
    """The tied axes whose chain ends at a sampled axis, in the order to derive them; a tie
    that names no axis, a cycle, or arithmetic on an axis of non-numbers is E204 (a tie to an
    axis ``written`` but in error is left out, its error reported there)."""
    by_path = {a.path: a for a in axes}
    order: list[Axis] = []
    bad: set[str] = set()
    for axis in axes:
        if axis.kind != "tie":
            continue
        at = ("space", axis.path, "tie")
        assert axis.tie is not None
        if axis.tie not in by_path and axis.tie in written:
            bad.add(axis.path)
            continue
        if axis.tie not in by_path:
            others = [p for p in by_path if p != axis.path]
            near = did_you_mean(axis.tie, others)
            problems.append(error(BAD_TIE, f"`{axis.path}`: ties to {show_value(axis.tie)}, "
                                  "which is not an axis of this space", source.span_of(at),
                                  key_path=at, expected=", ".join(others) or None,
                                  fix=f"did you mean `{near}`?" if near else
                                  "add that axis to `space:`"))
            bad.add(axis.path)
            continue
        chain = [axis.path]
        here = by_path[axis.tie]
        while here.kind == "tie" and here.path not in chain and here.tie in by_path:
            chain.append(here.path)
            assert here.tie is not None
            here = by_path[here.tie]
        if here.path in chain:
            problems.append(error(BAD_TIE, f"`{axis.path}`: ties form a cycle ("
                                  + " → ".join([*chain, here.path]) + ")", source.span_of(at),
                                  key_path=at, fix="tie one of them to a sampled axis"))
            bad.add(axis.path)
    # derive in dependency order: a tie after the tie it follows
    pending = [a for a in axes if a.kind == "tie" and a.path not in bad]
    done = {a.path for a in axes if a.kind != "tie"}
    while pending:
        ready = [a for a in pending if a.tie in done]
        if not ready:  # the rest follow a bad tie: already reported there
            break
        for a in ready:
            order.append(a)
            done.add(a.path)
        pending = [a for a in pending if a.path not in done]
    for axis in order:
        if axis.times is None and axis.plus is None:
            continue
        root = _root(axis, by_path)
        if kind_of(_check_points(root)) != NUMBER:
            problems.append(error(BAD_TIE, f"`{axis.path}`: `times`/`plus` need numbers, and "
                                  f"`{root.path}` has values that are not",
                                  source.span_of(("space", axis.path, "tie")),
                                  key_path=("space", axis.path, "tie"),
                                  fix="tie without `times`/`plus`, or tie to a numeric axis"))
    return order


def _root(axis: Axis, by_path: Mapping[str, Axis]) -> Axis:
    while axis.kind == "tie":
        assert axis.tie is not None
        axis = by_path[axis.tie]
    return axis


def _check_points(axis: Axis) -> list[Any]:
    """The values that stand for an axis in checks: every choice, a range's ends (a field's
    bounds are an interval, so the ends decide)."""
    if axis.kind == "range":
        return [axis.values[0], axis.values[-1]]
    return list(axis.values)


def _check_values(axis: Axis, axes: Sequence[Axis], found: Sequence[Target], source: Source
                  ) -> list[Diagnostic]:
    """E203 for each value of ``axis`` its fields refuse, located at the value (a range: at
    ``min``/``max``; a tie: at ``tie``, its values derived from its chain's, the first refused
    one reported)."""
    at = ("space", axis.path)
    checks: list[tuple[Any, tuple[str | int, ...], tuple[str | int, ...], str]] = []
    if axis.kind == "tie":
        by_path = {a.path: a for a in axes}
        chain = [axis]
        while chain[-1].kind == "tie":
            assert chain[-1].tie is not None
            chain.append(by_path[chain[-1].tie])
        for value in _check_points(chain[-1]):
            derived = value
            try:
                for link in reversed(chain[:-1]):
                    derived = link.derive(derived)
            except TypeError:  # times/plus on non-numbers: reported by _ties
                return []
            checks.append((derived, (*at, "tie"), (axis.path,),
                           f" (derived from `{chain[-1].path}` = {show_value(value)})"))
    elif axis.kind == "range":
        ends = _check_points(axis)
        checks = [(ends[0], (*at, "min"), (axis.path, "min"), ""),
                  (ends[1], (*at, "max"), (axis.path, "max"), "")]
    else:
        checks = [(v, (*at, i), (axis.path, i), "") for i, v in enumerate(axis.values)]
    problems: list[Diagnostic] = []
    distinct = list({repr(t.kind): t for t in reversed(found)}.values())[::-1]  # one per type
    for target in distinct:
        adapter: TypeAdapter[Any] = TypeAdapter(target.kind)
        note = f" (for {target.where})" if len(distinct) > 1 else ""
        for value, where, shown, derived in checks:
            refused = _refused(adapter, value, where, shown, source)
            problems.extend(replace(d, message=d.message + derived + note) for d in refused)
            if refused and axis.kind == "tie":
                break
    return problems


def _refused(adapter: TypeAdapter[Any], value: Any, where: tuple[str | int, ...],
             shown: tuple[str | int, ...], source: Source) -> list[Diagnostic]:
    """E203 for ``value`` if the field's type refuses it (worded by the spec's translator)."""
    from archspec.spec.errors import translate

    try:
        adapter.validate_python(value, strict=True)
    except ValidationError as exc:
        found = translate(exc, Located.at(value, where), source, prefix=shown, tagged=False)
        return [replace(d, code=BAD_FIELD_VALUE, block=None) for d in found]
    return []


def _skips(texts: Sequence[str | None], axes: Sequence[Axis], ties: Sequence[Axis],
           written: set[str], source: Source, problems: list[Diagnostic]) -> list[Skip]:
    """Each condition compiled, or E205 at its column where the text is on one line as written.
    A condition may name every axis but a ``stages.*`` one and a tie that is itself in error."""
    by_path = {a.path: a for a in axes}
    named = [a for a in axes if a.kind != "tie" or a in ties]
    kinds = {a.path: NUMBER if a.kind == "tie" and (a.times, a.plus) != (None, None) else
             kind_of(_check_points(_root(a, by_path)))
             for a in named if "*" not in a.path}
    skips = []
    for i, text in enumerate(texts):
        if text is None:
            continue
        try:
            skips.append(compile_skip(text, kinds))
        except SkipProblem as bad:
            if bad.unknown in written:  # an axis in error: reported at the axis
                continue
            span = source.span_of(("skip", i))
            line = source.line_text(span.line)
            offset = line.find(text, span.col - 1)
            if offset >= 0:
                span = Span(span.file, span.line, offset + 1 + bad.col)
            problems.append(error(BAD_SKIP, f"`skip[{i}]`: {bad.message}", span,
                                  key_path=("skip", i), fix=bad.fix))
    return skips
