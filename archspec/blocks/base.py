"""What every block family shares: its spec model base, its resolved form, and the registry.

A family lives in one file under ``archspec/blocks/`` and registers a :class:`Family`: the
pydantic model users write (``block: <tag>``), a ``resolve`` that turns the validated model into a
frozen, fully explicit resolved dataclass (every number decided, shapes known), and a ``trace``
that emits primitive ops (or, for a container, a ``trace_nested`` that traces its children
through the callback it is given). Torch modules live in ``archspec/nn/<tag>.py`` and read only
the resolved dataclass. Adding a family is its modules plus its tag in ``archspec.blocks.TAGS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from archspec.core.norm import DEFAULT_EPS, DEFAULT_MOMENTUM, NO_NORM, Norm
from archspec.core.shapes import make_divisible
from archspec.diagnostics import UNKNOWN_SPAN, Diagnostic, Span, show_figure

if TYPE_CHECKING:
    from archspec.graph.builder import GraphBuilder, Tensor

# --------------------------------------------------------------------------- vocabulary

ActName = Literal[
    "relu", "relu6", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu", "gelu_tanh", "none"
]
NormType = Literal["bn", "ln", "none"]
ScalingPolicy = Literal["scaled", "fixed", "at_least"]

#: A number of channels (``out``, ``mid``, ``dim_head``, ``groups``): the bound of a stage's ``out``
#: (docs/limits.md), so no width is absurd before resolution multiplies it.
MAX_WIDTH = 1_000_000
Width = Annotated[int, Field(ge=1, le=MAX_WIDTH)]
#: Every other integer of a block (``k``, ``stride``, ``dilation``, ``window``, ``padding``, the
#: width divisor) has the same bound: no 5,000-digit integer reaches the arithmetic (float
#: overflow) or a message (Python refuses int→str beyond 4,300 digits).
PosInt = Annotated[int, Field(ge=1, le=MAX_WIDTH)]
NonNegInt = Annotated[int, Field(ge=0, le=MAX_WIDTH)]
#: A conv's channel groups: a number, which is absolute (the width multiplier does not scale it),
#: or ``depthwise``: one group per input channel, resolved to the input width after scaling.
Groups = Width | Literal["depthwise"]


def _exact_int(value: Any) -> Any:
    if value is not None and type(value) is not int:  # bool is an int subclass; 2.0 == 2
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


#: Put on an integer ``Literal`` (``Annotated[Literal[1, 2], EXACT_INT]``): pydantic compares a
#: literal by equality even in strict mode, so ``true`` would pass for 1 and ``2.0`` for 2. With it
#: a wrong type is E121 like every other integer field, and a wrong integer stays E122.
EXACT_INT = BeforeValidator(_exact_int)

class SpecModel(BaseModel):
    """Base for every model users write: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NormSpec(SpecModel):
    """A normalisation layer: ``bn`` (BatchNorm2d), ``ln`` (LayerNorm over channels) or ``none``."""

    type: NormType
    eps: Annotated[float, Field(gt=0, lt=1)] | None = None
    momentum: Annotated[float, Field(gt=0, le=1)] | None = None


NormField = NormType | NormSpec


class BlockModel(SpecModel):
    """Fields every block accepts."""

    noqa: dict[str, str] | None = Field(
        default=None,
        description="Lint suppressions next to what they excuse: {CODE: reason}.",
    )
    scaling: ScalingPolicy = Field(
        default="scaled",
        description=(
            "How the network width multiplier applies to this block's widths: `scaled` "
            "(make_divisible(w·mult)), `fixed` (as written), `at_least` (scaled with max(1, mult), "
            "as MobileNetV2's last conv)."
        ),
    )


# --------------------------------------------------------------------------- resolved forms


def resolve_norm(value: NormType | NormSpec | None) -> Norm:
    """Fill a written norm with PyTorch's defaults (documented in docs/spec.md)."""
    if value is None or value == "none":
        return NO_NORM
    if isinstance(value, str):
        return Norm(value, DEFAULT_EPS[value], DEFAULT_MOMENTUM)
    if value.type == "none":
        return NO_NORM
    eps = value.eps if value.eps is not None else DEFAULT_EPS[value.type]
    momentum = value.momentum if value.momentum is not None else DEFAULT_MOMENTUM
    return Norm(value.type, eps, momentum)


@dataclass(frozen=True)
class Rounding:
    """A number the user wrote that resolution changed (width multiplier, make_divisible, mid)."""

    field: str
    written: float
    value: int
    rule: str
    span: Span = UNKNOWN_SPAN
    exact: float | None = None  # the unrounded value, where a formula produced it (w·α)
    #: what a variant override contributed: ``value`` (it wrote the number), ``width`` (its
    #: `width:` scaled a number the base wrote), None (the base wrote both)
    by_variant: Literal["value", "width"] | None = None
    #: the width multiplier a scaled width was multiplied by (``exact = written × factor``);
    #: None for other roundings. Rules read it instead of parsing ``rule``, which is for people.
    factor: float | None = None
    #: the field that takes the resolved number as written (an ``se``'s ``mid`` for its
    #: ``ratio``, an mmb's ``mid`` for its ``exp``), for a fix; None where the family has none
    instead: str | None = None


