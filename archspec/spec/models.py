"""The document models: the network around the blocks, and partial block models.

Validation runs in two passes. Pass 1 checks the document as written (every key, every type) with
*partial* block models — all fields optional — because a template or a defaults entry is only a
layer of a block. Pass 2 (in :mod:`archspec.spec.resolve`) validates each composed block
(defaults ⊕ template ⊕ first ⊕ stage width) with its family's full model.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, Protocol, Union, cast, get_args, get_origin

from pydantic import ConfigDict, Discriminator, Field, Tag, create_model, model_validator

from archspec.blocks import FAMILIES
from archspec.blocks.base import EXACT_INT, MAX_WIDTH, PosInt, SpecModel
from archspec.spec.limits import MIN_WIDTH_MULT

FORMAT_VERSION = 1
MAX_STAGE_DEPTH = 1000
MAX_INPUT_CHANNELS = 4096  # input.channels; also the bound of `--input` (archspec.cli)
MAX_INPUT_SIZE = 65536  # each of input.size's H and W; also the bound of `--input`
# Names of the network, its stages and variants: printable, short, safe in any output (0010).
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class PartialModel(SpecModel):
    model_config = ConfigDict(populate_by_name=True)


#: How a family's model writes blocks nested in it (parallel's branches): plain mappings, as a
#: family cannot import the union of all families. Pass 1 types them with that union.
BLOCK_MAPPING = dict[str, Any]
_LAYER_REF = "BlockLayer"  # the forward reference to block_layer_union() in partial models


def _nested_blocks(kind: Any) -> Any:
    """``kind`` with every nested block mapping (lists of them, at any depth) typed as a block
    layer; ``kind`` itself when it holds none."""
    if kind == BLOCK_MAPPING:
        return _LAYER_REF
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        inner = _nested_blocks(item)
        return kind if inner is item else list[inner]  # type: ignore[valid-type]
    return kind


def _complete(model: type[SpecModel]) -> type[SpecModel]:
    """``model`` with its nested block layers (if any) resolved to :func:`block_layer_union`."""
    if not model.__pydantic_complete__:
        model.model_rebuild(_types_namespace={_LAYER_REF: block_layer_union()})
    return model


@cache
def partial_model(tag: str, *, with_tag: bool) -> type[SpecModel]:
    """The family's model with every field optional: a layer of a block, not a whole block.
    Blocks nested in it are layers too (see :data:`BLOCK_MAPPING`); a model with nested blocks
    is complete once :func:`block_layer_union` has been built."""
    full = FAMILIES[tag].model
    fields: dict[str, Any] = {}
    for name, info in full.model_fields.items():
        if name == "block":
            if with_tag:
                fields[name] = (info.annotation, ...)
            continue
        kind: Any = _nested_blocks(info.annotation) | None
        if EXACT_INT in info.metadata:  # types are checked as written, ranges in pass 2
            kind = Annotated[kind, EXACT_INT]
        fields[name] = (kind, Field(None, alias=info.alias, description=info.description))
    suffix = "Layer" if with_tag else "Defaults"
    return create_model(f"{full.__name__.removesuffix('Spec')}{suffix}", __base__=PartialModel,
                        __doc__=full.__doc__, **fields)


@cache
def block_layer_union() -> Any:
    """Any block as written in a list or template: discriminated on ``block``."""
    models = tuple(partial_model(tag, with_tag=True) for tag in FAMILIES)
    union = Annotated[Union[models], Field(discriminator="block")]  # type: ignore[valid-type]  # noqa: UP007
    for model in models:
        if not model.__pydantic_complete__:
            model.model_rebuild(_types_namespace={_LAYER_REF: union})
    return union


#: The tag of a stage's ``first:`` that names no block type: the template's, known in pass 2.
_TEMPLATE_TAG = "the template's block type"


def _first_tag(value: Any) -> str:
    """Which model checks a ``first:`` as written: its own ``block:``'s family; without one
    (or when it is no mapping) the plain mapping that pass 2 composes onto the template."""
    if not isinstance(value, dict) or "block" not in value:
        return _TEMPLATE_TAG
    tag = value["block"]
    return tag if isinstance(tag, str) else repr(tag)


@cache
def first_layer() -> Any:
    """A stage's ``first:`` as written: a block layer when it names its ``block:`` type, else
    a mapping of the template's fields (checked once composed onto the template)."""
    block_layer_union()
    members = [Annotated[partial_model(tag, with_tag=True), Tag(tag)] for tag in FAMILIES]
    members.append(Annotated[BLOCK_MAPPING, Tag(_TEMPLATE_TAG)])
    return Annotated[Union[tuple(members)], Discriminator(_first_tag)]  # noqa: UP007


