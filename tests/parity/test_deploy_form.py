"""The deploy form is the truth of its analysis, and computes what the training form computes.

For every spec under specs/ and every variant (the zoo's networks among them), at a 64×64
input where the network takes one (else at the spec's size), batch 1: ``to_deploy(model)`` has
exactly the parameters of ``archspec.analyze(..., deploy=True)`` and FlopCounterMode's FLOPs / 2
equal its MACs (attention switched to explicit matmuls for the count, as in
test_analysis_truth). With randomised BN statistics and affines, so every fold is non-trivial,
its eval output equals the training form's within 1e-5 of max |output|: in float32 as built, and
in float64 (both forms cast after folding), which isolates the fold from float32 arithmetic.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

import archspec
from archspec.spec.zoo import DATA, networks

from .conftest import SPECS, randomise, relative_error
from .test_analysis_truth import CASES

torch = pytest.importorskip("torch")

RTOL = 1e-5
SIZE = 64


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """One intra-op thread per test: under ``pytest -n 2`` on a busy machine, torch's default
    (a thread per core, per worker) makes these small forwards tens of times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def test_every_zoo_network_is_a_case() -> None:
    cases = set(CASES)
    for name, entry in networks().items():
        assert (str(entry.spec.relative_to(DATA / "specs")), entry.variant) in cases, name


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "variant"), CASES, ids=[f"{s}:{v}" for s, v in CASES])
def test_deploy_form_equals_its_analysis_and_the_training_form(spec: str,
                                                              variant: str | None) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    from archspec.nn import set_attention_impl
    from archspec.nn.deploy import to_deploy

    try:
        analysis = archspec.analyze(SPECS / spec, variant=variant, deploy=True, input_size=SIZE)
    except archspec.SpecError:  # the network needs a larger input
        analysis = archspec.analyze(SPECS / spec, variant=variant, deploy=True)
    torch.manual_seed(0)
    model = randomise(archspec.build(SPECS / spec, variant=variant))
    deployed = to_deploy(model)
    assert sum(p.numel() for p in deployed.parameters()) == analysis.total.params
    x = torch.randn(1, *analysis.net.input_shape, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        want, got = model(x), deployed(x)
    assert relative_error(got, want) <= RTOL
    with torch.inference_mode():
        want, got = copy.deepcopy(model).double()(x.double()), \
            copy.deepcopy(deployed).double()(x.double())
    assert relative_error(got, want) <= RTOL
    set_attention_impl(deployed, "explicit")
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        deployed(x)
    assert counter.get_total_flops() == 2 * analysis.total.macs
