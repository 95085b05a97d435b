"""Every shipped network with a ``timm:`` name (archspec/data/zoo.yaml) equals that timm 1.0 model.

For each: parameters (analysis, built module and timm's, and the number of state_dict entries);
MACs as FlopCounterMode counts timm's model (FLOPs / 2) at the spec's input size, which is timm's
default for the network, and at 224²; and eval outputs after ``transfer_weights`` with randomised
BatchNorm statistics, max|archspec − timm| / max|timm| ≤ 1e-5 on a seeded batch of 2.

timm's attention runs through ``scaled_dot_product_attention`` when fused attention is on, which
FlopCounterMode does not count on the CPU; the reference is built with it off, so its attention is
the explicit matmuls the analysis counts. The name resolves through the zoo index, as a user's
``archspec.build("ghostnet_100")`` does.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.spec.zoo import networks

from .conftest import randomise, relative_error

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

TIMM = sorted(n.name for n in networks().values() if n.timm)


def reference(name: str) -> torch.nn.Module:
    timm_name = networks()[name].timm
    assert timm_name is not None
    return timm.create_model(timm_name, pretrained=False).eval()


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def timm_macs(model: torch.nn.Module, size: tuple[int, int]) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.zeros(1, 3, *size))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


def test_the_zoo_names_timm_networks() -> None:
    assert len(TIMM) >= 3
    for name in TIMM:
        assert name in timm.list_models(), f"{name}: timm 1.0 has no such model"


@pytest.mark.parametrize("name", TIMM)
def test_spec_input_size_is_timms_default(name: str) -> None:
    ref = reference(name)
    assert archspec.resolve(name).input_shape == tuple(ref.pretrained_cfg["input_size"])


@pytest.mark.parametrize("name", TIMM)
def test_parameters_equal_timm(name: str, explicit_attention: None) -> None:
    ref = reference(name)
    model = archspec.build(name)
    assert archspec.analyze(name).total.params == count(ref) == count(model)
    assert len(model.state_dict()) == len(ref.state_dict())


@pytest.mark.parametrize("name", TIMM)
def test_macs_equal_flop_counter_at_the_spec_size_and_at_224(name: str,
                                                             explicit_attention: None) -> None:
    ref = reference(name)
    size = archspec.resolve(name).input_shape[1:]
    assert archspec.analyze(name).total.macs == timm_macs(ref, size)
    assert archspec.analyze(name, input_size=224).total.macs == timm_macs(ref, (224, 224))


@pytest.mark.parametrize("name", TIMM)
def test_outputs_equal_timm_after_weight_transfer(name: str) -> None:
    """Compared in float64. With randomised BatchNorm statistics some deep networks are chaotic
    in float32: MobileNetV4-Hybrid-L's logits reach ~1e13, and timm's own float32 output differs
    from its float64 output by 26 % at one thread (kernels sum in another order), so a float32
    comparison would measure the thread count, not the network. In float64 both agree to ~1e-15."""
    torch.manual_seed(0)
    ref = randomise(reference(name))
    model = archspec.build(name).eval()
    archspec.transfer_weights(ref, model)
    ref, model = ref.double(), model.double()
    x = torch.randn(2, *archspec.resolve(name).input_shape, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-5
