"""transfer_weights: by position, every shape checked, nothing copied on a mismatch."""

from __future__ import annotations

import pytest
import torch
from resolved_blocks import resolve_net

from archspec.nn import WeightTransferError, build_module, transfer_weights
from archspec.nn.transfer import verify_outputs

STEM = [{"block": "conv", "out": 8, "k": 3, "stride": 2}]
HEAD = [{"block": "pool", "global": True}, {"block": "linear", "out": 5}]


def net(width: int = 16, depth: int = 2):
    blocks = [{"block": "mmb", "out": width, "exp": 2.0}] * depth
    return resolve_net(input_shape=(3, 16, 16), stem=STEM, stages={"s1": blocks}, head=HEAD)


def test_transfer_by_position():
    torch.manual_seed(0)
    src, dst = build_module(net()).eval(), build_module(net()).eval()
    renamed = {f"ref.{i}": t for i, t in enumerate(src.state_dict().values())}
    assert transfer_weights(renamed, dst) is dst
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(src(x), dst(x))


def test_transfer_keeps_target_dtype():
    src, dst = build_module(net()).double(), build_module(net())
    transfer_weights(src.state_dict(), dst)
    assert all(p.dtype == torch.float32 for p in dst.parameters())
    assert torch.equal(dst.stem[0].conv.weight, src.stem[0].conv.weight.float())


def test_shape_mismatch_names_first_difference():
    src, dst = build_module(net(width=24)), build_module(net(width=16))
    before = {k: v.clone() for k, v in dst.state_dict().items()}
    with pytest.raises(WeightTransferError) as info:
        transfer_weights(src.state_dict(), dst)
    err = info.value
    assert isinstance(err, ValueError)
    # stem conv (0) + BN (1-5), expand (6) + BN (7-11), dw (12) + BN (13-17): proj differs
    assert err.position == 18
    assert (err.source_key, err.source_shape) == ("stages.0.0.proj.conv.weight", (24, 16, 1, 1))
    assert (err.target_key, err.target_shape) == ("stages.0.0.proj.conv.weight", (16, 16, 1, 1))
    msg = str(err)
    assert "entry 18" in msg and "[24, 16, 1, 1]" in msg and "[16, 16, 1, 1]" in msg
    assert err.source_key in msg and err.target_key in msg
    assert all(torch.equal(before[k], v) for k, v in dst.state_dict().items())


def test_count_mismatch():
    src, dst = build_module(net(depth=3)), build_module(net(depth=2))
    with pytest.raises(WeightTransferError, match="source has") as info:
        transfer_weights(src.state_dict(), dst)
    assert info.value.source_key is not None


# ---------------------------------------------------------------- a module as the source (issue 8 §7)


def test_a_module_source_is_accepted_and_verified():
    torch.manual_seed(0)
    src, dst = build_module(net()), build_module(net())
    src.train()
    dst.eval()
    rng = torch.get_rng_state()
    assert transfer_weights(src, dst) is dst
    assert torch.equal(torch.get_rng_state(), rng)  # the seeded input leaves the global RNG alone
    assert src.training and not dst.training  # training flags restored
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(src.eval()(x), dst.eval()(x))


def test_same_shapes_different_function_is_refused():
    """A residual removed: every shape matches, the function does not."""
    blocks = [{"block": "mmb", "out": 16, "exp": 2.0}] * 2
    no_skip = [blocks[0], {"block": "mmb", "out": 16, "exp": 2.0, "skip": False}]
    src = build_module(resolve_net(input_shape=(3, 16, 16), stem=STEM, stages={"s1": blocks},
                                   head=HEAD))
    dst = build_module(resolve_net(input_shape=(3, 16, 16), stem=STEM, stages={"s1": no_skip},
                                   head=HEAD))
    with pytest.raises(WeightTransferError, match=r"max\|Δ\|/max\|ref\| = ") as info:
        transfer_weights(src, dst)
    assert info.value.ratio is not None and info.value.ratio > 1e-5
    assert f"{info.value.ratio:.3g}" in str(info.value)
    assert transfer_weights(src, dst, verify=False) is dst  # opted out


def test_output_shapes_that_differ_are_refused():
    src = build_module(net())
    dst = build_module(resolve_net(input_shape=(3, 16, 16), stem=STEM,
                                   stages={"s1": [{"block": "mmb", "out": 16, "exp": 2.0}] * 2},
                                   head=[{"block": "pool", "global": True}]))
    transfer_weights({k: v for k, v in src.state_dict().items() if not k.startswith("head")},
                     dst)
    with pytest.raises(WeightTransferError, match="outputs have shape 2×16×1×1 where the "
                                                  "source's have 2×5"):
        verify_outputs(src, dst)


def test_a_source_that_is_neither_is_a_type_error():
    with pytest.raises(TypeError, match="source: expected a state_dict"):
        transfer_weights([1, 2], build_module(net()))
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        transfer_weights({}, {"not": "a module"})
    with pytest.raises(WeightTransferError, match="not a tensor"):
        transfer_weights({"w": 3}, build_module(net()))


def test_archspec_exports_the_error():
    import archspec

    assert archspec.WeightTransferError is WeightTransferError
    assert issubclass(WeightTransferError, ValueError)


MOBILENET_V2 = "specs/mobilenet_v2.yaml"
B3 = "{name: b3, out: 32, depth: 3, block: {block: mmb, exp: 6"
B5 = "{name: b5, out: 96, depth: 3, block: {block: mmb, exp: 6"


def _mobilenet_v2(edit: tuple[str, str] | None = None):
    from pathlib import Path

    import archspec

    text = (Path(__file__).resolve().parents[2] / MOBILENET_V2).read_text(encoding="utf-8")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    return archspec.build(archspec.loads(text, "mobilenet_v2.yaml"))


def test_torchvision_mobilenet_v2_module_transfers_and_verifies():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2()  # no weights: seeded init
    model = _mobilenet_v2()
    assert transfer_weights(reference, model) is model


@pytest.mark.parametrize("edit", [
    (B3, B3 + ", skip: false"),  # the residual of b3 removed
    (B5, B5 + ", skip: false, dw_skip: true"),  # b5's residual moved inside the block
], ids=["removed", "moved"])
def test_torchvision_mobilenet_v2_with_a_residual_elsewhere_is_refused(edit):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2()
    model = _mobilenet_v2(edit)
    assert [v.shape for v in model.state_dict().values()] == [
        v.shape for v in reference.state_dict().values()]  # the shapes cannot tell
    with pytest.raises(WeightTransferError, match=r"max\|Δ\|/max\|ref\|") as info:
        transfer_weights(reference, model)
    assert info.value.ratio > 1e-3
