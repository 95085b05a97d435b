"""What calibration needs of the op graph and the process before anything is timed: which ops
are the same kernel, and the environment the backends read when they load."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from archspec.graph.op import Op
from archspec.latency.kernels import kernel_class

#: oneDNN's primitive cache must hold every distinct shape timed in one process (its default is
#: 1024; shipped specs alone have ~1000 distinct kernels). Read once, when torch loads.
ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
ONEDNN_CACHE_CAPACITY = 16384

#: Attributes of an op that do not change the kernel it runs (a BatchNorm's training momentum):
#: left out of its signature; a matmul's (an attention's geometry) are all left out.
_IRRELEVANT_ATTRS = frozenset({"momentum"})


def pin_threads_env(threads: int) -> dict[str, str]:
    """Set the thread and cache variables the backends read when they load (OMP, MKL, oneDNN's
    primitive cache, unless already set) and return what is in effect, to record. Call before
    torch or onnxruntime is imported; torch's own count is pinned again with
    ``torch.set_num_threads``."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ.setdefault(ONEDNN_CACHE_ENV, str(ONEDNN_CACHE_CAPACITY))
    return {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", ONEDNN_CACHE_ENV)}


def _attr_key(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _attr_key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_attr_key(v) for v in value)
    return value


def signature(op: Op, cls: str, variant: str = "") -> tuple[Any, ...]:
    """What makes two ops the same kernel: class, shapes, the attributes the kernel reads, and
    the implementation the backend picks for it (``variant``: an SE's mean vs a pool layer)."""
    attrs = () if cls == "matmul" else tuple(
        sorted((k, _attr_key(v)) for k, v in op.attrs.items() if k not in _IRRELEVANT_ATTRS))
    return (cls, op.in_shapes, op.out_shape, attrs, variant)




def unique_ops(ops: Sequence[Op], variant: Callable[[Op], str] = lambda op: "") -> list[Op]:
    """One op per distinct kernel (class, shapes, attributes, ``variant(op)``: the backend's
    implementation), first seen first; ops that run nothing (the graph's ends, dropout) left
    out. Views are kept: a backend may dispatch a call for each."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for op in ops:
        cls = kernel_class(op)
        if cls is None:
            continue
        sig = signature(op, cls, variant(op))
        if sig not in seen:
            seen.add(sig)
            out.append(op)
    return out
