"""Eager torch: each op of an archspec graph as the call archspec's own modules make for it, and
the timings of those calls and of whole built networks.

One op is one kernel in eager torch. :func:`op_bench` builds, for an :class:`Op`, the torch call
that :mod:`archspec.nn` runs for it, on tensors of the op's shapes (batch 1; a leading window
axis of an attention's ops is the batch the module runs them at):

=============  ===========================================================================
class          call (as in)
=============  ===========================================================================
conv.*         ``F.conv2d(x, w, b, stride, padding, dilation, groups)`` (nn.Conv2d)
norm.bn        ``F.batch_norm`` in eval (nn.BatchNorm2d)
norm.ln        :class:`~archspec.nn.layers.LayerNorm2d`: NCHW→NHWC copy, LayerNorm, copy back
act.*          :func:`~archspec.nn.layers.make_act`'s module, in place where archspec builds it
               in place (every activation but the ``act`` family's); its input is restored
               untimed before each call
add            ``a + b``
mul            ``x * gate`` (SE's gate broadcast over H, W)
mul.scalar     ``x * scale`` (attention), ``x * γ.view(1, -1, 1, 1)`` (layer scale)
matmul         ``a @ b``, batched over windows × heads
softmax        ``x.softmax(dim=-1)``
copy           window partition / reverse (:data:`~archspec.nn.mmb.PARTITIONS`), heads split
               (``view → transpose → contiguous``) and merge (``transpose → reshape``)
pad, crop      ``F.pad(x, (0, r, 0, b))``; ``y[:, :, :h, :w].contiguous()``
pool.*         SE's ``x.mean((2, 3), keepdim=True)``; else ``adaptive_*_pool2d`` (global),
               ``avg_pool2d`` / ``max_pool2d``
concat         ``torch.cat(xs, dim=1)``; shuffle: :func:`~archspec.nn.shuffle.channel_shuffle`
linear         ``F.linear``
view           ``x.narrow(1, start, size)`` (a split piece), ``x.flatten(1)``, ``x.view(…)``
=============  ===========================================================================

Differences from a network's forward, left to the network correction: nn.Module dispatch,
mmb's in-place residual add (``add_`` when proj_act is none), and attention, which a built
network runs through ``scaled_dot_product_attention`` unless switched to ``explicit``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from archspec.calibrate.harness import Bench, interleaved, robust, visit_means
from archspec.calibrate.samples import KernelTiming, NetworkTiming
from archspec.calibrate.timing import unique_ops as _unique_ops
from archspec.graph.op import Op, OpKind
from archspec.latency.kernels import (
    TORCH_FUSION,
    class_totals,
    features,
    kernel_class,
    kernels,
    summed_features,
)

if TYPE_CHECKING:
    import torch

    from archspec.calibrate.nets import CalibNet
    from archspec.graph.opgraph import OpGraph

#: activation names archspec builds in place after a conv, norm or linear (nn/layers._INPLACE)
_ACT_FAMILY = "act"  # the one family whose activation is never in place


def _batched(shape: tuple[int, ...]) -> tuple[int, ...]:
    """An op shape as the module sees it: maps (C, H, W) and vectors get batch 1; a 4-D shape
    already leads with its windows (the batch the module runs them at)."""
    return shape if len(shape) >= 4 else (1, *shape)


def variant(op: Op) -> str:
    """Which of archspec's implementations runs ``op`` where its class alone does not say."""
    if op.kind == OpKind.POOL and op.attrs.get("global_pool") and op.origin.field == "se":
        return "mean"
    if op.kind == OpKind.ACT and _inplace(op):
        return "inplace"
    if op.kind == OpKind.MUL and "scalar" in op.attrs and op.attrs.get("params"):
        return "learnable"
    return ""


def _inplace(op: Op) -> bool:
    from archspec.nn.layers import _INPLACE

    return op.attrs["type"] in _INPLACE and op.origin.family != _ACT_FAMILY


def op_bench(op: Op) -> Bench:
    """The torch call archspec's modules make for ``op``, with inputs of its shapes; ValueError
    for an op no kernel runs (a view, the graph's ends)."""
    import torch

    if kernel_class(op) is None:
        raise ValueError(f"{op.name}: a {op.kind} op runs no kernel")
    gen = torch.Generator().manual_seed(0)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=gen)

    xs = [rand(*_batched(s)) for s in op.in_shapes]
    make = _MAKERS.get(op.kind)
    if make is None:
        raise ValueError(f"{op.name}: no torch kernel for op kind {op.kind}")
    return make(op, xs, rand)


