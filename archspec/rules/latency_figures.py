"""Findings in predicted time (``lint --device``): what a finding's kernels cost on the device, and
what its fix would save there.

The guideline rules (G1–G4) measure memory access and kernel counts, the paper's proxies for
time. With a device profile the lint context carries the network's prediction
(:class:`~archspec.latency.predict.Prediction`), and a finding can say what its ops really cost on
that device and rank by it. Where the finding's fix is a concrete rewrite, this module predicts
the rewritten kernels the way :func:`~archspec.latency.predict.predict` predicts any kernel —
the profile's class model on the kernel's features, times the network correction's ``scale``,
plus its ``per_kernel_ms`` — and the difference is the saving. The rewrite is local: the ops of
the finding change, their neighbours do not (a balanced 1×1 conv is priced as itself, not with the
norm and activation that would follow it at the new width), so a saving is the saving of those
kernels, never a claim about the retrained network.

The rewrites, one per rule family:

* **G1, G2** (:meth:`Timing.conv_rewrite`): the conv at *equal work*, balanced and dense —
  c1→c2 with g groups becomes c→c with c = √(c1·c2/g), the paper's own comparison (Tables 1
  and 2 hold multiply-accumulates fixed). If the device runs the balanced form no faster, the
  guideline does not hold there, and the finding says so.
* **G3, G4** (:meth:`Timing.fusable`): fewer element-wise passes and fused layout copies — an
  activation, BatchNorm, residual add, scale, softmax or layout copy that alone consumes the
  output of a conv, linear or matmul (or of an op already fused into one, or of a layout copy)
  runs in that kernel's epilogue. The fused kernel keeps its own features (as a fusion the
  profile records costs nothing extra in :func:`~archspec.latency.kernels.kernels`), so the
  saving is the removed kernels' predicted time.

Channel widths rounded to a multiple of 8 (H101) are not predicted: the class models are linear
in the features and have no alignment term, so a width rounded up always predicts slower; that
figure would be an artefact of the model, not of the device.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from archspec.graph.cost import cost_of
from archspec.graph.op import Op
from archspec.latency.kernels import features, kernel_class
from archspec.rules.figures import pct, sig

if TYPE_CHECKING:
    from archspec.latency.model import DeviceProfile
    from archspec.latency.predict import Prediction
    from archspec.rules.context import LintContext

#: Kernel classes that run in the epilogue of the kernel whose output they alone consume.
_EPILOGUE = ("act.", "norm.bn", "add", "mul", "softmax", "copy", "pad", "crop", "shuffle")
#: Kernel classes whose output an epilogue can join (convs, GEMMs, and layout copies, which
#: merge into one copy).
_HOSTS = ("conv.", "linear", "matmul", "copy", "pad", "crop", "shuffle")
_COPIES = ("copy", "pad", "crop", "shuffle")


def ms(x: float) -> str:
    """Predicted milliseconds, three significant digits: 0.0412 → '0.0412 ms', 12.34 → '12.3 ms'."""
    if abs(x) >= 1000:
        return f"{x:.0f} ms"
    return f"{x:.3g} ms"


@dataclass(frozen=True)
class TimeFigure:
    """A finding's kernels on the device: ``latency_ms`` and their ``share`` of the network's
    predicted total; ``saves_ms``: what the rewrite saves (negative: it is slower; None: no
    rewrite applies or a class it needs has no model); ``rewrite``: the rewrite, in words."""

    device: str
    latency_ms: float
    share: float
    total_ms: float
    saves_ms: float | None = None
    rewrite: str | None = None
    #: classes of the finding's kernels the profile has no model for (they count 0 ms)
    missing: tuple[str, ...] = ()

    @property
    def holds(self) -> bool | None:
        """Whether the device bears the guideline out: its rewrite predicts a saving."""
        return None if self.saves_ms is None else self.saves_ms > 0

    def data(self) -> dict[str, Any]:
        """The figures for the Diagnostic's ``data`` (JSON and SARIF carry them)."""
        out: dict[str, Any] = {"device": self.device, "latency_ms": sig(self.latency_ms),
                               "share": sig(self.share), "total_ms": sig(self.total_ms),
                               "saves_ms": None if self.saves_ms is None else sig(self.saves_ms)}
        if self.missing:
            out["missing"] = list(self.missing)
        if self.saves_ms is not None:
            out["saves_share"] = sig(self.saves_ms / self.total_ms) if self.total_ms else 0.0
            out["holds"] = self.holds
            out["rewrite"] = self.rewrite
        return out

    def clause(self, code: str, subject: str = "") -> str:
        """The message's time clause: '0.21 ms (1.9%) on DEV; <rewrite> saves 0.05 ms (0.4%)',
        or '…; <rewrite> predicts 0.01 ms slower: G1 does not hold on this device'."""
        text = f"{subject}{ms(self.latency_ms)} ({pct(self.share)}) on {self.device}"
        if self.missing:
            text += f" (at least: no model for {', '.join(self.missing)})"
        if self.saves_ms is None or self.rewrite is None:
            return text
        total = self.total_ms or 1.0
        if self.saves_ms > 0:
            return f"{text}; {self.rewrite} saves {ms(self.saves_ms)} ({pct(self.saves_ms / total)})"
        what = "predicts no saving" if self.saves_ms == 0 else \
            f"predicts {ms(-self.saves_ms)} slower"
        return f"{text}; {self.rewrite} {what}: {code} does not hold on this device"


