"""Hypothesis strategies for archspec spec documents (``pip install 'archspec[testing]'``).

* :func:`documents` — valid spec documents as plain dicts, ready for ``archspec.dump`` and
  ``archspec.loads``: every block family and option, template and explicit stages, ``first``
  overrides (same family or a replacement), ``defaults``, width multipliers, variants (width,
  input size, stage overrides, whole stage lists), square and non-square inputs.
* :func:`specs` — the same documents with what the generator knows about them: the output shape
  of every variant (an oracle independent of archspec's resolver) and every explicit block's
  input shapes.
* :func:`near_misses` — documents that break exactly one field, with the key path of that field
  and the error code archspec must report there.
* :func:`blocks` — one block valid at a given input shape (optionally shape-preserving).
* :func:`mutated_texts`, :func:`mutated_trees` — fuzzing inputs derived from an existing spec.

Validity is by construction, never by filtering: every choice is drawn from the values that keep
the block buildable in every variant at once (``dim_head`` divides the input width of every
variant, ``groups`` divides both widths, channel splits are whole, a skip is only written where
the shapes allow it, a pool window fits the map ...). Networks stay small enough to build in
milliseconds: written widths ≤ 32, input sides ≤ 24, stage depth ≤ 2, at most three stages.

The generator carries its own model of shapes and widths (``make_divisible``, convolution
arithmetic, ``mid`` rounding), written from the papers and PyTorch's formulas rather than
imported from the resolver, so :attr:`GeneratedSpec.outputs` can check the resolver.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal, get_args

try:
    from hypothesis import reject
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("archspec.testing.strategies needs hypothesis: "
                      "pip install 'archspec[testing]'") from exc

from archspec.blocks.base import ActName, NormType

__all__ = [
    "ACTS", "BREAKS", "FAMILIES", "MAX_SIZE", "MAX_WIDTH", "NORM_TYPES", "GeneratedSpec",
    "NearMiss", "Site", "blocks", "documents", "make_divisible", "mutated_texts",
    "mutated_trees", "names", "near_misses", "shufflenets", "specs",
]

ACTS: tuple[str, ...] = get_args(ActName)
NORM_TYPES: tuple[str, ...] = get_args(NormType)
SPATIAL_FAMILIES = ("conv", "mmb", "shuffle", "parallel", "pool", "norm", "act", "dropout")
FAMILIES = (*SPATIAL_FAMILIES, "linear")
TEMPLATE_FAMILIES = ("conv", "mmb", "shuffle")  # families with `out`, usable as stage templates
MAX_WIDTH = 32
MAX_SIZE = 24
MAX_DEPTH = 2
MAX_STAGES = 3

Shape = tuple[int, ...]
KeyPath = tuple[str | int, ...]


# ============================================================================ the model of widths


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """torchvision's ``_make_divisible``: nearest multiple of ``divisor``, never 10 % below."""
    if min_value is None:
        min_value = divisor
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def _conv_len(size: int, k: int, stride: int, padding: int, dilation: int = 1,
              ceil_mode: bool = False) -> int:
    """PyTorch's output length of a convolution or pooling window."""
    span = size + 2 * padding - dilation * (k - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


@dataclass(frozen=True)
class _World:
    """A width policy: the network's ``width: {mult, divisor}`` in one variant (None: unset).

    With ``width:`` present every scaled width is rounded, even at mult 1 (as torchvision does).
    """

    mult: float | None = None
    divisor: int = 8

    def width(self, written: int, scaling: str = "scaled") -> int:
        if scaling == "fixed" or self.mult is None:
            return written
        mult = max(1.0, self.mult) if scaling == "at_least" else self.mult
        return make_divisible(written * mult, self.divisor)


@dataclass(frozen=True)
class _Ctx:
    """Where a block is resolved: in variant ``wi`` (0 = the base) at input ``shape``."""

    wi: int
    world: _World
    shape: Shape

    @property
    def c(self) -> int:
        return self.shape[0]

    @property
    def spatial(self) -> bool:
        return len(self.shape) == 3

    def at(self, shape: Shape) -> _Ctx:
        return _Ctx(self.wi, self.world, shape)


def _mid(b: dict[str, Any], ctx: _Ctx) -> int:
    if b.get("mid") is not None:
        return ctx.world.width(b["mid"], b.get("scaling", "scaled"))
    raw = ctx.c * b["exp"]
    rounding = b.get("mid_round", "round")
    if rounding == "floor":
        return int(raw)
    if rounding == "round":
        return int(round(raw))
    return make_divisible(raw, 8)


def _out_shape(b: dict[str, Any], ctx: _Ctx, *, classifier: bool = False) -> Shape:
    """The output shape of a composed block at ``ctx`` (the generator's own shape model)."""
    tag = b["block"]
    scaling = b.get("scaling", "scaled")
    shape = ctx.shape
    if tag in ("norm", "act", "dropout"):
        return shape
    if tag == "linear":
        return (b["out"] if classifier else ctx.world.width(b["out"], scaling),)
    h, w = shape[1], shape[2]
    if tag == "conv":
        k, s, d = b.get("k", 1), b.get("stride", 1), b.get("dilation", 1)
        p = k // 2 * d
        return (ctx.world.width(b["out"], scaling), _conv_len(h, k, s, p, d),
                _conv_len(w, k, s, p, d))
    if tag == "mmb":
        out = ctx.world.width(b["out"], scaling)
        if b.get("f", "dwconv") == "ffn":
            return (out, h, w)
        k, s, d = b.get("dw_k", 3), b.get("stride", 1), b.get("dilation", 1)
        p = k // 2 * d
        return (out, _conv_len(h, k, s, p, d), _conv_len(w, k, s, p, d))
    if tag == "shuffle":
        k, s = b.get("dw_k", 3), b.get("stride", 1)
        return (ctx.world.width(b["out"], scaling), _conv_len(h, k, s, k // 2),
                _conv_len(w, k, s, k // 2))
    if tag == "pool":
        if b.get("global", False):
            return (ctx.c, 1, 1)
        k, p, cm = b.get("k", 2), b.get("padding", 0), b.get("ceil_mode", False)
        s = b.get("stride") or k
        return (ctx.c, _conv_len(h, k, s, p, 1, cm), _conv_len(w, k, s, p, 1, cm))
    if tag == "parallel":
        ends = []
        for branch in b["branches"]:
            here = ctx
            for child in branch:
                here = here.at(_out_shape(child, here))
            ends.append(here.shape)
        if b.get("merge", "concat") == "add":
            return ends[0]
        return (sum(e[0] for e in ends), *ends[0][1:])
    raise ValueError(f"unknown block family {tag!r}")


def _overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """archspec's layering: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _overlay(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _gcd(values: Iterable[int]) -> int:
    return reduce(math.gcd, values)


def _field_default(tag: str, key: str) -> Any:
    """The default of a block field as its family's model declares it (None if required)."""
    from archspec.blocks import FAMILIES as REGISTRY

    for name, info in REGISTRY[tag].model.model_fields.items():
        if key in (name, info.alias):
            return None if info.is_required() else info.default
    raise KeyError(f"{tag} has no field {key!r}")


# ============================================================================ public records


@dataclass(frozen=True)
class Site:
    """An explicitly written block: its key path and its input shape in each variant using it."""

    path: KeyPath
    shapes: dict[int, Shape]  # world index (0 = base, i = i-th variant) -> input shape
    tag: str


@dataclass(frozen=True)
class GeneratedSpec:
    """A generated document with what the generator knows about it.

    ``outputs`` maps each variant name (``None`` for the base as written) to the output shape
    the generator computed; ``sites`` lists explicit blocks (stem, head, ``blocks:`` stages,
    parallel branches), ``resolved_worlds`` the world indices that ``archspec.resolve`` reaches
    (the variants, or the base when there are none); ``variant_names[i - 1]`` names world ``i``.
    """

    document: dict[str, Any]
    outputs: dict[str | None, Shape]
    sites: tuple[Site, ...]
    variant_names: tuple[str, ...]

    @property
    def resolved_worlds(self) -> frozenset[int]:
        n = len(self.variant_names)
        return frozenset(range(1, n + 1)) if n else frozenset({0})

    def world_name(self, wi: int) -> str | None:
        return self.variant_names[wi - 1] if wi else None


@dataclass(frozen=True)
class NearMiss:
    """A document with exactly one broken field.

    ``key_path`` is the field's path in the document; ``anchor`` says where archspec must point:
    ``"value"`` at the value (for a missing key: the nearest enclosing mapping, which is what
    ``Source.span_of`` returns for the path), ``"key"`` at the key (unknown keys, noqa codes).
    ``code`` is the error code expected, ``what`` a one-line description of the break.
    """

    document: dict[str, Any]
    key_path: KeyPath
    code: str
    anchor: Literal["value", "key"]
    what: str


# ============================================================================ drawing helpers


class _Gen:
    """Wraps hypothesis' ``draw`` with the choices every generator makes."""

    def __init__(self, draw: Any, families: frozenset[str], width: bool,
                 attention: bool = False):
        self.draw = draw
        self.families = families
        self.width = width
        self.attention = attention  # every mmb block uses windowed attention
        self.sites: list[Site] = []

    def pick(self, seq: Sequence[Any]) -> Any:
        seq = list(seq)
        assert seq, "the generator offered no valid choice (a bug in archspec.testing)"
        return self.draw(st.sampled_from(seq))

    def coin(self) -> bool:
        return self.draw(st.booleans())

    def int(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def put(self, d: dict[str, Any], key: str, value: Any, default: Any) -> None:
        """Write ``key`` when it differs from the default, and sometimes when it does not."""
        if value != default or self.coin():
            d[key] = value

    def norm(self) -> Any:
        kind = self.pick(NORM_TYPES)
        if not self.coin():
            return kind
        d: dict[str, Any] = {"type": kind}
        if self.coin():
            d["eps"] = self.draw(st.one_of(st.sampled_from([1e-5, 1e-6, 1e-3]),
                                           st.floats(1e-8, 0.1)))
        if self.coin():
            d["momentum"] = self.draw(st.one_of(st.sampled_from([0.1, 0.01]),
                                                st.floats(0.001, 1.0)))
        return d

    def act(self) -> str:
        return self.pick(ACTS)

    def scaling(self) -> str:
        return self.pick(["scaled", "fixed", "at_least"]) if self.width else "scaled"

    def fraction(self, lo: float, hi: float, nice: Sequence[float]) -> float:
        return self.draw(st.one_of(st.sampled_from(list(nice)), st.floats(lo, hi)))


@dataclass
class _Req:
    """What the caller needs of a block.

    ``outs``: the written ``out`` per context when a stage gives it (the block then writes no
    ``out``); ``pins``: fields forced to a value; ``keep_hw``: output H×W must equal the input's;
    ``keep_shape``: the whole shape must be kept (one context only); ``level``: parallel nesting;
    ``fixed``: every width of the block and of its children is written absolute
    (``scaling: fixed``), so no width policy of a host document can change it.
    """

    outs: list[int] | None = None
    pins: dict[str, Any] = field(default_factory=dict)
    keep_hw: bool = False
    keep_shape: bool = False
    level: int = 0
    max_width: int = MAX_WIDTH
    fixed: bool = False


def _scaling(g: _Gen, req: _Req) -> str:
    if req.keep_shape or req.fixed:
        return "fixed"
    return req.pins.get("scaling") or g.scaling()


def _write_out(g: _Gen, d: dict[str, Any], ctxs: list[_Ctx], req: _Req, scaling: str,
               ok: Any = None) -> list[int] | None:
    """Choose the written ``out`` of a block (unless a stage gives it) and write ``scaling``.

    Returns the written out per context; ``ok(out_channels_per_ctx)`` filters widths the family
    cannot take. None when no width fits.
    """
    if req.outs is not None:
        outs = list(req.outs)
        widths = [c.world.width(o, scaling) for c, o in zip(ctxs, outs, strict=True)]
        if ok is not None and not ok(widths):
            return None
    else:
        candidates = [ctxs[0].c] if req.keep_shape else range(1, req.max_width + 1)
        fits = [w for w in candidates
                if ok is None or ok([c.world.width(w, scaling) for c in ctxs])]
        if not fits:
            return None
        d["out"] = g.pick(fits)
        outs = [d["out"]] * len(ctxs)
    if scaling != "scaled" or "scaling" in req.pins or (g.width and g.coin()):
        d["scaling"] = scaling
    return outs


# ============================================================================ block families


def _conv(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    d: dict[str, Any] = {"block": "conv"}
    scaling = _scaling(g, req)
    outs = _write_out(g, d, ctxs, req, scaling)
    if outs is None:
        return None
    out_ch = [c.world.width(o, scaling) for c, o in zip(ctxs, outs, strict=True)]
    fixed_hw = req.keep_hw or req.keep_shape
    k = g.pick([1, 3] if fixed_hw else [1, 3, 2, 5])
    g.put(d, "k", k, 1)
    if not fixed_hw:
        g.put(d, "stride", g.pick([1, 2]), 1)
    if k > 1:
        g.put(d, "dilation", g.pick([1, 2]), 1)
    groups = g.pick(_divisors(_gcd([c.c for c in ctxs] + out_ch)))
    g.put(d, "groups", groups, 1)
    g.put(d, "bias", g.coin(), False)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    return d


def _mmb(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    d: dict[str, Any] = {"block": "mmb"}
    ins = [c.c for c in ctxs]
    fixed_hw = req.keep_hw or req.keep_shape
    f = "attn" if g.attention else req.pins.get("f") or g.pick(["dwconv", "attn", "ffn"])
    g.put(d, "f", f, "dwconv")
    # --- the expanded width
    mode = req.pins.get("mode") or g.pick(["exp", "mid", "noexpand"])
    if mode == "noexpand":
        d["exp"] = g.pick([1, 1.0])
        d["expand"] = False
        rounding = g.pick(["floor", "round"] + (["divisible"] if all(
            i >= 8 and i % 8 == 0 for i in ins) else []))
        g.put(d, "mid_round", rounding, "round")
    elif mode == "exp":
        exp = g.pick([e for e in (1, 2, 4, 0.5, 1.5, 2.5, 3, 3.5, 0.75, 1.25, 6)
                      if min(ins) * e >= 1])
        if isinstance(exp, float) and exp.is_integer() and g.coin():
            exp = int(exp)
        d["exp"] = exp
        g.put(d, "mid_round", g.pick(["round", "floor", "divisible"]), "round")
        g.put(d, "expand", True, True)
    else:
        d["mid"] = g.int(1, 2 * req.max_width)
        g.put(d, "expand", True, True)
    scaling = _scaling(g, req)
    outs = _write_out(g, d, ctxs, req, scaling)
    if outs is None:
        return None
    mids = [_mid(d, c) for c in ctxs]
    out_ch = [c.world.width(o, scaling) for c, o in zip(ctxs, outs, strict=True)]
    # --- operator F
    if f == "attn":
        dim_head = g.pick(_divisors(_gcd(ins)))
        heads = [i // dim_head for i in ins]
        d["dim_head"] = dim_head
        divides = all(m % h == 0 for m, h in zip(mids, heads, strict=True))
        attn_pre = g.coin() if divides else True
        g.put(d, "attn_pre", attn_pre, False)
        if divides and d.get("expand", True):
            g.put(d, "v_group", g.coin(), False)
        g.put(d, "qkv_bias", g.coin(), False)
        partition = g.pick(["local", "grid", "global"])
        g.put(d, "partition", partition, "local")
        if partition != "global" or g.coin():
            g.put(d, "window", g.int(1, 8), 7)
    # --- spatial conv
    stride = 1
    odd = True
    if f != "ffn":
        stride = 1 if fixed_hw else g.pick([1, 2])
        g.put(d, "stride", stride, 1)
        dw_k = g.pick([3, 1, 5] if fixed_hw else [3, 1, 5, 2])
        odd = dw_k % 2 == 1
        g.put(d, "dw_k", dw_k, 3)
        if dw_k > 1:
            g.put(d, "dilation", g.pick([1, 2]), 1)
        if g.coin():
            d["groups"] = g.pick(_divisors(_gcd(mids)))
    # --- norms, activations, biases
    for key in ("pre_norm", "expand_norm", "dw_norm", "proj_norm"):
        if g.coin():
            d[key] = g.norm()
    for key in ("expand_act", "dw_act", "proj_act", "post_act"):
        if g.coin():
            d[key] = g.act()
    for key in ("expand_bias", "proj_bias"):
        g.put(d, key, g.coin(), False)
    # --- squeeze-and-excitation
    if g.coin():
        d["se"] = g.fraction(0.0, 4.0, [0.25, 0.5, 1.0, 0.0])
        g.put(d, "se_base", g.pick(["mid", "in"]), "mid")
        g.put(d, "se_round", g.pick(["round", "divisible"]), "round")
        g.put(d, "se_act", g.act(), "relu")
        g.put(d, "se_gate", g.pick(["sigmoid", "hardsigmoid"]), "sigmoid")
    # --- skips: written only where every context allows them
    can_skip = stride == 1 and odd and all(i == o for i, o in zip(ins, out_ch, strict=True))
    skip = g.pick([None, False] + ([True] if can_skip else []))
    if skip is not None:
        d["skip"] = skip
    if f != "ffn" and stride == 1 and odd:
        g.put(d, "dw_skip", g.coin(), False)
    return d


def _shuffle_ok(ins: list[int], stride: int, split: float):
    """Whether a shuffle unit with (stride, split) fits inputs ``ins``; returns a width filter."""
    if stride == 1 and any(i * split != int(i * split) for i in ins):
        return None

    def ok(outs: list[int]) -> bool:
        for i, o in zip(ins, outs, strict=True):
            keep = i * split if stride == 1 else o * split
            if keep != int(keep) or keep < 1 or o - int(keep) < 1:
                return False
        return True

    return ok


def _shuffle(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    d: dict[str, Any] = {"block": "shuffle"}
    ins = [c.c for c in ctxs]
    scaling = _scaling(g, req)
    if req.outs is not None:
        widths = [[c.world.width(o, scaling) for c, o in zip(ctxs, req.outs, strict=True)]]
    elif req.keep_shape:
        widths = [ins]
    else:
        widths = [[c.world.width(w, scaling) for c in ctxs] for w in range(1, req.max_width + 1)]
    strides = [1] if req.keep_hw or req.keep_shape else [1, 2]
    combos = []
    for s, sp in ((s, sp) for s in strides for sp in (0.5, 0.25, 0.75)):
        ok = _shuffle_ok(ins, s, sp)
        if ok is not None and any(ok(w) for w in widths):
            combos.append((s, sp))
    if not combos:
        return None
    stride, split = g.pick(combos)
    outs = _write_out(g, d, ctxs, req, scaling, _shuffle_ok(ins, stride, split))
    assert outs is not None
    out_ch = [c.world.width(o, scaling) for c, o in zip(ctxs, outs, strict=True)]
    g.put(d, "stride", stride, 1)
    g.put(d, "split", split, 0.5)
    g.put(d, "groups", g.pick([x for x in _divisors(_gcd(out_ch)) if x <= 8]), 2)
    g.put(d, "dw_k", g.pick([3, 1, 5]), 3)  # even kernels are refused (E145)
    g.put(d, "norm", g.norm(), "bn")
    g.put(d, "act", g.act(), "relu")
    return d


def _pool(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    d: dict[str, Any] = {"block": "pool"}
    g.put(d, "kind", g.pick(["avg", "max"]), "avg")
    fixed_hw = req.keep_hw or req.keep_shape
    if fixed_hw:
        k, stride, padding = g.pick([(1, 1, 0), (3, 1, 1)])
        if all(c.shape[1:] == (1, 1) for c in ctxs) and g.coin():
            d["global"] = True
            return d
    else:
        if g.coin():
            d["global"] = True
            return d
        side = min(min(c.shape[1:]) for c in ctxs)
        k = g.pick([x for x in (2, 3, 1) if x <= side + 2 * (x // 2)])
        padding = g.int(0, k // 2)
        if k > side + 2 * padding:
            padding = k // 2
        stride = g.pick([k, 1, 2])
        if g.coin():
            d["ceil_mode"] = True
    g.put(d, "global", False, False)
    d["k"] = k
    if stride != k or g.coin():
        d["stride"] = stride
    g.put(d, "padding", padding, 0)
    return d


def _norm_block(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    return {"block": "norm", "norm": g.norm()}


def _act_block(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    return {"block": "act", "act": g.act()}


def _dropout(g: _Gen, ctxs: list[_Ctx], req: _Req) -> dict[str, Any] | None:
    return {"block": "dropout", "p": g.fraction(0.0, 0.99, [0.0, 0.1, 0.5])}


def _parallel(g: _Gen, ctxs: list[_Ctx], req: _Req, path: KeyPath) -> dict[str, Any] | None:
    if req.level >= 2:
        return None
    merge = "add" if req.keep_shape else g.pick(["concat", "add"])
    n = g.int(1, 3)
    child = _Req(keep_hw=True, level=req.level + 1, max_width=min(req.max_width, 16),
                 fixed=req.fixed)
    branches: list[list[dict[str, Any]]] = []
    if merge == "concat":
        for i in range(n):
            branch, here = [], ctxs
            for j in range(g.int(0, 2)):
                b, here = _block(g, here, child, (*path, "branches", i, j))
                branch.append(b)
            branches.append(branch)
    else:
        same = len({c.c for c in ctxs}) == 1
        if req.keep_shape or (same and g.coin()):
            target, scaling = ctxs[0].c, "fixed"
        else:
            target, scaling = g.int(1, child.max_width), _scaling(g, child)
        ends = [c.world.width(target, scaling) for c in ctxs]
        identity = all(e == c.c for e, c in zip(ends, ctxs, strict=True))
        end_req = _Req(outs=[target] * len(ctxs), pins={"scaling": scaling}, keep_hw=True,
                       level=child.level, max_width=child.max_width, fixed=req.fixed)
        for i in range(n):
            branch, here = [], ctxs
            if identity and g.coin():
                branches.append(branch)
                continue
            if g.coin():
                b, here = _block(g, here, child, (*path, "branches", i, len(branch)))
                branch.append(b)
            tag = g.pick([t for t in ("conv", "mmb") if t in g.families] or ["conv"])
            end = (_conv if tag == "conv" else _mmb)(g, here, end_req) or _conv(g, here, end_req)
            assert end is not None
            b = {**end, "out": target}
            b["scaling"] = scaling
            branch.append(_record(g, b, here, (*path, "branches", i, len(branch))))
            here = [c.at(_out_shape(b, c)) for c in here]
            if g.coin():
                tail = g.pick([_act_block, _norm_block, _dropout])(g, here, child)
                branch.append(_record(g, tail, here, (*path, "branches", i, len(branch))))
            branches.append(branch)
    d: dict[str, Any] = {"block": "parallel", "branches": branches}
    g.put(d, "merge", merge, "concat")
    return d


_GENERATORS = {"conv": _conv, "mmb": _mmb, "shuffle": _shuffle, "pool": _pool,
               "norm": _norm_block, "act": _act_block, "dropout": _dropout}


def _record(g: _Gen, b: dict[str, Any], ctxs: list[_Ctx], path: KeyPath) -> dict[str, Any]:
    if path:
        g.sites.append(Site(path, {c.wi: c.shape for c in ctxs}, b["block"]))
    return b


def _block(g: _Gen, ctxs: list[_Ctx], req: _Req, path: KeyPath
           ) -> tuple[dict[str, Any], list[_Ctx]]:
    """One explicit block valid at every context; returns it with its output contexts.

    The block is recorded as a :class:`Site` at ``path`` (its parallel children after it).
    """
    allowed = [t for t in SPATIAL_FAMILIES if t in g.families]
    order = [g.pick(allowed), "conv", "act"]  # a conv or an activation always fits
    start = len(g.sites)
    for tag in order:
        if tag not in g.families and tag != "act":
            continue
        del g.sites[start:]
        b = _parallel(g, ctxs, req, path) if tag == "parallel" else _GENERATORS[tag](g, ctxs, req)
        if b is None:
            continue
        g.sites.insert(start, Site(path, {c.wi: c.shape for c in ctxs}, tag))
        out = [c.at(_out_shape(b, c)) for c in ctxs]
        if req.keep_hw or req.keep_shape:
            assert all(o.shape[1:] == c.shape[1:]
                       for o, c in zip(out, ctxs, strict=True)), (b, ctxs)
        if req.keep_shape:
            assert all(o.shape == c.shape for o, c in zip(out, ctxs, strict=True)), (b, ctxs)
        return b, out
    raise AssertionError("no block family fits (a bug in archspec.testing)")


# ============================================================================ networks


_SIMPLE_NAMES = ("net", "tiny", "s1", "s2", "s3", "stage", "x1_0", "a")
_TRICKY_NAMES = ("yes", "no", "on", "off", "y", "N", "true", "false", "null", "Null", "inf",
                 "nan", "e3", "_", "a.b-c", "x0_5", "NaN", "True")


def names() -> st.SearchStrategy[str]:
    """Valid archspec names, including ones YAML would read as something else unquoted."""
    return st.one_of(st.sampled_from(_SIMPLE_NAMES), st.sampled_from(_TRICKY_NAMES),
                     st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,11}\Z"))


@dataclass
class _Variant:
    name: str
    world: _World
    shape: Shape
    width: bool = False
    input: dict[str, Any] | None = None
    stage_mode: str = "none"  # none | override | replace
    overrides: dict[str, dict[str, int]] = field(default_factory=dict)
    stages: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _input(g: _Gen) -> tuple[dict[str, Any], Shape]:
    channels = g.int(1, 4)
    size = g.draw(st.one_of(st.integers(1, MAX_SIZE),
                            st.lists(st.integers(1, MAX_SIZE), min_size=2, max_size=2)))
    hw = (size, size) if isinstance(size, int) else tuple(size)
    d: dict[str, Any] = {"size": size}
    if channels != 3 or g.coin():
        d = {"channels": channels, "size": size}
    return d, (channels, *hw)


def _width_world(g: _Gen) -> _World:
    return _World(g.pick([1.0, 0.5, 0.75, 1.25, 1.5]), g.pick([8, 1, 2, 4]))


def _defaults(g: _Gen) -> dict[str, Any]:
    """Shape-neutral defaults: norms, activations and biases only."""
    table: dict[str, dict[str, Any]] = {}
    if "conv" in g.families and g.coin():
        table["conv"] = {k: v for k, v in (("norm", g.norm()), ("act", g.act()),
                                           ("bias", g.coin())) if g.coin()}
    if "mmb" in g.families and g.coin():
        table["mmb"] = {k: v for k, v in (
            ("pre_norm", g.norm()), ("expand_norm", g.norm()), ("dw_norm", g.norm()),
            ("proj_norm", g.norm()), ("expand_act", g.act()), ("dw_act", g.act()),
            ("proj_act", g.act()), ("post_act", g.act()), ("se_act", g.act()),
            ("qkv_bias", g.coin()), ("expand_bias", g.coin())) if g.coin()}
    if "shuffle" in g.families and g.coin():
        table["shuffle"] = {"norm": g.norm(), "act": g.act()}
    if "linear" in g.families and g.coin():
        table["linear"] = {"bias": g.coin()}
    return table


def _diff(tag: str, first: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """Overrides O with template ⊕ O == first (as archspec layers them)."""
    o: dict[str, Any] = {}
    for key in sorted(set(first) | set(template), key=str):
        if key == "block":
            continue
        want = first[key] if key in first else _field_default(tag, key)
        have = template.get(key, _field_default(tag, key))
        if isinstance(want, dict) and isinstance(have, dict):
            want = {**{k: None for k in have}, **want}
        if want != have:
            o[key] = want
    return o


def _template_stage(g: _Gen, ctxs: list[_Ctx], name: str, variants: list[_Variant]
                    ) -> tuple[dict[str, Any], list[_Ctx]]:
    tag = g.pick([t for t in TEMPLATE_FAMILIES if t in g.families])
    scaling = g.scaling()
    pins: dict[str, Any] = {"scaling": scaling}
    if tag == "mmb":
        pins["mode"] = g.pick(["exp", "mid", "noexpand"])
    width_ok = (lambda ch: ch >= 2 and ch % 2 == 0) if tag == "shuffle" else (lambda ch: True)
    # per-variant overrides of out and depth (drawn before the base width they constrain)
    outs_by_world: dict[int, int] = {}
    depth_by_world: dict[int, int] = {}
    for c in ctxs:
        v = variants[c.wi - 1] if c.wi else None
        if v is not None and v.stage_mode == "override" and g.coin():
            over: dict[str, int] = {}
            own = [w for w in range(1, MAX_WIDTH + 1) if width_ok(c.world.width(w, scaling))]
            if own and g.coin():
                over["out"] = g.pick(own)
                outs_by_world[c.wi] = over["out"]
            if g.coin() or not over:
                over["depth"] = g.int(1, MAX_DEPTH)
                depth_by_world[c.wi] = over["depth"]
            v.overrides[name] = over
    fits = [w for w in range(1, MAX_WIDTH + 1)
            if all(width_ok(c.world.width(w, scaling)) for c in ctxs if c.wi not in outs_by_world)]
    out = g.pick(fits)
    depth = g.int(1, MAX_DEPTH)
    outs = [outs_by_world.get(c.wi, out) for c in ctxs]
    virtual = [c.at((c.world.width(o, scaling), *c.shape[1:]))
               for c, o in zip(ctxs, outs, strict=True)]
    gen = _GENERATORS[tag]
    others = [t for t in TEMPLATE_FAMILIES if t != tag and t in g.families]
    kind = g.pick(["none", "same", "replace"] if others else ["none", "same"])
    stage: dict[str, Any] = {"name": name, "out": out, "depth": depth}
    first_raw: dict[str, Any] | None = None
    if kind == "none":
        template = gen(g, ctxs + virtual, _Req(outs=outs + outs, pins=pins))
        if template is None:  # e.g. no shuffle split fits both widths: downsample first
            kind = "same"
    if kind == "same":
        template = gen(g, virtual, _Req(outs=outs, pins=pins))
        first = gen(g, ctxs, _Req(outs=outs, pins=pins))
        assert template is not None and first is not None, (tag, ctxs, outs)
        o = _diff(tag, first, template)
        if g.coin():
            o = {"block": tag, **o}
        if o:
            stage["first"] = o
        first_raw = _overlay(template, o)
    elif kind == "replace":
        template = gen(g, virtual, _Req(outs=outs, pins=pins))
        assert template is not None
        other = g.pick(others)
        first = _GENERATORS[other](g, ctxs, _Req(outs=outs, pins={
            **pins, **({"mode": g.pick(["exp", "mid"])} if other == "mmb" else {})}))
        if first is None:  # the other family does not fit here: same family instead
            first = gen(g, ctxs, _Req(outs=outs, pins=pins))
            assert first is not None
            stage["first"] = _diff(tag, first, template)
            first_raw = _overlay(template, stage["first"])
        else:
            stage["first"] = first
            first_raw = first
    assert template is not None
    stage["block"] = template
    if first_raw is None:
        first_raw = template
    stage = {k: stage[k] for k in ("name", "out", "depth", "block", "first") if k in stage}
    result = []
    for c, o in zip(ctxs, outs, strict=True):
        here = c.at(_out_shape({**first_raw, "out": o}, c))
        for _ in range(depth_by_world.get(c.wi, depth) - 1):
            here = here.at(_out_shape({**template, "out": o}, here))
        result.append(here)
    return stage, result


def _blocks_stage(g: _Gen, ctxs: list[_Ctx], name: str, path: KeyPath
                  ) -> tuple[dict[str, Any], list[_Ctx]]:
    blocks_ = []
    for j in range(g.int(1, MAX_DEPTH)):
        b, ctxs = _block(g, ctxs, _Req(), (*path, "blocks", j))
        blocks_.append(b)
    return {"name": name, "blocks": blocks_}, ctxs


def _stages(g: _Gen, ctxs: list[_Ctx], max_stages: int, variants: list[_Variant],
            path: KeyPath) -> tuple[list[dict[str, Any]], list[_Ctx]]:
    n = g.int(0, max_stages)
    stage_names = g.draw(st.lists(names(), min_size=n, max_size=n, unique=True))
    stages = []
    templates = any(t in g.families for t in TEMPLATE_FAMILIES)
    for i, name in enumerate(stage_names):
        if templates and g.coin():
            stage, ctxs = _template_stage(g, ctxs, name, variants)
        else:
            stage, ctxs = _blocks_stage(g, ctxs, name, (*path, i))
        stages.append(stage)
    return stages, ctxs


def _head(g: _Gen, ctxs: list[_Ctx]) -> tuple[list[dict[str, Any]], list[_Ctx]]:
    head: list[dict[str, Any]] = []

    def add(b: dict[str, Any], classifier: bool = False) -> None:
        nonlocal ctxs
        _record(g, b, ctxs, ("head", len(head)))
        head.append(b)
        ctxs = [c.at(_out_shape(b, c, classifier=classifier)) for c in ctxs]

    for _ in range(g.int(0, 1)):
        b, ctxs = _block(g, ctxs, _Req(), ("head", len(head)))
        head.append(b)
    if not {"pool", "linear"} <= g.families or not g.coin():
        return head, ctxs
    if not all(c.shape[1:] == (1, 1) for c in ctxs) or g.coin():
        add({"block": "pool", "kind": g.pick(["avg", "max"]), "global": True})
    if g.coin():
        hidden = {"block": "linear", "out": g.int(1, MAX_WIDTH)}
        g.put(hidden, "act", g.act(), "none")
        g.put(hidden, "bias", g.coin(), True)
        if g.width and g.coin():
            hidden["scaling"] = g.scaling()
        add(hidden)
        if g.coin():
            add(g.pick([_act_block, _dropout])(g, ctxs, _Req()))  # type: ignore[operator]
    classifier = {"block": "linear", "out": g.int(1, 10)}
    g.put(classifier, "bias", g.coin(), True)
    add(classifier, classifier=True)
    if g.coin():
        add(_dropout(g, ctxs, _Req()))  # type: ignore[arg-type]
    return head, ctxs


def _check_families(families: Iterable[str] | None) -> frozenset[str]:
    chosen = frozenset(FAMILIES if families is None else families)
    unknown = chosen - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown block families {sorted(unknown)}; choose from {FAMILIES}")
    if not chosen & set(SPATIAL_FAMILIES):
        raise ValueError("families must include at least one family that works on feature maps")
    return chosen


@st.composite
def _specs(draw: Any, families: frozenset[str], variants: bool, width: bool,
           max_stages: int, attention: bool = False) -> GeneratedSpec:
    g = _Gen(draw, families, width, attention)
    doc: dict[str, Any] = {"archspec": 1, "name": g.draw(names())}
    input_d, shape = _input(g)
    doc["input"] = input_d
    base = _World()
    if width and g.coin():
        base = _width_world(g)
        doc["width"] = {"mult": base.mult, "divisor": base.divisor}
    vs: list[_Variant] = []
    if variants:
        n = g.int(0, 3)
        for vname in g.draw(st.lists(names(), min_size=n, max_size=n, unique=True)):
            v = _Variant(vname, base, shape)
            if width and g.coin():
                v.world, v.width = _width_world(g), True
            if g.coin():
                v.input, v.shape = _input(g)
                if "channels" not in v.input:  # merged onto the base's channels
                    v.shape = (shape[0], *v.shape[1:])
            v.stage_mode = g.pick(["none", "override", "replace"])
            if g.coin():
                v.extra["drop_path"] = g.fraction(0.0, 0.99, [0.0, 0.1])
            if g.coin():
                v.extra["init"] = g.pick(["torchvision", "emo", "pytorch"])
            vs.append(v)
    worlds = [_Ctx(0, base, shape)] + [_Ctx(i + 1, v.world, v.shape) for i, v in enumerate(vs)]
    if g.coin():
        defaults = _defaults(g)
        if defaults:
            doc["defaults"] = defaults
    stem: list[dict[str, Any]] = []
    ctxs = worlds
    for i in range(g.int(0, 2)):
        b, ctxs = _block(g, ctxs, _Req(), ("stem", i))
        stem.append(b)
    if stem or g.coin():
        doc["stem"] = stem
    keep = [c for c in ctxs if c.wi == 0 or vs[c.wi - 1].stage_mode != "replace"]
    stages, after = _stages(g, keep, max_stages, vs, ("stages",))
    for c in ctxs:
        if c.wi and vs[c.wi - 1].stage_mode == "replace":
            v = vs[c.wi - 1]
            v.stages, [end] = _stages(g, [c], max_stages, vs, ("variants", v.name, "stages"))
            after.append(end)
    after.sort(key=lambda c: c.wi)
    if stages or g.coin():
        doc["stages"] = stages
    head, ends = _head(g, after)
    if head or g.coin():
        doc["head"] = head
    if g.coin():
        doc["drop_path"] = g.fraction(0.0, 0.99, [0.0, 0.1, 0.04036])
    if g.coin():
        doc["init"] = g.pick(["torchvision", "emo", "pytorch"])
    if vs:
        table: dict[str, Any] = {}
        for v in vs:
            over: dict[str, Any] = dict(v.extra)
            if v.width:
                over["width"] = {"mult": v.world.mult, "divisor": v.world.divisor}
            if v.input is not None:
                over["input"] = v.input
            if v.stage_mode == "replace":
                over["stages"] = v.stages
            elif v.overrides:
                over["stages"] = v.overrides
            table[v.name] = over
        if g.coin():
            doc["default_variant"] = g.pick([v.name for v in vs])
        doc["variants"] = table
    outputs = {None if c.wi == 0 else vs[c.wi - 1].name: c.shape for c in ends}
    return GeneratedSpec(doc, outputs, tuple(g.sites), tuple(v.name for v in vs))


def specs(*, families: Iterable[str] | None = None, variants: bool = True, width: bool = True,
          max_stages: int = MAX_STAGES, attention: bool = False
          ) -> st.SearchStrategy[GeneratedSpec]:
    """Valid documents with their expected output shapes and explicit block sites.

    ``families`` restricts the block families used (default: all); ``variants=False`` writes no
    ``variants:``; ``width=False`` writes no width multiplier and no ``scaling`` field;
    ``attention=True`` makes every ``mmb`` block a windowed-attention one (``f: attn``).
    """
    return _specs(_check_families(families), variants, width, max_stages, attention)


def documents(*, families: Iterable[str] | None = None, variants: bool = True,
              width: bool = True, max_stages: int = MAX_STAGES,
              attention: bool = False) -> st.SearchStrategy[dict]:
    """Valid spec documents as plain dicts (see :func:`specs` for the options)."""
    return specs(families=families, variants=variants, width=width, max_stages=max_stages,
                 attention=attention).map(lambda s: s.document)


@st.composite
def _blocks(draw: Any, in_shape: Shape, keep_shape: bool, families: frozenset[str]) -> dict:
    g = _Gen(draw, families, width=False)
    ctx = _Ctx(0, _World(), tuple(in_shape))
    # The host document's `width:` policy is unknown here: a scaled width in a parallel branch
    # (or a scaled `out`/`mid`) could change under it and break a `groups`, `dim_head` or
    # shuffle `split` drawn for the written width (E141/E140/E142), so every width is fixed.
    b, _ = _block(g, [ctx], _Req(keep_shape=keep_shape, fixed=True), ())
    return b


def blocks(in_shape: Shape, *, keep_shape: bool = False,
           families: Iterable[str] | None = None) -> st.SearchStrategy[dict]:
    """One block dict valid at ``in_shape`` = (C, H, W); ``keep_shape``: output shape == input.

    Every width in the block (its own and its parallel children's) is written with
    ``scaling: fixed``, so the block stays valid, with the same output shape, in a host document
    under any ``width: {mult, divisor}``.
    """
    fams = _check_families(families)
    if len(in_shape) != 3:
        raise ValueError("blocks() needs a (C, H, W) input shape")
    return _blocks(tuple(in_shape), keep_shape, fams)


# ============================================================================ near misses

_POS_INT_FIELDS = frozenset({"out", "k", "groups", "dilation", "mid", "window", "dim_head",
                             "dw_k"})
_FLOAT_RANGES = {"exp": (0.0, 65.0), "se": (-0.5, 4.5), "split": (0.0, 1.0), "p": (1.0, -0.1),
                 "eps": (0.0, 1.0), "momentum": (0.0, 1.5)}
_BOOL_FIELDS = frozenset({"bias", "expand", "attn_pre", "v_group", "qkv_bias", "expand_bias",
                          "proj_bias", "skip", "dw_skip", "global", "ceil_mode"})
_LITERAL_FIELDS = frozenset({"act", "expand_act", "dw_act", "proj_act", "se_act", "post_act",
                             "se_gate", "f", "partition", "mid_round", "se_round", "se_base",
                             "kind", "merge", "scaling"})
_NORM_FIELDS = frozenset({"norm", "pre_norm", "expand_norm", "dw_norm", "proj_norm"})
_TYPED_FIELDS = _POS_INT_FIELDS | set(_FLOAT_RANGES) | _BOOL_FIELDS | _LITERAL_FIELDS | \
    _NORM_FIELDS | {"stride", "padding"}
_REQUIRED = {"conv": "out", "mmb": "out", "shuffle": "out", "linear": "out", "norm": "norm",
             "act": "act", "dropout": "p", "parallel": "branches"}
_BAD_CODE = "ZZ999"  # a rule code no rule will ever have


def _get(doc: Any, path: KeyPath) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: KeyPath, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _miss(doc: dict[str, Any], path: KeyPath, code: str, what: str,
          anchor: Literal["value", "key"] = "value") -> NearMiss:
    return NearMiss(doc, path, code, anchor, what)


def _type_break(g: _Gen, key: str, value: Any, tag: str | None = None
                ) -> tuple[Any, str] | None:
    """A wrong-typed value for a field of a ``tag`` block and the code it must raise."""
    if tag == "shuffle" and key == "stride":  # Literal[1, 2]: a wrong type is E121, 3 is E122
        return g.pick([("2", "E121"), (2.5, "E121"), (True, "E121"), (2.0, "E121"), (3, "E122")])
    if key in _POS_INT_FIELDS or key in ("stride", "padding"):
        return g.pick([("8", "E121"), (2.5, "E121"), (True, "E121")])
    if key in _FLOAT_RANGES:
        return g.pick([("0.5", "E121"), (False, "E121")])
    if key in _BOOL_FIELDS:
        return g.pick([(1, "E121"), ("true", "E121")])
    if key in _LITERAL_FIELDS:
        return g.pick([("bogus", "E122"), (3, "E122")])
    if key in _NORM_FIELDS:
        return ("gn", "E122")
    return None


def _pass1_blocks(doc: dict[str, Any]) -> list[KeyPath]:
    """Key paths of block mappings that archspec validates as written (not children/first)."""
    out: list[KeyPath] = []

    def network(net: dict[str, Any], root: KeyPath) -> None:
        for section in ("stem", "head"):
            for i, _ in enumerate(net.get(section) or []):
                out.append((*root, section, i))
        stages = net.get("stages")
        if isinstance(stages, list):
            for i, stage in enumerate(stages):
                if "block" in stage:
                    out.append((*root, "stages", i, "block"))
                for j, _ in enumerate(stage.get("blocks") or []):
                    out.append((*root, "stages", i, "blocks", j))

    network(doc, ())
    for name, over in (doc.get("variants") or {}).items():
        network(over, ("variants", name))
    return out


def _resolved_sites(spec: GeneratedSpec) -> list[Site]:
    """Explicit blocks that archspec.resolve reaches in at least one variant, on feature maps."""
    return [s for s in spec.sites if set(s.shapes) & spec.resolved_worlds
            and all(len(shape) == 3 for w, shape in s.shapes.items()
                    if w in spec.resolved_worlds)]


def _stage_resolved(spec: GeneratedSpec, i: int) -> bool:
    """Whether base stage ``i`` is part of a network archspec.resolve reaches."""
    variants = spec.document.get("variants") or {}
    if not variants:
        return True
    return any(not isinstance(v.get("stages"), list) for v in variants.values())


def _break_top(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    choices: list[tuple[KeyPath, Any, str]] = [
        (("name",), 7, "E121"), (("name",), "9lives", "E125"), (("name",), "a b", "E125"),
        (("archspec",), 2, "E122"), (("archspec",), True, "E121"),
        (("archspec",), 1.0, "E121"), (("drop_path",), 1.0, "E122"),
        (("drop_path",), "0.1", "E121"),
        (("init",), "xavier", "E122"), (("input", "channels"), 0, "E122"),
        (("input", "channels"), "3", "E121"), (("input", "size"), [8], "E126"),
        (("input", "size"), [8, 8, 8], "E126"), (("input", "size"), 0, "E122"),
        (("width", "mult"), 0.0, "E122"), (("width", "mult"), 17.0, "E122"),
        (("width", "divisor"), 0, "E122"), (("width", "mult"), "1", "E121"),
    ]
    path, value, code = g.pick(choices)
    if path[0] == "width" and "width" not in doc:
        doc["width"] = {}
    _set(doc, path, value)
    return _miss(doc, path, code, f"{path[-1]}: {value!r}")


def _break_top_keys(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    kind = g.pick(["unknown", "missing_name", "missing_input", "missing_size", "unknown_input"])
    if kind == "unknown":
        doc["nmae"] = "x"
        return _miss(doc, ("nmae",), "E120", "unknown top-level key", "key")
    if kind == "unknown_input":
        doc["input"]["chanels"] = 3
        return _miss(doc, ("input", "chanels"), "E120", "unknown input key", "key")
    if kind == "missing_size":
        del doc["input"]["size"]
        return _miss(doc, ("input", "size"), "E123", "input without size")
    key = kind.removeprefix("missing_")
    del doc[key]
    return _miss(doc, (key,), "E123", f"no `{key}`")


def _break_stage(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    stages = doc.get("stages") or []
    if not stages:
        return None
    i = g.int(0, len(stages) - 1)
    stage = stages[i]
    overridden = any(isinstance(v.get("stages"), dict) and stage["name"] in v["stages"]
                     for v in (doc.get("variants") or {}).values())
    kinds = ["out_zero", "out_str", "unknown"]
    if not overridden:
        kinds += ["name_pattern", "missing_name"]
    if "depth" in stage:
        kinds += ["depth_zero", "depth_big", "missing_depth", "blocks_and_template"]
    if len(stages) > 1 and i > 0:
        kinds.append("duplicate_name")
    kind = g.pick(kinds)
    here: KeyPath = ("stages", i)
    if kind == "duplicate_name":
        stage["name"] = stages[g.int(0, i - 1)]["name"]
        return _miss(doc, (*here, "name"), "E128", "duplicate stage name")
    if kind == "out_zero":
        stage["out"] = 0
        return _miss(doc, (*here, "out"), "E122", "stage out 0")
    if kind == "out_str":
        stage["out"] = "16"
        return _miss(doc, (*here, "out"), "E121", "stage out as a string")
    if kind == "unknown":
        stage["dpeth"] = 2
        return _miss(doc, (*here, "dpeth"), "E120", "unknown stage key", "key")
    if kind == "name_pattern":
        stage["name"] = "2nd stage"
        return _miss(doc, (*here, "name"), "E125", "stage name with a space")
    if kind == "missing_name":
        del stage["name"]
        return _miss(doc, (*here, "name"), "E123", "stage without a name")
    if kind == "depth_zero":
        stage["depth"] = 0
        return _miss(doc, (*here, "depth"), "E122", "depth 0")
    if kind == "depth_big":
        stage["depth"] = 1001
        return _miss(doc, (*here, "depth"), "E122", "depth over the limit")
    if kind == "missing_depth":
        if overridden:
            return None  # a variant's `depth:` would complete the stage there
        del stage["depth"]
        return _miss(doc, here, "E127", "template stage without depth")
    stage["blocks"] = [{"block": "act", "act": "relu"}]
    return _miss(doc, here, "E127", "stage with both blocks and a template")


def _break_block_type(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    """A wrong type, literal or tag in a block archspec validates as written."""
    doc = copy.deepcopy(spec.document)
    sites = _pass1_blocks(doc)
    for name in doc.get("defaults") or {}:
        sites.append(("defaults", name))
    if not sites:
        return None
    path = g.pick(sites)
    block = _get(doc, path)
    tag = block.get("block") if path[0] != "defaults" else path[1]
    keys = [k for k in block if k != "block" and k in _TYPED_FIELDS]
    norms = [k for k in block if k in _NORM_FIELDS]
    kind = g.pick(["field", "tag", "unknown"] if path[0] != "defaults" else ["field", "unknown"])
    if norms and g.coin():
        key = g.pick(norms)
        value, sub, code, anchor = g.pick([({"type": "gn"}, "type", "E122", "value"),
                                           ({"type": "bn", "eps": 2.0}, "eps", "E122", "value"),
                                           ({"type": "ln", "epss": 1e-6}, "epss", "E120", "key")])
        block[key] = value
        return _miss(doc, (*path, key, sub), code, f"{key}: {value!r}", anchor)
    if kind == "tag":
        block["block"] = g.pick(["convv", "mmbb", "Conv"])
        return _miss(doc, (*path, "block"), "E124", "unknown block type")
    if kind == "unknown" or not keys:
        block["strid"] = 2
        return _miss(doc, (*path, "strid"), "E120", "unknown block key", "key")
    key = g.pick(keys)
    broken = _type_break(g, key, block[key], tag)
    assert broken is not None
    value, code = broken
    block[key] = value
    return _miss(doc, (*path, key), code, f"{key}: {value!r}")


def _break_resolved(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    """A block that validates as written but cannot be built (E14x), or a bad value found only
    when the block is resolved (ranges, missing keys, first/children fields, noqa)."""
    doc = copy.deepcopy(spec.document)
    sites = _resolved_sites(spec)
    if not sites:
        return None
    site = g.pick(sites)
    shapes = [s for w, s in site.shapes.items() if w in spec.resolved_worlds]
    c_max = max(s[0] for s in shapes)
    side_max = max(max(s[1:]) for s in shapes)
    path = site.path
    block = _get(doc, path)
    range_keys = [k for k in block if k in _POS_INT_FIELDS or k in _FLOAT_RANGES
                  or k == "padding"]
    splits = [s for s in (0.5, 0.3, 0.7, 0.1, 0.9, 0.45, 0.35, 0.15, 0.05, 0.95)
              if all(sh[0] * s != int(sh[0] * s) for sh in shapes)]
    kinds = ["groups", "dim_head", "ffn_stride", "skip", "expand", "add", "pool_k",
             "pool_padding", "exp_and_mid", "noqa", "mmb_groups", "mid_zero", "dw_skip_even",
             "shuffle_even"]
    kinds += ["range"] if range_keys else []
    kinds += ["missing"] if _REQUIRED.get(block["block"]) in block else []
    kinds += ["shuffle_split"] if splits else []
    kinds += ["linear"] if all(s[1:] != (1, 1) for s in shapes) else []
    kind = g.pick(kinds)
    new: dict[str, Any]
    if kind == "groups":
        new = {"block": "conv", "out": 4, "groups": c_max + 1}
        field_, code = "groups", "E141"
    elif kind == "mmb_groups":
        new = {"block": "mmb", "out": 4, "mid": 6, "scaling": "fixed", "groups": 4}
        field_, code = "groups", "E141"
    elif kind == "dim_head":
        new = {"block": "mmb", "out": 4, "exp": 2, "f": "attn", "dim_head": c_max + 1}
        field_, code = "dim_head", "E140"
    elif kind == "ffn_stride":
        new = {"block": "mmb", "out": 4, "exp": 2, "f": "ffn", "stride": 2}
        field_, code = "stride", "E144"
    elif kind == "skip":
        new = {"block": "mmb", "out": 4, "exp": 2, "stride": 2, "skip": True}
        field_, code = "skip", "E144"
    elif kind == "mid_zero":  # floor(in · exp) = 0 in every variant
        new = {"block": "mmb", "out": 4, "exp": 1 / (2 * c_max), "mid_round": "floor"}
        field_, code = "exp", "E122"
    elif kind == "dw_skip_even":  # an even kernel at stride 1 grows the map: no inner skip
        new = {"block": "mmb", "out": 4, "exp": 2, "dw_k": 2, "dw_skip": True}
        field_, code = "dw_skip", "E144"
    elif kind == "shuffle_even":
        new = {"block": "shuffle", "out": 8, "stride": 2, "dw_k": 2}
        field_, code = "dw_k", "E145"
    elif kind == "expand":
        new = {"block": "mmb", "out": 4, "exp": 2, "expand": False}
        field_, code = "expand", "E146"
    elif kind == "add":
        new = {"block": "parallel", "merge": "add", "branches": [
            [{"block": "conv", "out": 4, "scaling": "fixed"}],
            [{"block": "conv", "out": 6, "scaling": "fixed"}]]}
        field_, code = "merge", "E145"
    elif kind == "pool_k":
        new = {"block": "pool", "k": side_max + 1, "padding": 0}
        field_, code = "k", "E143"
    elif kind == "pool_padding":
        new = {"block": "pool", "k": 3, "padding": 2}
        field_, code = "padding", "E122"
    elif kind == "shuffle_split":
        new = {"block": "shuffle", "out": 8, "split": splits[0]}
        field_, code = "split", "E142"
    elif kind == "linear":
        new = {"block": "linear", "out": 4}
        return _miss(_replace(doc, path, new), path, "E143", "linear on a feature map")
    elif kind == "range":
        field_ = g.pick(range_keys)
        if field_ in _FLOAT_RANGES:
            block[field_] = g.pick(_FLOAT_RANGES[field_])
        else:
            block[field_] = -1 if field_ == "padding" else g.pick([0, -3])
        return _miss(doc, (*path, field_), "E122", f"{field_} out of range")
    elif kind == "missing":
        required = _REQUIRED[block["block"]]
        del block[required]
        return _miss(doc, (*path, required), "E123", f"{block['block']} without {required}")
    elif kind == "exp_and_mid":
        new = {"block": "mmb", "out": 4, "exp": 2, "mid": 8}
        return _miss(_replace(doc, path, new), path, "E127", "both exp and mid")
    else:  # noqa
        block["noqa"] = {_BAD_CODE: "a reason"}
        return _miss(doc, (*path, "noqa", _BAD_CODE), "E160", "noqa of an unknown rule", "key")
    return _miss(_replace(doc, path, new), (*path, field_), code, f"{kind} at {path}")


def _replace(doc: dict[str, Any], path: KeyPath, new: dict[str, Any]) -> dict[str, Any]:
    _set(doc, path, new)
    return doc


def _break_first_or_child(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    """Fields archspec validates only when it composes the block: `first:` and branches."""
    doc = copy.deepcopy(spec.document)
    paths: list[KeyPath] = [("stages", i, "first") for i, s in enumerate(doc.get("stages") or [])
                            if s.get("first") and _stage_resolved(spec, i)]
    paths += [s.path for s in _resolved_sites(spec) if "branches" in s.path]
    if not paths:
        return None
    path = g.pick(paths)
    block = _get(doc, path)
    tag = block.get("block") or _get(doc, path[:-1])["block"]["block"]  # first: the template's
    keys = [k for k in block if k != "block" and k in _TYPED_FIELDS]
    if path[-1] == "first" and g.coin():
        block["block"] = "convv"  # first naming an unknown family
        return _miss(doc, (*path, "block"), "E124", "first: unknown block type")
    if not keys or g.coin():
        block["strid"] = 2
        return _miss(doc, (*path, "strid"), "E120", "unknown key", "key")
    key = g.pick(keys)
    value, code = _type_break(g, key, block[key], tag)  # type: ignore[misc]
    block[key] = value
    return _miss(doc, (*path, key), code, f"{key}: {value!r}")


def _break_variant(g: _Gen, spec: GeneratedSpec) -> NearMiss | None:
    doc = copy.deepcopy(spec.document)
    variants = doc.get("variants") or {}
    kind = g.pick(["default", "stage", "key", "not_mapping"] if variants else ["default"])
    if kind == "default":
        doc["default_variant"] = "nosuch"
        return _miss(doc, ("default_variant",), "E131", "default_variant not defined")
    name = g.pick(sorted(variants))
    over = variants[name]
    if kind == "stage":
        if isinstance(over.get("stages"), list):
            return None
        over.setdefault("stages", {})["nosuch"] = {"depth": 1}
        return _miss(doc, ("variants", name, "stages", "nosuch"), "E130",
                     "variant overrides an unknown stage", "key")
    if kind == "key":
        over["nmae"] = "x"
        return _miss(doc, ("variants", name, "nmae"), "E120", "unknown variant key", "key")
    variants[name] = 3
    return _miss(doc, ("variants", name), "E121", "variant that is not a mapping")


BREAKS = {"resolved": _break_resolved, "block": _break_block_type,
          "first_or_branch": _break_first_or_child, "stage": _break_stage,
          "variant": _break_variant, "keys": _break_top_keys, "top": _break_top}


@st.composite
def _near_misses(draw: Any, families: frozenset[str], variants: bool, width: bool,
                 max_stages: int, breaks: tuple[str, ...]) -> NearMiss:
    g = _Gen(draw, families, width)
    spec = draw(_specs(families, variants, width, max_stages))
    start = g.int(0, len(breaks) - 1)
    for name in breaks[start:] + breaks[:start]:
        miss = BREAKS[name](g, spec)
        if miss is not None:
            return miss
    reject()  # nothing of the selected kinds to break in this document (e.g. no blocks)


def near_misses(*, breaks: Iterable[str] | None = None, families: Iterable[str] | None = None,
                variants: bool = True, width: bool = True,
                max_stages: int = MAX_STAGES) -> st.SearchStrategy[NearMiss]:
    """Documents with exactly one broken field (see :class:`NearMiss`).

    ``breaks`` selects what is broken (default: everything): ``resolved`` (buildability errors,
    ranges, missing keys, cross-field errors and noqa codes in explicit blocks the resolved
    variants reach), ``block`` (types, literals, tags and keys of blocks validated as written,
    defaults included), ``first_or_branch`` (fields of ``first:`` and of parallel branches),
    ``stage``, ``variant``, ``keys`` (unknown and missing top-level and input keys), ``top``
    (top-level, input and width values).
    """
    chosen = tuple(BREAKS) if breaks is None else tuple(breaks)
    unknown = set(chosen) - set(BREAKS)
    if unknown or not chosen:
        raise ValueError(f"unknown near-miss kinds {sorted(unknown)}; choose from {list(BREAKS)}")
    return _near_misses(_check_families(families), variants, width, max_stages, chosen)


# ============================================================================ ShuffleNet V2


@st.composite
def _shufflenets(draw: Any) -> dict[str, Any]:
    g = _Gen(draw, frozenset(FAMILIES), width=False)
    size = g.draw(st.one_of(st.integers(4, MAX_SIZE),
                            st.lists(st.integers(4, MAX_SIZE), min_size=2, max_size=2)))
    stem_out = 2 * g.int(1, 8)
    stem: list[dict[str, Any]] = [{"block": "conv", "out": stem_out, "k": 3, "stride": 2}]
    if g.coin():
        stem.append({"block": "pool", "kind": "max", "k": 3, "stride": 2, "padding": 1})
    stages = []
    for i in range(g.int(1, MAX_STAGES)):
        stage: dict[str, Any] = {"name": f"stage{i + 2}", "out": 2 * g.int(1, MAX_WIDTH // 2),
                                 "depth": g.int(2, 3), "block": {"block": "shuffle"},
                                 "first": {"stride": 2}}
        if g.coin():
            stage["block"]["dw_k"] = g.pick([3, 5])
        stages.append(stage)
    return {"archspec": 1, "name": "shufflenet", "input": {"channels": 3, "size": size},
            "init": "pytorch", "stem": stem, "stages": stages,
            "head": [{"block": "conv", "out": g.int(1, MAX_WIDTH)},
                     {"block": "pool", "kind": "avg", "global": True},
                     {"block": "linear", "out": g.int(1, 10)}]}


def shufflenets() -> st.SearchStrategy[dict]:
    """ShuffleNet V2-shaped documents (Table 5 in miniature): a stride-2 unit, then stride-1
    units with out == in, in every stage."""
    return _shufflenets()


# ============================================================================ fuzzing inputs

_TOKENS = (b"\t", b"\x00", b"\xff", b"\xef\xbb\xbf", b"&a ", b"*a", b"!!python/object:os.system ",
           b"!!int ", b"!foo ", b"---\n", b"...\n", b"? ", b"- ", b": ", b"{", b"}", b"[", b"]",
           b"\"", b"'", b"#", b"\n", b"\r", b"\r\n", b"%YAML 1.1\n", b"<<: *a\n", b"yes", b"no",
           b".inf", b".nan", b"1e999", b"0x1F", b"0o17", b"~", b"null", b"\xc2\x85",
           b"\xe2\x80\xa8", "\u00e9".encode(), b"\x1b", b"  ", b",", b"|\n", b">-\n",
           b"999999999999999999999999", b"-1", b"0", b"2.5", b"true", b"block: ")


@st.composite
def _mutated_texts(draw: Any, text: bytes) -> bytes:
    data = bytearray(text)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "flip", "delete", "replace", "dup_line",
                                   "truncate", "indent"]))
        if op == "insert":
            data[pos:pos] = draw(st.one_of(st.sampled_from(_TOKENS),
                                           st.binary(min_size=1, max_size=4)))
        elif op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "replace" and pos < len(data):
            data[pos:pos + 1] = draw(st.sampled_from(_TOKENS))
        elif op == "dup_line":
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
        elif op == "truncate":
            del data[pos:]
        elif op == "indent":
            start = data.rfind(b"\n", 0, pos) + 1
            data[start:start] = b" " * draw(st.integers(1, 3))
    return bytes(data)


def mutated_texts(text: str | bytes) -> st.SearchStrategy[bytes]:
    """``text`` with a few byte-level mutations: YAML syntax tokens, tags, anchors, control
    characters, invalid UTF-8, truncation, duplicated lines, indentation changes."""
    return _mutated_texts(text.encode("utf-8") if isinstance(text, str) else bytes(text))


def _paths(tree: Any, here: KeyPath = ()) -> list[KeyPath]:
    out = [here]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*here, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*here, i))
    return out


_SCALARS = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, 7, 1000, 2**31, 2**63, 10**30]),
    st.integers(-5, 64),
    st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.5, 64.0, 1e-300, 1e300, -0.0, 0.01]),
    st.floats(-100, 100),
    st.booleans(), st.none(),
    st.sampled_from(["", "relu", "attn", "grid", "bn", "ln", "none", "conv", "mmb", "shuffle",
                     "x1_0", "s1", "yes", "1e3", "global", "avg", " a b ", "\u00e9"]),
    st.text(max_size=6),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["block", "out", "k", "stride", "name", "depth", "exp", "f", "size", "x"]), inner,
        max_size=3)), max_leaves=6)
_KEYS = ("block", "out", "k", "stride", "name", "depth", "exp", "mid", "f", "window", "dim_head",
         "groups", "skip", "dw_skip", "first", "blocks", "branches", "merge", "se", "noqa",
         "variants", "default_variant", "stages", "input", "size", "channels", "width", "mult",
         "strid", "G1", "")


@st.composite
def _mutated_trees(draw: Any, tree: Any) -> Any:
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(tree)))
        parent: Any = _get(tree, path[:-1]) if path else None
        op = draw(st.sampled_from(["replace", "delete", "add_key", "dup_item", "swap", "rename"]))
        if op == "replace" and path:
            parent[path[-1]] = draw(_VALUES)
        elif op == "delete" and path:
            del parent[path[-1]]
        elif op == "add_key":
            node = _get(tree, path)
            if isinstance(node, dict):
                node[draw(st.sampled_from(_KEYS))] = draw(_VALUES)
        elif op == "dup_item" and isinstance(parent, list):
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
        elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
            j = draw(st.integers(0, len(parent) - 1))
            parent[path[-1]], parent[j] = parent[j], parent[path[-1]]
        elif op == "rename" and isinstance(parent, dict):
            value = parent.pop(path[-1])
            parent[draw(st.sampled_from(_KEYS))] = value
        if not isinstance(tree, dict):
            break
    return tree


def mutated_trees(tree: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``tree`` (a spec's plain data) with one to three structural mutations: values replaced by
    values of any type, keys deleted, added or renamed, list items duplicated or swapped."""
    return _mutated_trees(tree)
