"""Realistic mobile vision networks, drawn at random, as archspec spec texts.

Calibration fits on them and the latency benchmark judges the fit on them, so they are drawn from
*streams* that never meet: ``calibration`` (fitting), ``validation`` (tuning) and ``heldout``
(the benchmark's judgement). One stream and seed give the same networks on every machine and every
Python (``random.Random(f"{stream}:{seed}")``, string seeding is stable), and the first ``n`` of
``n + k`` networks are the ``n`` networks; a network's name carries its stream, seed and index, so
no two streams ever produce the same spec.

What is drawn is what the shipped specs and the papers they follow build, at 224×224, 3 channels,
1000 classes:

``mmb``
    EMO's iRMB (``specs/emo.yaml``): conv-only or windowed (local or grid partition, windows of
    4–8, padded where they do not divide the map) or global attention, SE, expansion λ 1–6.
``ir``
    MobileNetV2/V3's inverted residual (an ``mmb`` with F = depthwise conv): ReLU, ReLU6 or
    hardswish, SE with a hard-sigmoid gate.
``uib``
    MobileNetV4's Universal Inverted Bottleneck: ExtraDW, IB, ConvNeXt and FFN forms, optional
    SE and layer scale.
``conv``
    plain convolutions: every stem, MobileNetV4's fused inverted bottleneck (a k×k conv that
    expands, a 1×1 that projects), VGG-like 3×3 stacks and the odd grouped conv.
``shuffle``
    ShuffleNet V2 units (split, branch, concat, shuffle) as ``specs/shufflenet_v2.yaml`` writes
    them, after a conv + max-pool stem.

A network has one *style* (EMO, MobileNetV2/V3, MobileNetV4, ShuffleNet V2, plain conv, or a
mix of families stage by stage), 4–5 stages of depth 1–4 whose strides bring 224 to 7 as real
networks do, stage widths up to 512 (the head's 1×1 conv up to 1280, as MobileNetV2's), about a
fifth of the stages with widths that are not multiples of 8, and a size drawn log-uniformly
between :data:`MIN_MACS` and :data:`MAX_MACS` multiply-accumulates (widths are scaled to reach
it). Every network returned loads, resolves and traces with archspec; a draw that does not is
drawn again, a bounded number of times.

    python -m archspec.calibrate.generate --stream heldout --seed 0 -n 5 -o DIR
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the streams; each is its own sequence of networks
STREAMS = ("calibration", "validation", "heldout")
#: the block families a network is drawn from (``family_mix`` keys)
FAMILIES = ("mmb", "ir", "uib", "conv", "shuffle")
#: network styles and how often each is drawn
STYLES: Mapping[str, float] = {"emo": 0.22, "mbv2v3": 0.18, "mbv4": 0.18, "shufflenet": 0.12,
                               "plain": 0.05, "mixed": 0.25}
#: the size range, in multiply-accumulates (MobileNetV3-small has 57 M, EMO-1M 255 M)
MIN_MACS = 25e6
MAX_MACS = 600e6
#: and in parameters (MobileNetV4-conv-medium has 9.7 M)
MAX_PARAMS = 12e6
#: widths of the stages; the head's 1×1 conv may reach MAX_HEAD_WIDTH
MAX_WIDTH = 512
MAX_HEAD_WIDTH = 1280
#: share of stages whose widths are drawn off the multiples of 8
UNALIGNED = 0.2
#: draws per network before giving up (a draw fails when it does not resolve or misses the size)
MAX_DRAWS = 200

INPUT_SIZE = 224
NUM_CLASSES = 1000

Block = dict[str, Any]


@dataclass(frozen=True)
class GeneratedNetwork:
    """One drawn network: its name (stream, seed and index), its spec text, and how many of its
    blocks (stem and stages; the head aside) each family contributes."""

    name: str
    text: str
    family_mix: Mapping[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- public


def generate_networks(seed: int, n: int, *, stream: str) -> list[GeneratedNetwork]:
    """The first ``n`` networks of ``stream`` with ``seed``: deterministic, and a prefix of any
    longer list of the same stream and seed. ValueError for an unknown stream or a negative n;
    RuntimeError if a network cannot be drawn in :data:`MAX_DRAWS` tries (a generator bug)."""
    if stream not in STREAMS:
        raise ValueError(f"stream: expected one of {', '.join(STREAMS)}, got {stream!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected an int ≥ 0, got {seed!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n: expected an int ≥ 0, got {n!r}")
    rng = random.Random(f"{stream}:{seed}")
    return [_draw_network(rng, f"{stream}_s{seed}_n{i:03d}", stream, seed, i) for i in range(n)]


def calibration_networks(seed: int, n: int) -> list[GeneratedNetwork]:
    """Networks to fit on (never judged)."""
    return generate_networks(seed, n, stream="calibration")


def validation_networks(seed: int, n: int) -> list[GeneratedNetwork]:
    """Networks to tune on (never fitted, never judged)."""
    return generate_networks(seed, n, stream="validation")


def heldout_networks(seed: int, n: int) -> list[GeneratedNetwork]:
    """Networks to judge on (never fitted, never tuned)."""
    return generate_networks(seed, n, stream="heldout")


# ---------------------------------------------------------------------------------- drawing


def _draw_network(rng: random.Random, name: str, stream: str, seed: int,
                  index: int) -> GeneratedNetwork:
    for _ in range(MAX_DRAWS):
        plan_seed = rng.getrandbits(64)
        target = math.exp(rng.uniform(math.log(MIN_MACS), math.log(MAX_MACS)))
        drawn = _fit_size(plan_seed, target, name, f"stream {stream}, seed {seed}, "
                          f"network {index}")
        if drawn is not None:
            return drawn
    raise RuntimeError(f"{name}: no network resolved within the size bounds in {MAX_DRAWS} draws")


def _fit_size(plan_seed: int, target: float, name: str, origin: str) -> GeneratedNetwork | None:
    """The plan drawn from ``plan_seed`` with its widths scaled towards ``target`` MACs; None
    when it does not resolve or its size stays out of bounds."""
    scale = 1.0
    for _ in range(3):
        net = _Plan(random.Random(plan_seed), scale).network(name, origin)
        size = _size(net.text)
        if size is None:
            return None
        macs, params = size
        if params > MAX_PARAMS:
            return None
        if MIN_MACS <= macs <= MAX_MACS and abs(math.log(macs / target)) < math.log(1.25):
            return net
        scale *= (target / macs) ** (1 / 1.8)
        scale = min(max(scale, 0.25), 6.0)
    return net if MIN_MACS <= macs <= MAX_MACS else None


def _size(text: str) -> tuple[int, int] | None:
    """The network's (MACs, parameters), or None when it does not load, resolve or trace."""
    from archspec.blocks.trace import trace
    from archspec.diagnostics import SpecError
    from archspec.spec.document import loads
    from archspec.spec.resolve import resolve

    try:
        net = resolve(loads(text, "<generated>"))
    except SpecError:
        return None
    totals = trace(net).totals()
    return totals.macs, totals.params