@dataclass(frozen=True)
class Origin:
    """Where a resolved block came from: section, stage, index, path and YAML spans."""

    section: Literal["stem", "stages", "head"]
    path: str  # e.g. "stages.s3[2]", "stem[0]", "head[2]", "stages.s1[0].branches[1][0]"
    index: int  # position inside its section / stage / branch
    stage: str | None = None
    span: Span = UNKNOWN_SPAN
    field_spans: Mapping[str, Span] = field(default_factory=dict)
    noqa_spans: Mapping[str, Span] = field(default_factory=dict)
    #: fields whose value a variant override wrote, and ``width`` if the variant's `width:` did
    by_variant: frozenset[str] = frozenset()

    def span_of(self, name: str) -> Span:
        """Span of the YAML node that set ``name`` for this block, else the block's own span."""
        return self.field_spans.get(name, self.span)


@dataclass(frozen=True, kw_only=True)
class ResolvedBlock:
    """A block with every number explicit. Shapes are per image: (C, H, W) or (C,) after a linear."""

    family: ClassVar[str] = ""
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    origin: Origin
    noqa: Mapping[str, str] = field(default_factory=dict)
    roundings: tuple[Rounding, ...] = ()

    @property
    def in_ch(self) -> int:
        return self.in_shape[0]

    @property
    def out_ch(self) -> int:
        return self.out_shape[0]

    @property
    def in_hw(self) -> tuple[int, int]:
        assert len(self.in_shape) == 3, f"{self.path} has no spatial input"
        return (self.in_shape[1], self.in_shape[2])

    @property
    def out_hw(self) -> tuple[int, int]:
        assert len(self.out_shape) == 3, f"{self.path} has no spatial output"
        return (self.out_shape[1], self.out_shape[2])

    @property
    def path(self) -> str:
        return self.origin.path

    def children(self) -> tuple[ResolvedBlock, ...]:
        """Nested blocks (parallel branches); leaf families have none."""
        return ()


# --------------------------------------------------------------------------- resolution context


@dataclass
class ResolveContext:
    """What a family's ``resolve`` needs besides its own model: input shape, width policy, origin.

    ``diagnostics`` collects spec errors (E14x: unbuildable) so every problem is reported at once;
    ``roundings`` collects every change to a number the user wrote.
    """

    in_shape: tuple[int, ...]
    origin: Origin
    width_mult: float | None = None  # None: the spec has no `width:`, widths stay as written
    width_divisor: int = 8
    is_classifier: bool = False
    num_classes: int | None = None
    drop_path: float = 0.0
    variant: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    roundings: list[Rounding] = field(default_factory=list)
    resolve_child: Callable[..., Any] | None = None  # used by container families (parallel)

    @property
    def in_ch(self) -> int:
        return self.in_shape[0]

    @property
    def in_hw(self) -> tuple[int, int] | None:
        return (self.in_shape[1], self.in_shape[2]) if len(self.in_shape) == 3 else None

    def width(self, name: str, written: int, scaling: str) -> int:
        """Apply the network's ``width: {mult, divisor}`` to a written channel count.

        Any spec with ``width:`` rounds every scaled width to make_divisible(w·α, divisor), as
        torchvision does even at α = 1; a rounding is recorded whenever the result differs from
        the written width or from w·α.
        """
        if scaling == "fixed" or self.width_mult is None:
            return written
        mult = max(1.0, self.width_mult) if scaling == "at_least" else self.width_mult
        value = make_divisible(written * mult, self.width_divisor)
        self.record(name, written, value,
                    f"make_divisible({written}×{show_figure(mult)}, {self.width_divisor})",
                    exact=written * mult, scaled=True, factor=mult)
        return value

    def groups_note(self, groups: int, width: int, what: str, *, written: int | None = None
                    ) -> tuple[str, str | None]:
        """E141's explanation under ``width:``: the multiplier scaled ``width`` but not ``groups``.

        Returns (note for the message, fix or None): the fix proposes ``groups: depthwise`` when
        ``groups`` is ``width`` before scaling, or equals the ``written`` width of the block.
        """
        if self.width_mult is None:
            return "", None
        note = (f"; `groups` is absolute: `width:` (mult {show_figure(self.width_mult)}, divisor "
                f"{self.width_divisor}) scales {what} but not groups")
        unscaled = groups == written or \
            make_divisible(groups * self.width_mult, self.width_divisor) == width
        return note, ("write `groups: depthwise` (one group per channel, follows the multiplier)"
                      if unscaled else None)

    def record(self, name: str, written: float, value: int, rule: str, *,
               exact: float | None = None, scaled: bool = False,
               factor: float | None = None, instead: str | None = None) -> None:
        if written != value or (exact is not None and exact != value):
            wrote = self.origin.by_variant
            by: Literal["value", "width"] | None = (
                "value" if name in wrote else "width" if scaled and "width" in wrote else None)
            self.roundings.append(Rounding(name, written, value, rule, self.origin.span_of(name),
                                           exact, by_variant=by, factor=factor,
                                           instead=instead))

    def fail(
        self, code: str, message: str, field_name: str | None = None, *, expected: str | None = None,
        fix: str | None = None,
    ) -> None:
        from archspec.diagnostics import error

        span = self.origin.span_of(field_name) if field_name else self.origin.span
        self.diagnostics.append(
            error(code, f"{self.origin.path}: {message}", span, expected=expected, fix=fix,
                  variant=self.variant, block=self.origin.path,
                  key_path=(field_name,) if field_name else ())
        )

    def chain(self, key: tuple[str | int, ...], n: int) -> tuple[ResolvedBlock, ...] | None:
        """The ``n`` nested blocks at ``key`` (a container's list: ``("blocks",)``,
        ``("branches", i)``), each resolved on the previous one's output through
        ``resolve_child``; None when one fails (its error is reported)."""
        assert self.resolve_child is not None
        shape, blocks = self.in_shape, []
        for j in range(n):
            child = self.resolve_child((*key, j), shape)
            if child is None:
                return None
            blocks.append(child)
            shape = child.out_shape
        return tuple(blocks)

    def spatial(self, field_name: str = "block") -> tuple[int, int] | None:
        """The input H×W, or an error if this family needs a feature map and got a vector."""
        hw = self.in_hw
        if hw is None:
            self.fail("E143", "needs a feature map (C, H, W) but its input is a vector "
                      f"{self.in_shape} (after a linear block)", field_name,
                      fix="move this block before the head's pool/linear")
        return hw


