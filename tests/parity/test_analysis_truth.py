"""The analysis is the truth about the module, for every spec under specs/ and every variant.

Parameters and output shape must be equal; multiply-accumulates must equal
``torch.utils.flop_counter.FlopCounterMode``'s total / 2. That counter sees 0 FLOPs inside
``scaled_dot_product_attention`` on the CPU, so attention is switched to its explicit-matmul
implementation (``archspec.nn.set_attention_impl(model, "explicit")``) for the count.
"""

from __future__ import annotations

import pytest

import archspec

from .conftest import SPECS

torch = pytest.importorskip("torch")


def cases() -> list[tuple[str, str | None]]:
    out = []
    for path in sorted(SPECS.rglob("*.yaml")):
        doc = archspec.load(path)
        for variant in doc.variants or [None]:
            out.append((str(path.relative_to(SPECS)), variant))
    return out


CASES = cases()


@pytest.mark.parametrize(("spec", "variant"), CASES, ids=[f"{s}:{v}" for s, v in CASES])
def test_analysis_equals_module(spec: str, variant: str | None) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    from archspec.nn import set_attention_impl

    analysis = archspec.analyze(SPECS / spec, variant=variant)
    model = archspec.build(SPECS / spec, variant=variant).eval()
    set_attention_impl(model, "explicit")
    assert sum(p.numel() for p in model.parameters()) == analysis.total.params
    x = torch.randn(1, *analysis.net.input_shape)
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        y = model(x)
    assert tuple(y.shape[1:]) == analysis.total.output_shape
    assert counter.get_total_flops() == 2 * analysis.total.macs
    assert bool(torch.isfinite(y).all())