def _unaligned(rng: random.Random, value: float, quantum: int) -> int:
    """A width near ``value``, a multiple of ``quantum``, not a multiple of 8 where it can be."""
    w = max(quantum, round(value / quantum) * quantum)
    if w % 8 == 0 and quantum % 8:
        w += quantum if rng.random() < 0.5 or w == quantum else -quantum
    return w


class _Plan:
    """One network drawn from its own random stream: every choice is the stream's, the widths
    are multiplied by ``scale`` (so the same stream at another scale is the same design, wider or
    narrower)."""

    def __init__(self, rng: random.Random, scale: float) -> None:
        self.rng = rng
        self.scale = scale
        self.mix = dict.fromkeys(FAMILIES, 0)
        self.stem_out = 0  # the stem's output width, once drawn

    # -- helpers -------------------------------------------------------------------------
    def pick(self, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        return self.rng.choices(list(options), weights=weights)[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def width(self, value: float, *, aligned: bool, quantum: int = 1,
              limit: int = MAX_WIDTH) -> int:
        """``value`` (already scaled) as a channel count: a multiple of 8 when ``aligned``, else
        a multiple of ``quantum`` that is not a multiple of 8; at most ``limit`` (rounded down
        to the quantum)."""
        q = math.lcm(quantum, 8) if aligned else quantum
        w = max(q, round(value / q) * q) if aligned else _unaligned(self.rng, value, quantum)
        while w > limit and w > q:
            w -= q
        return w

    # -- the network ---------------------------------------------------------------------
    def network(self, name: str, origin: str) -> GeneratedNetwork:
        rng = self.rng
        style = self.pick(list(STYLES), list(STYLES.values()))
        stem, hw = self.stem(style)
        n_stages = self.pick((4, 5), (0.55, 0.45))
        downs = int(round(math.log2(hw / 7)))
        strided = set(rng.sample(range(n_stages), downs))
        rel = rng.uniform(0.75, 1.5)
        stages = []
        in_ch = self.stem_out
        for i in range(n_stages):
            stride = 2 if i in strided else 1
            rel *= rng.uniform(1.6, 2.3) if stride == 2 else rng.uniform(1.1, 1.5)
            hw_in = hw
            hw = hw // stride
            family = self.stage_family(style, i, n_stages, hw)
            depth = self.pick((1, 2, 3, 4), self.depth_weights(i, n_stages))
            name_i = f"s{i + 1}"
            blocks, in_ch = self.stage(family, in_ch=in_ch, rel=rel, stride=stride, depth=depth,
                                       hw=hw, hw_in=hw_in)
            stages.append((name_i, blocks))
        head = self.head(style, in_ch)
        text = _emit(name, origin, style, stem, stages, head)
        return GeneratedNetwork(name, text, dict(self.mix))

    def depth_weights(self, i: int, n: int) -> tuple[float, ...]:
        if i == 0:
            return (0.45, 0.35, 0.15, 0.05)
        if i >= n - 2:
            return (0.15, 0.3, 0.3, 0.25)
        return (0.2, 0.35, 0.3, 0.15)

    def stage_family(self, style: str, i: int, n: int, hw: int) -> str:
        if style == "emo":
            return "mmb"
        if style == "mbv2v3":
            return "ir"
        if style == "shufflenet":
            return "shuffle"
        if style == "plain":
            return "conv"
        if style == "mbv4":
            if i == 0 or (i == 1 and self.chance(0.5)):
                return "conv"
            return "mmb" if i == n - 1 and self.chance(0.25) else "uib"
        weights = {"mmb": 0.3 if hw <= 28 else 0.1, "ir": 0.25, "uib": 0.25,
                   "conv": 0.15 if hw >= 28 else 0.04, "shuffle": 0.12}
        return str(self.pick(list(weights), list(weights.values())))

    # -- stem and head -------------------------------------------------------------------
    def stem(self, style: str) -> tuple[list[Block], int]:
        act = self.pick(("relu", "relu6", "hardswish", "silu", "none"), (3, 2, 2, 2, 1))
        aligned = not self.chance(UNALIGNED)
        out = self.width(max(12.0, self.rng.uniform(12, 32) * math.sqrt(self.scale)),
                         aligned=aligned, quantum=2, limit=64)
        conv: Block = {"block": "conv", "out": out, "k": 3, "stride": 2, "act": act}
        if style == "emo":
            conv.update(bias=True, norm={"type": "bn", "eps": 1e-6}, act="none")
        blocks = [conv]
        self.mix["conv"] += 1
        hw = INPUT_SIZE // 2
        if style == "shufflenet":
            blocks.append({"block": "pool", "kind": "max", "k": 3, "stride": 2, "padding": 1})
            hw //= 2
        elif style == "emo" and self.chance(0.7):
            blocks.append({"block": "mmb", "out": out, "exp": 1, "expand": False, "se": 1.0,
                           "se_act": "silu", "dw_act": "silu", "skip": False,
                           "dw_norm": {"type": "bn", "eps": 1e-6}, "proj_norm": "none"})
            self.mix["mmb"] += 1
        elif style == "mbv2v3" and self.chance(0.6):
            blocks.append({"block": "mmb", "out": self.width(out * self.rng.uniform(0.5, 1),
                                                             aligned=aligned, quantum=2),
                           "exp": 1, "expand": False, "expand_act": act, "dw_act": act})
            self.mix["ir"] += 1
        elif style == "mbv4" and self.chance(0.5):
            mid = self.width(out * self.pick((2, 3, 4)), aligned=True)
            blocks += [{"block": "conv", "out": mid, "k": 3, "stride": 1},
                       {"block": "conv", "out": out, "k": 1, "act": "none"}]
            self.mix["conv"] += 2
        self.stem_out = blocks[-1].get("out", out)
        return blocks, hw

    def head(self, style: str, in_ch: int) -> list[Block]:
        rng = self.rng
        classifier: Block = {"block": "linear", "out": NUM_CLASSES}
        pool: Block = {"block": "pool", "kind": "avg", "global": True}
        # real heads widen to 576-1280 whatever the last stage's width (MobileNetV3-small: 96 →
        # 576, MobileNetV2 x0.35: 112 → 1280)
        wide = self.width(rng.uniform(max(2 * in_ch, 384), max(4 * in_ch, MAX_HEAD_WIDTH)),
                          aligned=True, limit=MAX_HEAD_WIDTH)
        kind = {"emo": "norm", "mbv2v3": self.pick(("v2", "v3")), "mbv4": "v4",
                "shufflenet": "conv", "plain": "conv"}.get(style) or \
            self.pick(("norm", "v2", "v3", "v4", "conv", "bare"), (1, 2, 2, 2, 2, 1))
        if kind == "norm":
            return [{"block": "norm", "norm": {"type": "ln", "eps": 1e-6}}, pool, classifier]
        if kind == "v2":
            return [{"block": "conv", "out": wide, "k": 1, "act": "relu6"}, pool,
                    {"block": "dropout", "p": 0.2}, classifier]
        if kind == "v3":
            return [{"block": "conv", "out": wide, "k": 1, "act": "hardswish"}, pool,
                    {"block": "linear", "out": self.width(wide * rng.uniform(1, 1.4),
                                                          aligned=True, limit=MAX_HEAD_WIDTH),
                     "act": "hardswish"},
                    {"block": "dropout", "p": 0.2}, classifier]
        if kind == "v4":
            return [pool, {"block": "conv", "out": wide, "k": 1}, classifier]
        if kind == "conv":
            return [{"block": "conv", "out": wide, "k": 1}, pool, classifier]
        return [pool, classifier]

    # -- stages --------------------------------------------------------------------------
    def stage(self, family: str, *, in_ch: int, rel: float, stride: int, depth: int, hw: int,
              hw_in: int) -> tuple[list[Block], int]:
        aligned = not self.chance(UNALIGNED)
        value = 16 * rel * self.scale
        if family == "mmb":
            blocks, out = self.mmb_stage(in_ch, value, aligned, stride, depth, hw)
        elif family == "ir":
            blocks, out = self.ir_stage(in_ch, value, aligned, stride, depth)
        elif family == "uib":
            blocks, out = self.uib_stage(in_ch, value, aligned, stride, depth)
        elif family == "conv":
            blocks, out = self.conv_stage(in_ch, value, aligned, stride, depth, hw_in)
        else:
            blocks, out = self.shuffle_stage(in_ch, value, aligned, stride, depth)
        self.mix[family] += len(blocks)
        return blocks, out

    def mmb_stage(self, in_ch: int, value: float, aligned: bool, stride: int, depth: int,
                  hw: int) -> tuple[list[Block], int]:
        rng = self.rng
        attn = depth > 1 and hw <= 28 and self.chance(0.75 if hw <= 14 else 0.4)
        eps = {"type": "bn", "eps": 1e-6}
        common: Block = {"block": "mmb", "mid_round": self.pick(("floor", "round")),
                         "expand_norm": "none", "expand_bias": True, "dw_norm": eps,
                         "dw_act": "silu", "proj_norm": "none", "proj_act": "none"}
        if attn:
            dim_head = self.pick((16, 24, 32)) if aligned else self.pick((20, 21, 28, 36))
            out = self.width(value, aligned=aligned, quantum=dim_head)
            partition = "global" if hw <= 14 and self.chance(0.35) else \
                self.pick(("grid", "local"), (0.6, 0.4))
            attn_fields: Block = {"f": "attn", "dim_head": dim_head, "partition": partition,
                                  "qkv_bias": True, "pre_norm": {"type": "ln", "eps": 1e-6},
                                  "expand_act": "gelu"}
            if partition != "global":
                attn_fields["window"] = self.pick((7, 4, 5, 8), (0.7, 0.1, 0.1, 0.1))
            exp = self.pick((1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0))
            attn_fields["attn_pre"] = exp != int(exp) or self.chance(0.7)
        else:
            out = self.width(value, aligned=aligned, quantum=self.pick((1, 2, 4)))
            attn_fields = {"pre_norm": {"type": "bn", "eps": 1e-6}, "expand_act": "silu"}
            exp = self.pick((1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0))
        dw_k = self.pick((3, 5), (0.6, 0.4))
        first_exp = min(6.0, max(exp * self.pick((1.0, 2.0), (0.4, 0.6)), 1.0))
        first: Block = {**common, "out": out, "exp": first_exp, "dw_k": dw_k,
                        "pre_norm": {"type": "bn", "eps": 1e-6}, "expand_act": "silu"}
        if stride != 1:
            first["stride"] = stride
        if self.chance(0.2):
            first.update(se=0.25, se_act="silu")
        rest: Block = {**common, **attn_fields, "out": out, "exp": exp, "dw_k": dw_k,
                       "dw_skip": rng.random() < 0.8}
        if not attn and self.chance(0.2):
            rest.update(se=0.25, se_act="silu")
        return [first] + [dict(rest) for _ in range(depth - 1)], out

    def ir_stage(self, in_ch: int, value: float, aligned: bool, stride: int,
                 depth: int) -> tuple[list[Block], int]:
        out = self.width(value, aligned=aligned, quantum=self.pick((1, 2, 4)))
        act = self.pick(("relu6", "relu", "hardswish"), (0.4, 0.25, 0.35))
        v3 = self.chance(0.5)
        norm: Any = {"type": "bn", "eps": 0.001, "momentum": 0.01} if v3 else "bn"
        base: Block = {"block": "mmb", "out": out, "expand_act": act, "dw_act": act,
                       "proj_act": "none", "expand_norm": norm, "dw_norm": norm,
                       "proj_norm": norm, "dw_k": self.pick((3, 5), (0.65, 0.35)),
                       "mid_round": "divisible" if aligned and v3 else "round"}
        if v3 and self.chance(0.55):
            base.update(se=0.25, se_round="divisible", se_act="relu", se_gate="hardsigmoid")
        exp = self.pick((2.0, 2.5, 3.0, 4.0, 4.5, 6.0), (1, 1, 2, 2, 1, 3))
        first = {**base, "exp": exp}
        if stride != 1:
            first["stride"] = stride
        return [first] + [{**base, "exp": exp} for _ in range(depth - 1)], out

    def uib_stage(self, in_ch: int, value: float, aligned: bool, stride: int,
                  depth: int) -> tuple[list[Block], int]:
        out = self.width(value, aligned=aligned, quantum=self.pick((1, 2, 4)))
        act = self.pick(("relu", "relu6", "gelu"), (0.7, 0.15, 0.15))
        se = 0.25 if self.chance(0.15) else 0
        scale = 1e-5 if self.chance(0.15) else None
        blocks = []
        for j in range(depth):
            form = self.pick(("extradw", "ib", "convnext", "ffn"),
                             (0.45, 0.35, 0.2, 0.0) if j == 0 else (0.3, 0.3, 0.2, 0.2))
            b: Block = {"block": "uib", "out": out, "exp": self.pick((2, 3, 4, 6), (1, 1, 3, 1)),
                        "act": act}
            if form in ("extradw", "convnext"):
                b["start_dw_k"] = self.pick((3, 5))
            if form in ("extradw", "ib"):
                b["dw_k"] = self.pick((3, 5))
            if j == 0 and stride != 1:
                b["stride"] = stride
            if se and "dw_k" in b:
                b["se"] = se
            if scale:
                b["layer_scale"] = scale
            blocks.append(b)
        return blocks, out

    def conv_stage(self, in_ch: int, value: float, aligned: bool, stride: int, depth: int,
                   hw_in: int) -> tuple[list[Block], int]:
        out = self.width(value, aligned=aligned, quantum=self.pick((1, 2, 4)))
        act = self.pick(("relu", "relu6", "hardswish", "silu", "gelu"), (4, 2, 2, 2, 1))
        blocks: list[Block] = []
        fused = self.chance(0.65)
        units = min(depth, 2) if hw_in >= 56 else depth
        for j in range(units):
            s = stride if j == 0 else 1
            if fused:  # MobileNetV4's fused IB: k×k conv that expands, 1×1 projection
                src = in_ch if j == 0 else out
                mid = self.width(src * self.pick((2, 3, 4)), aligned=True, limit=MAX_WIDTH * 2)
                blocks += [{"block": "conv", "out": mid, "k": 3, "stride": s, "act": act},
                           {"block": "conv", "out": out, "k": 1, "act": "none"}]
            else:
                b: Block = {"block": "conv", "out": out, "k": 3, "stride": s, "act": act}
                if j > 0 and self.chance(0.2):
                    groups = self.pick([g for g in (2, 4, 8) if out % g == 0] or [1])
                    if groups > 1:
                        b["groups"] = groups
                blocks.append(b)
        return blocks, out

    def shuffle_stage(self, in_ch: int, value: float, aligned: bool, stride: int,
                      depth: int) -> tuple[list[Block], int]:
        out = self.width(value, aligned=aligned, quantum=self.pick((2, 4)))
        dw_k = self.pick((3, 5), (0.8, 0.2))
        act = self.pick(("relu", "hardswish"), (0.85, 0.15))
        blocks: list[Block] = []
        for j in range(depth):
            b: Block = {"block": "shuffle", "out": out, "dw_k": dw_k, "act": act}
            if j == 0 and stride != 1:
                b["stride"] = stride
            blocks.append(b)
        return blocks, out


# ---------------------------------------------------------------------------------- YAML


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != 0 and abs(value) < 1e-3:
            mantissa, exponent = f"{value:.1e}".split("e")
            return f"{mantissa}e{int(exponent)}"  # YAML 1.2: 1.0e-6
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) + "}"
    return str(value)


def _template(blocks: list[Block]) -> tuple[Block, Block] | None:
    """(template, first's changes) when the blocks after the first are alike and the first
    writes every field the template does; None otherwise."""
    if len(blocks) < 2 or any(b != blocks[1] for b in blocks[2:]):
        return None
    first, template = blocks[0], blocks[1]
    if first["block"] != template["block"] or not set(template) <= set(first) or \
            first.get("out") != template.get("out"):
        return None
    changes = {k: v for k, v in first.items() if template.get(k) != v}
    return template, changes


def _emit(name: str, origin: str, style: str, stem: list[Block],
          stages: list[tuple[str, list[Block]]], head: list[Block]) -> str:
    lines = [f"# generated by archspec.calibrate.generate ({origin}, style {style})",
             "archspec: 1", f"name: {name}",
             f"input: {{channels: 3, size: {INPUT_SIZE}}}", "stem:"]
    lines += [f"  - {_scalar(b)}" for b in stem]
    lines.append("stages:")
    for stage_name, blocks in stages:
        lines.append(f"  - name: {stage_name}")
        templated = _template(blocks)
        if templated is None:
            lines.append("    blocks:")
            lines += [f"      - {_scalar(b)}" for b in blocks]
            continue
        template, first = templated
        body = {k: v for k, v in template.items() if k != "out"}
        lines += [f"    out: {template['out']}", f"    depth: {len(blocks)}",
                  f"    block: {_scalar(body)}"]
        if first:
            lines.append(f"    first: {_scalar(first)}")
    lines.append("head:")
    lines += [f"  - {_scalar(b)}" for b in head]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m archspec.calibrate.generate",
        description="Write generated networks as archspec spec files (one .yaml each).")
    parser.add_argument("--stream", choices=STREAMS, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("-o", "--out", type=Path, required=True, help="directory to write to")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for net in generate_networks(args.seed, args.n, stream=args.stream):
        (args.out / f"{net.name}.yaml").write_text(net.text)
        print(args.out / f"{net.name}.yaml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