# --------------------------------------------------------------------------- registry

#: How a container family traces one nested block: the tracer's own per-family dispatch.
TraceChild = Callable[[ResolvedBlock, "GraphBuilder", "Tensor"], "Tensor"]


@dataclass(frozen=True)
class Family:
    """One block family: the tag users write, its model, how it resolves and how it traces."""

    tag: str
    model: type[BlockModel]
    resolve: Callable[[Any, ResolveContext], ResolvedBlock | None]
    #: Emits a leaf block's ops; None for a container family, which sets ``trace_nested``.
    trace: Callable[[Any, GraphBuilder, Tensor], Tensor] | None
    resolved: type[ResolvedBlock]
    summary: str = ""
    #: The output shape a block's own fields fix, for resolution to carry on past a block that
    #: failed (so the blocks after it are still checked): called with the fields that are valid
    #: on their own (family defaults filled in; a field that failed validation is absent) and the
    #: block's context; None when those fields do not determine the shape.
    shape: Callable[[Mapping[str, Any], ResolveContext], tuple[int, ...] | None] | None = None
    #: A container family's tracer (parallel): it traces its children through the ``TraceChild``
    #: callback the tracer gives it, as its ``resolve`` resolves them through
    #: ``ResolveContext.resolve_child``, so families never import the tracer that dispatches them.
    trace_nested: Callable[[Any, GraphBuilder, Tensor, TraceChild], Tensor] | None = None
    #: Blocks as a user writes them (YAML, a list of block mappings, usually one per line), shown
    #: in docs/spec.md; tests/docs checks every family has one and that each example builds.
    example: str = ""

    def __post_init__(self) -> None:
        if (self.trace is None) == (self.trace_nested is None):
            raise ValueError(f"block family {self.tag!r} needs one of trace and trace_nested")


def block_list_depth(annotation: Any) -> int:
    """How many lists a field's type wraps around nested blocks (plain ``dict[str, Any]``
    mappings, as a family cannot name the union of all families): 2 for a parallel's
    ``branches``, 1 for a residual's ``blocks`` or optional ``shortcut``, 0 for a value field."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return max((block_list_depth(a) for a in get_args(annotation) if a is not type(None)),
                   default=0)
    if origin is list:
        (item,) = get_args(annotation)
        return 1 if get_origin(item) is dict else (depth + 1 if (depth := block_list_depth(item))
                                                   else 0)
    return 0


def nested_fields(model: type[BaseModel]) -> tuple[tuple[str, int], ...]:
    """(key users write, list depth) of every field of ``model`` that holds nested blocks."""
    return tuple((info.alias or name, depth) for name, info in model.model_fields.items()
                 if (depth := block_list_depth(info.annotation)))


def same_shape(fields: Mapping[str, Any], ctx: ResolveContext) -> tuple[int, ...]:
    """Family.shape of a block that keeps its input's shape (act, norm, dropout)."""
    return ctx.in_shape


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    if family.tag in FAMILIES:
        raise ValueError(f"block family {family.tag!r} registered twice")
    FAMILIES[family.tag] = family
    return family
