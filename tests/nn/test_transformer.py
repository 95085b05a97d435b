"""The ``transformer`` family: the module is the analysed block (parameters, FlopCounterMode's
MACs, shape) for every partition, SDPA equals the explicit matmuls, the partitions invert, and
one MobileViT transformer stack equals timm's ``MobileVitBlock`` stack (unfold, resize, layers,
final norm) after weight transfer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import archspec
from archspec.spec.document import Document
from archspec.testing.strategies import GeneratedSpec, specs

torch = pytest.importorskip("torch")
nn_pkg = pytest.importorskip("archspec.nn")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from archspec.nn.transformer import fold, partition  # noqa: E402


def _doc(block: str, size: int | list[int], ch: int = 16) -> Document:
    return archspec.loads(f"archspec: 1\nname: t\ninput: {{channels: 3, size: {size}}}\n"
                          f"stem:\n  - {{block: conv, out: {ch}, k: 3}}\n"
                          f"  - {block}\n")


def _same(doc: Document) -> None:
    a = archspec.analyze(doc)
    model = nn_pkg.set_attention_impl(archspec.build(doc), "explicit").eval()
    assert sum(p.numel() for p in model.parameters()) == a.total.params
    x = torch.randn(2, *a.net.input_shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(x)
    assert tuple(y.shape[1:]) == a.total.output_shape
    assert counter.get_total_flops() == 2 * 2 * a.total.macs  # batch 2
    nn_pkg.set_attention_impl(model, "sdpa")
    with torch.no_grad():
        assert torch.allclose(model(x), y, atol=1e-5)


@pytest.mark.parametrize("block", [
    "{block: transformer, heads: 2}",
    "{block: transformer, partition: unfold, patch: 2, heads: 4, final_norm: true}",
    "{block: transformer, partition: unfold, patch: 3, dim_head: 4, depth: 2}",
    "{block: transformer, partition: window, window: 4, dim_head: 8, layer_scale: 0.5}",
    "{block: transformer, partition: grid, window: 3, heads: 3, dim_head: 5, mlp_ratio: 1.5}",
    "{block: transformer, partition: window, window: 5, heads: 1, norm: none, qkv_bias: false, "
    "proj_bias: false}",
])
@pytest.mark.parametrize("size", [12, [14, 9]])
def test_module_is_the_analysed_block(block: str, size: int | list[int]) -> None:
    _same(_doc(block, size))


def test_a_map_the_patch_does_not_tile_is_resized_there_and_back() -> None:
    a = archspec.analyze(_doc("{block: transformer, partition: unfold, patch: 2, heads: 2}", 7))
    resizes = [op for op in a.graph.ops() if op.kind == "resize"]
    assert [op.out_shape for op in resizes] == [(16, 8, 8), (16, 7, 7)]
    windowed = [op for op in a.graph.ops() if op.kind == "matmul"]
    assert windowed[0].attrs["window"] == (4, 4) and windowed[0].attrs["windows"] == (2, 2)
    assert windowed[0].attrs["map"] == (8, 8) and windowed[0].attrs["padding"] == (0, 0)


@pytest.mark.parametrize("layout", ["local", "grid"])
def test_fold_inverts_partition(layout: str) -> None:
    x = torch.randn(2, 5, 6, 8)
    tokens = partition(x, layout, 2, 4)
    assert tokens.shape == (16, 6, 5)
    assert torch.equal(fold(tokens, layout, 2, 4, (6, 8)), x)


def test_unfold_is_timms_mobilevit_unfold() -> None:
    """timm's unfold: ``b c (h1 p1) (w1 p2) -> (b p1 p2) (h1 w1) c``."""
    b, c, h, w, p = 2, 3, 6, 4, 2
    x = torch.randn(b, c, h, w)
    t = x.reshape(b * c * (h // p), p, w // p, p).transpose(1, 2)
    t = t.reshape(b, c, (h // p) * (w // p), p * p).transpose(1, 3).reshape(b * p * p, -1, c)
    assert torch.equal(partition(x, "grid", p, p), t)


@pytest.mark.parametrize("size", [8, 7])
def test_mobilevit_stack_equals_timm(size: int) -> None:
    """One transformer stack as timm's MobileVitBlock runs it (7×7: resized to 8×8 and back)."""
    timm = pytest.importorskip("timm")
    from timm.models.mobilevit import MobileVitBlock

    torch.manual_seed(0)
    ref = MobileVitBlock(16, 16, transformer_dim=16, transformer_depth=2, patch_size=2,
                         mlp_ratio=2.0, num_heads=4).eval()
    doc = _doc("{block: transformer, partition: unfold, patch: 2, heads: 4, mlp_ratio: 2, "
               "depth: 2, act: relu, final_norm: true}", size)
    block = archspec.build(doc).eval()
    ours = block.stem[1]
    ref_stack = torch.nn.Sequential(ref.transformer, ref.norm)
    archspec.transfer_weights(ref_stack, ours, verify=False)
    x = torch.randn(2, 16, size, size)
    assert timm is not None
    with torch.no_grad():
        y = ours(x)
        # timm's forward between conv_1x1 and conv_proj, with its own unfold/fold
        ref.conv_kxk, ref.conv_1x1, ref.conv_proj = (torch.nn.Identity(),) * 3
        ref.conv_fusion = None
        expected = ref(x)
    assert (y - expected).abs().max() <= 1e-5 * expected.abs().max()


@settings(max_examples=25, deadline=None)
@given(spec=specs(families=["transformer", "conv", "act"], variants=False))
def test_generated_transformers_are_the_analysed_network(spec: GeneratedSpec) -> None:
    _same(archspec.loads(archspec.dump(spec.document)))

