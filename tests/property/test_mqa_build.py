"""Analysis ≡ module on networks where ``mqa`` blocks are frequent (tests/property/test_build
draws them among every family), and its two attention implementations agree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archspec
from archspec.testing.strategies import GeneratedSpec, specs

from ._support import examples, load_generated, variants_of

torch = pytest.importorskip("torch")
pytest.importorskip("archspec.nn")


@settings(max_examples=examples(cheap=False))
@given(spec=specs(families=("mqa", "conv", "norm", "pool", "linear")),
       seed=st.integers(0, 2**16))
def test_module_is_the_analysed_network(spec: GeneratedSpec, seed: int) -> None:
    """Parameters, output shape and FlopCounterMode's MACs (explicit matmuls) equal the
    analysis; sdpa and explicit matmuls give the same outputs."""
    from torch.utils.flop_counter import FlopCounterMode

    doc = load_generated(spec.document)
    torch.manual_seed(seed)
    for variant in variants_of(doc):
        a = archspec.analyze(doc, variant=variant)
        model = archspec.build(doc, variant=variant).eval()
        assert sum(p.numel() for p in model.parameters()) == a.total.params
        x = torch.randn(2, *a.net.input_shape)
        with torch.no_grad():
            fused = model(x)
        archspec.nn.set_attention_impl(model, "explicit")
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            y = model(x[:1])
        assert tuple(y.shape) == (1, *a.total.output_shape)
        assert counter.get_total_flops() // 2 == a.total.macs
        with torch.no_grad():
            explicit = model(x)
        scale = 1.0 + float(explicit.abs().max())
        assert torch.allclose(fused, explicit, rtol=1e-4, atol=1e-5 * scale)