class InputSpec(SpecModel):
    """The network input: channels and spatial size (one int for a square, or [H, W])."""

    channels: Annotated[int, Field(ge=1, le=MAX_INPUT_CHANNELS)] = 3
    size: Annotated[int, Field(ge=1, le=MAX_INPUT_SIZE)] | Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_INPUT_SIZE)]], Field(min_length=2, max_length=2)]

    @property
    def hw(self) -> tuple[int, int]:
        return (self.size, self.size) if isinstance(self.size, int) else tuple(self.size)  # type: ignore[return-value]


class WidthSpec(SpecModel):
    """Width multiplier α: every scaled width becomes make_divisible(w·α, divisor)."""

    mult: Annotated[float, Field(ge=MIN_WIDTH_MULT, le=16)] = 1.0  # 1/64 (docs/limits.md)
    divisor: PosInt = 8


@cache
def defaults_model() -> type[SpecModel]:
    block_layer_union()
    fields: dict[str, Any] = {tag: (_complete(partial_model(tag, with_tag=False)) | None, None)
                              for tag in FAMILIES}
    model: type[SpecModel] = create_model("Defaults", __base__=SpecModel,
                                          __doc__="Field defaults keyed by block type.", **fields)
    return model


@cache
def _stage_model() -> type[SpecModel]:
    layer = block_layer_union()

    class StageSpec(SpecModel):
        """A stage: a template (out, depth, block, first) or an explicit ``blocks`` list."""

        name: Name
        out: PosInt | None = Field(None, le=MAX_WIDTH, description="Output width of every block.")
        depth: PosInt | None = Field(None, le=MAX_STAGE_DEPTH, description="Blocks, the first included.")
        block: layer | None = Field(None, description="Template for every block of the stage.")  # type: ignore[valid-type]
        first: first_layer() | None = Field(  # type: ignore[valid-type]
            None, description="Overrides for the first (downsampling) block; naming another "
            "`block:` type replaces the template for that block.")
        blocks: list[layer] | None = Field(None, description="Explicit blocks, instead of a template.")  # type: ignore[valid-type]
        noqa: dict[str, str] | None = None

        @model_validator(mode="after")
        def _template_or_list(self) -> StageSpec:
            template = [k for k in ("depth", "block", "first") if getattr(self, k) is not None]
            if self.blocks is not None and template:
                raise ValueError(f"a stage has either `blocks` or a template, not both "
                                 f"(remove {', '.join(template)})")
            if self.blocks is None and (self.depth is None or self.block is None):
                raise ValueError("a template stage needs `depth` and `block` (or give `blocks`)")
            return self

    return StageSpec


class WrittenNetwork(Protocol):
    """What code reads of a validated network statically. The model itself is built at run
    time (:func:`network_model`: its block union follows the family registry), so its type
    cannot name these fields; :func:`validate_network` gives them a type."""

    name: str
    default_variant: str | None
    variants: dict[str, dict[str, Any]]
    drop_path: float
    init: str


def validate_network(data: Any) -> WrittenNetwork:
    """``data`` validated as a network (pydantic's ValidationError when it is not one)."""
    return cast(WrittenNetwork, network_model().model_validate(data))


@cache
def network_model() -> type[SpecModel]:
    layer = block_layer_union()
    stage = _stage_model()

    class NetworkSpec(SpecModel):
        """A network, as written: the base of a spec file, or one variant merged onto it."""

        archspec: Annotated[Literal[1], EXACT_INT] = Field(description="Format version.")
        name: Name
        input: InputSpec
        width: WidthSpec | None = None
        defaults: defaults_model() | None = None  # type: ignore[valid-type]
        stem: list[layer] = Field(default_factory=list)  # type: ignore[valid-type]
        stages: list[stage] = Field(default_factory=list)  # type: ignore[valid-type]
        head: list[layer] = Field(default_factory=list)  # type: ignore[valid-type]
        drop_path: Annotated[float, Field(ge=0, lt=1)] = Field(
            0.0, description="Network drop-path rate, linear over the stage blocks (EMO).")
        init: Literal["torchvision", "emo", "pytorch"] = "torchvision"
        default_variant: Name | None = None
        variants: dict[Name, dict[str, Any]] = Field(
            default_factory=dict, description="Named overrides, deep-merged onto the base.")

    return NetworkSpec


TOP_LEVEL_KEYS = ("archspec", "name", "input", "width", "defaults", "stem", "stages", "head",
                  "drop_path", "init", "default_variant", "variants")
VARIANT_KEYS = tuple(k for k in TOP_LEVEL_KEYS if k not in ("archspec", "variants",
                                                            "default_variant"))


def has_out(tag: Any) -> bool:
    """Whether a block of this type has an ``out`` (a stage's ``out`` applies to it; pools,
    norms, activations and dropouts have none)."""
    return isinstance(tag, str) and tag in FAMILIES and "out" in FAMILIES[tag].model.model_fields