Rand = Callable[..., "torch.Tensor"]


def _conv(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch.nn.functional as F

    a = op.attrs
    x = xs[0]
    cin, cout = x.shape[1], op.out_shape[-3]
    w = rand(cout, cin // a["groups"], a["k"], a["k"]) * 0.1
    b = rand(cout) if a["bias"] else None
    s, p, d, g = a["stride"], a["padding"], a["dilation"], a["groups"]
    return Bench(lambda: F.conv2d(x, w, b, s, p, d, g))


def _norm(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch
    import torch.nn.functional as F

    from archspec.nn.layers import LayerNorm2d

    x = xs[0]
    c, eps = x.shape[1], op.attrs["eps"]
    if op.attrs["type"] == "bn":
        mean, var = rand(c), torch.rand(c) + 0.5
        w, b = rand(c), rand(c)
        return Bench(lambda: F.batch_norm(x, mean, var, w, b, False, 0.0, eps))
    if op.attrs["type"] == "ln":
        ln = LayerNorm2d(c, eps=eps).eval()
        return Bench(lambda: ln.forward(x))
    raise ValueError(f"{op.name}: unknown norm {op.attrs['type']!r}")


def _act(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    from archspec.nn.layers import make_act

    act = make_act(op.attrs["type"], inplace=_inplace(op))
    x = xs[0]
    if not _inplace(op):
        return Bench(lambda: act.forward(x))
    pristine = x.clone()
    return Bench(lambda: act.forward(x), prepare=lambda: x.copy_(pristine))


def _add(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    a, b = xs
    return Bench(lambda: a + b)


def _mul(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    x = xs[0]
    if "scalar" not in op.attrs:
        gate = xs[1]
        return Bench(lambda: x * gate)
    if op.attrs.get("params"):
        gamma = rand(x.shape[-3])
        return Bench(lambda: x * gamma.view(1, -1, 1, 1))
    scale = float(op.attrs["scalar"])
    return Bench(lambda: x * scale)


def _matmul(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    a, b = (t.squeeze(0) if t.dim() == 4 and len(s) == 3 else t
            for t, s in zip(xs, op.in_shapes, strict=True))
    return Bench(lambda: a @ b)


def _softmax(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    x = xs[0]
    return Bench(lambda: x.softmax(dim=-1))


def _copy(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    from archspec.nn.mmb import PARTITIONS

    src, out = op.in_shapes[0], op.out_shape
    pattern = op.attrs.get("pattern", "")
    if not op.attrs.get("copy"):  # a view: one window's partition, k transposed for the scores
        x = xs[0]
        return Bench(lambda: x.view(_batched(out)))
    if pattern and len(src) == 3 and len(out) == 4:  # partition: c H W -> nw c wh ww
        x = xs[0]
        n1, n2 = src[1] // out[2], src[2] // out[3]
        part = PARTITIONS[pattern][0]
        return Bench(lambda: part(x, n1, n2))
    if pattern and len(src) == 4 and len(out) == 3:  # reverse: nw c wh ww -> c H W
        x = xs[0]
        n1, n2 = out[1] // src[2], out[2] // src[3]
        rev = PARTITIONS[pattern][1]
        return Bench(lambda: rev(x, n1, n2))
    if len(src) == 4 and len(out) == 3:  # heads split: nw c wh ww -> (nw heads) t d
        x = xs[0]
        bh, t, d = out
        return Bench(lambda: x.view(bh, d, t).transpose(-2, -1).contiguous())
    if len(src) == 3 and len(out) == 4:  # heads merge: (nw heads) t d -> nw c wh ww
        y = xs[0].squeeze(0) if xs[0].dim() == 4 else xs[0]
        return Bench(lambda: y.transpose(-2, -1).reshape(out))
    x = xs[0]
    return Bench(lambda: x.clone().view(_batched(out)))


def _split(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    x, start, size = xs[0], op.attrs["start"], op.out_shape[0]
    return Bench(lambda: x.narrow(1, start, size))


def _flatten(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    x = xs[0]
    return Bench(lambda: x.flatten(1))


def _pad(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch.nn.functional as F

    x = xs[0]
    pad = (0, op.attrs["right"], 0, op.attrs["bottom"])
    return Bench(lambda: F.pad(x, pad))


def _crop(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    x = xs[0]
    h, w = op.out_shape[-2:]
    return Bench(lambda: x[:, :, :h, :w].contiguous())


def _resize(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch.nn.functional as F

    x, size, mode = xs[0], tuple(op.out_shape[-2:]), op.attrs["mode"]
    corners = False if mode == "bilinear" else None
    return Bench(lambda: F.interpolate(x, size=size, mode=mode, align_corners=corners))


def _pool(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch.nn.functional as F

    x, a = xs[0], op.attrs
    if a.get("global_pool"):
        if variant(op) == "mean":
            return Bench(lambda: x.mean((2, 3), keepdim=True))
        pool = F.adaptive_avg_pool2d if a["mode"] == "avg" else F.adaptive_max_pool2d
        return Bench(lambda: pool(x, 1))
    k, s, p, ceil = a["k"], a["stride"], a["padding"], a["ceil_mode"]
    if a["mode"] == "avg":
        return Bench(lambda: F.avg_pool2d(x, k, s, p, ceil))
    return Bench(lambda: F.max_pool2d(x, k, s, p, ceil_mode=ceil))


def _concat(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch

    return Bench(lambda: torch.cat(xs, dim=1))


def _shuffle(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    from archspec.nn.shuffle import channel_shuffle

    x, groups = xs[0], op.attrs["groups"]
    return Bench(lambda: channel_shuffle(x, groups))


def _linear(op: Op, xs: list[torch.Tensor], rand: Rand) -> Bench:
    import torch.nn.functional as F

    x = xs[0]
    w = rand(op.out_shape[0], x.shape[1]) * 0.05
    b = rand(op.out_shape[0]) if op.attrs["bias"] else None
    return Bench(lambda: F.linear(x, w, b))


_MAKERS: dict[OpKind, Callable[[Op, list[Any], Rand], Bench]] = {
    OpKind.CONV: _conv, OpKind.NORM: _norm, OpKind.ACT: _act, OpKind.ADD: _add,
    OpKind.MUL: _mul, OpKind.MATMUL: _matmul, OpKind.SOFTMAX: _softmax, OpKind.RESHAPE: _copy,
    OpKind.PAD: _pad, OpKind.CROP: _crop, OpKind.RESIZE: _resize, OpKind.POOL: _pool, OpKind.CONCAT: _concat,
    OpKind.SHUFFLE: _shuffle, OpKind.LINEAR: _linear, OpKind.SPLIT: _split,
    OpKind.FLATTEN: _flatten,
}


# --------------------------------------------------------------------------- kernels


def unique_ops(ops: Sequence[Op]) -> list[Op]:
    """One op per distinct eager-torch kernel (:func:`archspec.calibrate.timing.unique_ops`)."""
    return _unique_ops(ops, variant)


def pin_torch(threads: int) -> dict[str, Any]:
    """Pin torch's intra- and inter-op threads; returns the settings to record."""
    import torch

    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # already set, or work started, in this process
        torch.set_num_interop_threads(1)
    return {"torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "mkldnn": bool(torch.backends.mkldnn.enabled)}


def time_kernels(ops: Sequence[Op], *, threads: int = 1, repeats: int = 5, rounds: int = 5,
                 warmup: int = 2, seed: int = 0,
                 on_round: Callable[[int, int], None] | None = None) -> list[KernelTiming]:
    """One timing per distinct kernel among ``ops`` (see :func:`unique_ops`, same order):
    ``rounds`` × ``repeats`` calls each, interleaved, under ``torch.inference_mode()`` at
    ``threads`` threads; a sample is one visit's mean (``rounds`` samples per kernel)."""
    import torch

    uniq = unique_ops(ops)
    pin_torch(threads)
    with torch.inference_mode():
        benches = [op_bench(op) for op in uniq]
        samples = interleaved(benches, repeats=repeats, rounds=rounds, warmup=warmup, seed=seed,
                              on_round=on_round)
    out = []
    for op, s in zip(uniq, samples, strict=True):
        stat = robust(visit_means(s, repeats))
        cls = kernel_class(op)
        assert cls is not None
        out.append(KernelTiming(cls, features(op), stat.ms, stat.iqr))
    return out


# --------------------------------------------------------------------------- fused kernels


def attention_chains(graphs: Sequence[OpGraph]) -> list[tuple[Op, ...]]:
    """The distinct attention chains (q·kᵀ, scale, softmax, ·v) of ``graphs`` that eager torch
    runs as one ``scaled_dot_product_attention`` (:data:`TORCH_FUSION`), as their ops."""
    seen: dict[tuple[Any, ...], tuple[Op, ...]] = {}
    for graph in graphs:
        for kernel in kernels(graph, TORCH_FUSION):
            if kernel.cls != "attention":
                continue
            ops = tuple(graph.op_of[n] for n in kernel.nodes)
            key = tuple((o.in_shapes, o.out_shape, o.attrs.get("scalar")) for o in ops)
            seen.setdefault(key, ops)
    return list(seen.values())


def attention_bench(chain: Sequence[Op]) -> Bench:
    """``scaled_dot_product_attention`` as archspec's attention modules call it, at the shapes
    of one traced chain: q from the first matmul, k from kᵀ, v from the second matmul."""
    import torch
    import torch.nn.functional as F

    scores, scale_op, _, apply = chain
    gen = torch.Generator().manual_seed(0)
    q_shape, kt_shape = (_batched(s) for s in scores.in_shapes)
    v_shape = _batched(apply.in_shapes[1])
    q = torch.randn(q_shape, generator=gen)
    k = torch.randn((*kt_shape[:-2], kt_shape[-1], kt_shape[-2]), generator=gen)
    v = torch.randn(v_shape, generator=gen)
    scale = float(scale_op.attrs["scalar"])
    return Bench(lambda: F.scaled_dot_product_attention(q, k, v, scale=scale))


def time_attention(chains: Sequence[Sequence[Op]], *, threads: int = 1, repeats: int = 5,
                   rounds: int = 5, warmup: int = 2, seed: int = 0,
                   on_round: Callable[[int, int], None] | None = None) -> list[KernelTiming]:
    """One ``attention`` timing per chain (see :func:`attention_chains`), as
    :func:`time_kernels` times ops."""
    import torch

    if not chains:
        return []
    pin_torch(threads)
    with torch.inference_mode():
        benches = [attention_bench(c) for c in chains]
        samples = interleaved(benches, repeats=repeats, rounds=rounds, warmup=warmup, seed=seed,
                              on_round=on_round)
    return [KernelTiming("attention", summed_features(c), stat.ms, stat.iqr)
            for c, s in zip(chains, samples, strict=True)
            for stat in (robust(visit_means(s, repeats)),)]


# --------------------------------------------------------------------------- networks


def network_model(net: CalibNet, *, attention: str = "sdpa") -> tuple[Any, torch.Tensor]:
    """The network built with archspec's modules (eval) and one image of its input size."""
    import torch

    from archspec.nn.build import build_module
    from archspec.nn.mmb import set_attention_impl

    model = build_module(net.net).eval()
    set_attention_impl(model, attention)  # type: ignore[arg-type]
    x = torch.randn((1, *net.net.input_shape), generator=torch.Generator().manual_seed(0))
    return model, x


def network_bench(net: CalibNet, *, attention: str = "sdpa") -> Bench:
    """A built network's forward on one image of its input size (run in inference mode)."""
    return _forward(*network_model(net, attention=attention))


def _forward(model: Any, x: torch.Tensor) -> Bench:
    return Bench(lambda: model(x))


def network_totals(net: CalibNet) -> tuple[dict[str, list[float]], int]:
    """Per class the feature sums of the network's kernels (eager torch: one per op, attention
    one ``scaled_dot_product_attention``), and how many kernels it runs."""
    ks = list(kernels(net.graph, TORCH_FUSION))
    return dict(class_totals(ks)), len(ks)


def time_networks(nets: Sequence[CalibNet], *, threads: int = 1, repeats: int = 3,
                  rounds: int = 5, warmup: int = 2, seed: int = 0, attention: str = "sdpa",
                  on_round: Callable[[int, int], None] | None = None) -> list[NetworkTiming]:
    """Each network built with archspec's modules (eval) and timed end to end, interleaved
    across networks; ``attention``: ``sdpa`` (what a built network runs) or ``explicit``
    (the matmul/softmax kernels the graph describes)."""
    import torch

    pin_torch(threads)
    with torch.inference_mode():
        benches = [network_bench(n, attention=attention) for n in nets]
        samples = interleaved(benches, repeats=repeats, rounds=rounds, warmup=warmup, seed=seed,
                              on_round=on_round)
    out = []
    for n, s in zip(nets, samples, strict=True):
        stat = robust(s)
        totals, count = network_totals(n)
        out.append(NetworkTiming(n.name, totals, count, stat.ms, stat.iqr))
    return out


# --------------------------------------------------------------------------- blocks in context


def block_totals(net: CalibNet) -> dict[str, tuple[dict[str, list[float]], int]]:
    """Per top-level block path: the feature sums per class of its kernels, and their count."""
    op_of = net.graph.op_of
    groups: dict[str, list[Any]] = {}
    for k in kernels(net.graph, TORCH_FUSION):
        groups.setdefault(op_of[k.nodes[0]].origin.top, []).append(k)
    return {path: (dict(class_totals(ks)), len(ks)) for path, ks in groups.items()}


def _hook_blocks(model: Any, net: CalibNet, per_block: dict[str, list[float]],
                 now: Callable[[], int], recording: list[bool]) -> list[Any]:
    """Forward hooks that append each top-level block's time (ms) to ``per_block[path]``
    while ``recording[0]``; the modules are the network's stem, stage and head blocks in the
    resolved network's block order."""
    modules = [*model.stem, *(m for stage in model.stages for m in stage), *model.head]
    paths = [b.path for b in net.net.blocks]
    if len(modules) != len(paths):
        raise ValueError(f"{net.name}: {len(modules)} block modules for {len(paths)} blocks")
    handles = []
    for path, module in zip(paths, modules, strict=True):
        xs = per_block.setdefault(path, [])
        start = [0]

        def pre(_m: Any, _args: Any, start: list[int] = start) -> None:
            start[0] = now()

        def post(_m: Any, _args: Any, _out: Any, start: list[int] = start,
                 xs: list[float] = xs) -> None:
            if recording[0]:
                xs.append((now() - start[0]) / 1e6)

        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))
    return handles


def time_blocks(nets: Sequence[CalibNet], *, threads: int = 1, repeats: int = 3,
                rounds: int = 5, warmup: int = 2, seed: int = 0,
                on_round: Callable[[int, int], None] | None = None) -> list[NetworkTiming]:
    """Every top-level block timed *in context*: each network runs whole (interleaved across
    networks, as :func:`time_networks`), and forward hooks on its block modules read the clock
    around each block. One record per block, named ``network/block path``, with the block's
    kernels' feature sums and count: what a block costs with its neighbours' data in the
    caches and its weights cold, which kernels timed alone miss. The hooks' own cost (~1 µs a
    block) is in these times, so networks' end-to-end timings are taken without them."""
    import torch

    from archspec.calibrate.harness import CLOCK, CLOCKS

    pin_torch(threads)
    now = CLOCKS[CLOCK]
    recording = [False]
    samples: list[dict[str, list[float]]] = [{} for _ in nets]
    handles: list[Any] = []
    with torch.inference_mode():
        built = [network_model(n) for n in nets]
        benches = [_forward(m, x) for m, x in built]
        try:
            for n, (model, _), per_block in zip(nets, built, samples, strict=True):
                handles.extend(_hook_blocks(model, n, per_block, now, recording))
            interleaved(benches, repeats=1, rounds=1, warmup=warmup, settle=0, seed=seed)
            recording[0] = True  # every call from here is a sample of each of its blocks
            interleaved(benches, repeats=repeats, rounds=rounds, warmup=0, settle=0,
                        seed=seed + 1, on_round=on_round)
        finally:
            for h in handles:
                h.remove()
    out = []
    for n, per_block in zip(nets, samples, strict=True):
        totals = block_totals(n)
        for path, xs in per_block.items():
            if path in totals and xs:
                stat = robust(xs)
                cls_totals, count = totals[path]
                out.append(NetworkTiming(f"{n.name}/{path}", cls_totals, count, stat.ms,
                                         stat.iqr))
    return out
