"""The built torch module is the network the analysis describes: same parameter count, same
output shape, and FlopCounterMode's conv/linear/matmul count (FLOPs / 2, attention through
explicit matmuls) equal to the analysis's multiply-accumulates; eval outputs are finite; and a
sample's output does not depend on the rest of its batch."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import archspec
from archspec.testing.strategies import GeneratedSpec, specs

from ._support import examples, load_generated, variants_of

torch = pytest.importorskip("torch")
nn_pkg = pytest.importorskip("archspec.nn")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402


def _module_path(name: str, net: Any) -> str:
    """torch module name (``stages.1.0``) → the analysis's block path (``stages.s2[0]``)."""
    parts = name.split(".")
    if parts[0] == "stages":
        stage = net.stage_names[int(parts[1])]
        return f"stages.{stage}[{parts[2]}]"
    return f"{parts[0]}[{parts[1]}]"


def _per_block(counts: dict[str, dict[Any, int]], model: Any) -> dict[str, int]:
    """FlopCounterMode's counts per top-level block (``Network.stages.1.0``), as MACs."""
    out: dict[str, int] = {}
    for name, by_op in counts.items():
        parts = name.split(".")[1:]  # drop the root module's class name
        if parts and len(parts) == (3 if parts[0] == "stages" else 2):
            out[_module_path(".".join(parts), model)] = sum(by_op.values()) // 2
    return out


@settings(max_examples=examples(cheap=False))
@given(spec=specs(), seed=st.integers(0, 2**16))
def test_module_is_the_analysed_network(spec: GeneratedSpec, seed: int) -> None:
    doc = load_generated(spec.document)
    torch.manual_seed(seed)
    for variant in variants_of(doc):
        a = archspec.analyze(doc, variant=variant)
        model = archspec.build(doc, variant=variant).eval()
        nn_pkg.set_attention_impl(model, "explicit")
        params = sum(p.numel() for p in model.parameters())
        assert params == a.total.params, f"variant {variant!r}: module {params}, " \
            f"analysis {a.total.params}"
        x = torch.randn(1, *a.net.input_shape)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            y = model(x)
        assert tuple(y.shape) == (1, *a.total.output_shape), variant
        macs = counter.get_total_flops() // 2
        if macs != a.total.macs:
            module = _per_block(counter.get_flop_counts(), model)
            note("block: analysis MACs / module MACs\n" + "\n".join(
                f"  {b.path}: {b.macs} / {module.get(b.path, 0)}"
                + ("   <- differs" if b.macs != module.get(b.path, 0) else "")
                for b in a.blocks))
        assert macs == a.total.macs, f"variant {variant!r}: FlopCounterMode {macs} MACs, " \
            f"analysis {a.total.macs}"
        assert torch.isfinite(y).all(), variant


def _alone_and_batched(spec: GeneratedSpec, batch: int, seed: int) -> None:
    doc = load_generated(spec.document)
    torch.manual_seed(seed)
    for variant in variants_of(doc):
        model = archspec.build(doc, variant=variant).eval().double()
        x = torch.randn(batch, *model.resolved.input_shape, dtype=torch.float64)
        with torch.no_grad():
            together = model(x)
            for i in range(batch):
                alone = model(x[i:i + 1])[0]
                scale = 1.0 + together[i].abs().max().item()
                assert torch.allclose(together[i], alone, rtol=1e-9, atol=1e-9 * scale), \
                    f"variant {variant!r}: sample {i} of {batch} differs when batched " \
                    f"(max |Δ| {(together[i] - alone).abs().max().item():.3g})"


@settings(max_examples=examples(cheap=False))
@given(spec=specs(), batch=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_a_sample_is_computed_alone(spec: GeneratedSpec, batch: int, seed: int) -> None:
    _alone_and_batched(spec, batch, seed)


@settings(max_examples=examples(cheap=False))
@given(spec=specs(families=("mmb", "pool", "linear"), attention=True),
       batch=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_attention_windows_stay_within_their_sample(spec: GeneratedSpec, batch: int,
                                                    seed: int) -> None:
    """The same, on networks whose every block is windowed attention (every partition,
    windows smaller than the map, padding, attn_pre, v_group)."""
    _alone_and_batched(spec, batch, seed)