class Timing:
    """The prediction of the linted network, read per finding (built once per rule check)."""

    def __init__(self, ctx: LintContext, prediction: Prediction) -> None:
        self.ctx = ctx
        self.prediction = prediction
        self.profile: DeviceProfile = prediction.profile
        self.nodes: Mapping[int, float] = prediction.nodes
        self.total_ms = prediction.total_ms

    # ------------------------------------------------------------------ what is there

    def kernels_ms(self, nodes: Iterable[int]) -> float:
        """Predicted ms of the kernels ``nodes`` head (an op fused into another kernel counts 0;
        an op no backend runs is absent): correction scale and per-kernel overhead included, as
        in the total."""
        get = self.nodes.get
        return sum(get(n, 0.0) for n in nodes)

    def figure(self, nodes: Iterable[int], saves_ms: float | None = None,
               rewrite: str | None = None) -> TimeFigure:
        """The figure of the kernels ``nodes`` head, with a rewrite's saving."""
        nodes = list(nodes)
        latency_ms = self.kernels_ms(nodes)
        share = latency_ms / self.total_ms if self.total_ms else 0.0
        missing = tuple(sorted(self._missing(nodes)))
        if saves_ms is not None and abs(saves_ms) <= 1e-9 * max(self.total_ms, 1.0):
            saves_ms = 0.0  # rounding of equal sums is no saving and no loss
        return TimeFigure(self.profile.name, latency_ms, share, self.total_ms,
                          None if missing else saves_ms, rewrite, missing)

    def _missing(self, nodes: list[int]) -> set[str]:
        if not self.prediction.missing:
            return set()
        gone = set(self.prediction.missing)
        op_of = self.ctx.op_of
        return {c for n in nodes if (c := kernel_class(op_of[n])) in gone and n in self.nodes}

    # ------------------------------------------------------------------ rewritten kernels

    def op_ms(self, op: Op) -> float | None:
        """One op predicted as a kernel of its own, as :func:`predict` predicts a kernel; None
        when the profile has no model for its class."""
        cls = kernel_class(op)
        if cls is None:
            return 0.0
        model = self.profile.classes.get(cls)
        if model is None:
            return None
        corr = self.profile.network
        return corr.kernel_ms(cls, model.ms(features(op)))

    @staticmethod
    def conv_rewrite(op: Op, *, c1: int, c2: int, groups: int = 1) -> Op:
        """``op`` (a conv) with ``c1`` input and ``c2`` output channels and ``groups`` groups,
        its map and kernel unchanged; params, multiply-accumulates and memory access recounted
        by the cost table, so its features are those of the conv as it would be traced."""
        a = dict(op.attrs)
        a["groups"] = groups
        ins = list(op.in_shapes)
        ins[0] = (*ins[0][:-3], c1, *ins[0][-2:])
        out = (*op.out_shape[:-3], c2, *op.out_shape[-2:])
        new = replace(op, in_shapes=tuple(ins), out_shape=out, attrs=a)
        c = cost_of(new)
        return replace(new, params=c.params, macs=c.macs, mem_access=c.mem_access)

    def balanced(self, node: int, *, c1: int, c2: int, groups: int) -> tuple[float | None, str]:
        """G1/G2's rewrite of the conv at ``node``: dense, c→c with c = √(c1·c2/g) (the same
        multiply-accumulates). Returns what it saves (None: a class without a model) and the
        rewrite in words."""
        c = max(1, round(math.sqrt(c1 * c2 / groups)))
        new = self.conv_rewrite(self.ctx.op(node), c1=c, c2=c)
        after = self.op_ms(new)
        words = f"the {'dense' if groups > 1 else 'balanced'} form at equal work ({c}→{c})"
        if after is None:
            return None, words
        return self.kernels_ms((node,)) - after, words

    def fusable(self, nodes: Iterable[int]) -> list[int]:
        """Of ``nodes`` (in topological order), the kernels that would run in the epilogue of
        the kernel they alone read from: element-wise passes after a conv, linear or matmul
        (through ops already fused there) and layout copies after one of those or after another
        copy. An op the profile already fuses (0 ms, not a kernel of its own) extends its host,
        so a chain conv → BN → ReLU is followed through."""
        g = self.ctx.graph.graph
        op_of = self.ctx.op_of
        hosted: dict[int, bool] = {}  # node → its output can take an epilogue

        def can_host(node: int) -> bool:
            got = hosted.get(node)
            if got is None:
                cls = kernel_class(op_of[node])
                got = cls is not None and cls.startswith(_HOSTS)
                hosted[node] = got
            return got

        out: list[int] = []
        for node in nodes:
            op = op_of[node]
            cls = kernel_class(op)
            if cls is None or not cls.startswith(_EPILOGUE) or op.is_view:
                continue
            for pred in g.predecessors(node):
                src = self._through_views(pred)
                if src is not None and g.out_degree(src) == 1 and can_host(src) and \
                        self._epilogue_fits(cls, op, op_of[src]):
                    hosted[node] = True
                    if node in self.nodes:
                        out.append(node)
                    break
        return out

    def _through_views(self, node: int) -> int | None:
        """The op that wrote ``node``'s value, looking through views read by nothing else."""
        g = self.ctx.graph.graph
        op_of = self.ctx.op_of
        while op_of[node].is_view:
            preds = list(g.predecessors(node))
            if len(preds) != 1 or g.out_degree(node) != 1:
                return None
            node = preds[0]
        return node

    @staticmethod
    def _epilogue_fits(cls: str, op: Op, host: Op) -> bool:
        """Layout copies merge with anything; other passes only with a conv, linear or matmul
        (or what was fused into one, which :meth:`fusable` marks as a host), over the host's
        own output shape (SE's broadcast scaling of the map is no epilogue of its tiny conv)."""
        if cls.startswith(_COPIES):
            return True
        host_cls = kernel_class(host) or ""
        return not host_cls.startswith(_COPIES) and op.out_shape == host.out_shape


    def fused_block(self, nodes: list[int], kernels: list[int]) -> TimeFigure:
        """G3/G4's figure: the finding's ``kernels``, and what fusing the passes among ``nodes``
        that can run in their producer's epilogue saves (None: none can)."""
        gone = self.fusable(nodes)
        if not gone:
            return self.figure(kernels)
        words = ("fusing 1 pass into the kernel before it" if len(gone) == 1 else
                 f"fusing {len(gone)} passes into the kernels before them")
        return self.figure(kernels, self.kernels_ms(gone), words)


def timing(ctx: LintContext) -> Timing | None:
    """The context's prediction to state figures in time, or None without ``--device``."""
    return None if ctx.latency is None else Timing(ctx, ctx.latency)
