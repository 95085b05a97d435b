"""The ``mqa`` block equals timm 1.0.31's ``MultiQueryAttention2d`` (parameters, MACs with timm's
fused attention off, eval outputs after ``transfer_weights``), with either attention
implementation."""

from __future__ import annotations

import pytest

import archspec

from .conftest import randomise, relative_error

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

#: (in, map, our fields, timm MultiQueryAttention2d arguments): MobileNetV4's two forms and the
#: options around them (bias, other kernels and strides, odd maps, a wider output)
CASES = {
    "hybrid_kv_down": (32, 14, "out: 32, heads: 4, dim_head: 16, kv_stride: 2",
                       dict(num_heads=4, key_dim=16, value_dim=16, kv_stride=2)),
    "hybrid_global": (32, 7, "out: 32, heads: 4, dim_head: 16",
                      dict(num_heads=4, key_dim=16, value_dim=16)),
    "wider_out": (16, 9, "out: 24, heads: 2, dim_head: 8",
                  dict(dim_out=24, num_heads=2, key_dim=8, value_dim=8)),
    "bias": (16, 8, "out: 16, heads: 3, dim_head: 5, kv_stride: 2, bias: true",
             dict(num_heads=3, key_dim=5, value_dim=5, kv_stride=2, use_bias=True)),
    "k5_s3": (24, 11, "out: 24, heads: 1, dim_head: 8, kv_stride: 3, kv_dw_k: 5",
              dict(num_heads=1, key_dim=8, value_dim=8, kv_stride=3, dw_kernel_size=5)),
    "k2_s2": (8, 7, "out: 8, heads: 8, dim_head: 4, kv_stride: 2, kv_dw_k: 2",
              dict(num_heads=8, key_dim=4, value_dim=4, kv_stride=2, dw_kernel_size=2)),
    "query_stride": (16, 12, "out: 16, heads: 2, dim_head: 8, query_stride: 2, kv_stride: 2",
                     dict(num_heads=2, key_dim=8, value_dim=8, query_strides=2, kv_stride=2)),
    "query_stride_3": (8, 9, "out: 12, heads: 1, dim_head: 4, query_stride: 3",
                       dict(dim_out=12, num_heads=1, key_dim=4, value_dim=4, query_strides=3)),
}


def one_block(in_ch: int, size: int, fields: str, family: str = "mqa") -> str:
    return f"""\
archspec: 1
name: one
input: {{channels: {in_ch}, size: {size}}}
stem: []
stages:
  - name: s1
    blocks:
      - {{block: {family}, {fields}}}
head: []
"""


@pytest.mark.parametrize("case", sorted(CASES))
def test_block_equals_timms_multi_query_attention(case: str, explicit_attention: None) -> None:
    from timm.layers.attention2d import MultiQueryAttention2d
    from torch.utils.flop_counter import FlopCounterMode

    in_ch, size, fields, kwargs = CASES[case]
    ref = MultiQueryAttention2d(in_ch, **kwargs)
    doc = archspec.loads(one_block(in_ch, size, fields), "one.yaml")
    analysis = archspec.analyze(doc)
    model = archspec.build(doc)
    assert analysis.total.params == sum(p.numel() for p in ref.parameters())
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        ref.eval()(torch.zeros(1, in_ch, size, size))
    assert counter.get_total_flops() == 2 * analysis.total.macs
    torch.manual_seed(0)
    randomise(ref)
    archspec.transfer_weights(ref, model)  # checks the outputs on a seeded batch of 2 too
    x = torch.randn(2, in_ch, size, size)
    with torch.inference_mode():
        expected = ref(x)
        assert relative_error(model.eval()(x), expected) <= 1e-5
        archspec.nn.set_attention_impl(model, "explicit")
        assert relative_error(model(x), expected) <= 1e-5


def test_attention_chains_are_the_sdpa_calls_the_module_makes() -> None:
    """Eager torch runs each traced q·kᵀ → scale → softmax → ·v chain as one
    scaled_dot_product_attention (latency.kernels.TORCH_FUSION): one call per chain, every head's
    queries as rows against the one key/value head."""
    import math

    import torch.nn.functional as F

    from archspec.latency.kernels import TORCH_FUSION, kernels

    doc = archspec.loads(one_block(16, 9, "out: 16, heads: 4, dim_head: 8, kv_stride: 2"),
                         "one.yaml")
    graph = archspec.analyze(doc).graph
    chains = [tuple(graph.op_of[i] for i in k.nodes)
              for k in kernels(graph, TORCH_FUSION) if k.cls == "attention"]
    calls: list[tuple[tuple[int, ...], ...]] = []
    real = F.scaled_dot_product_attention

    def spy(q, k, v, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append((tuple(q.shape), tuple(k.shape), tuple(v.shape)))
        return real(q, k, v, *args, **kwargs)

    model = archspec.build(doc).eval()
    F.scaled_dot_product_attention = spy
    try:
        with torch.inference_mode():
            model(torch.randn(1, 16, 9, 9))
    finally:
        F.scaled_dot_product_attention = real
    assert len(calls) == len(chains) == 1
    (q, k, v), (scores, _, _, apply) = calls[0], chains[0]
    assert q[-2:] == scores.in_shapes[0][-2:] == (4 * 81, 8)
    assert k[-2:] == scores.in_shapes[1][:-3:-1] == (25, 8)  # kᵀ traced
    assert v[-2:] == apply.in_shapes[1][-2:]
    assert math.prod(q) == math.prod(scores.in_shapes[0])


#: (map, our mqa fields, timm MobileAttention arguments): MobileNetV4's two Mobile MQA blocks,
#: layer scale γ at 1 so the attention is visible in the output (MobileNetV4 starts it at 1e-5)
MOBILE_ATTENTION = {
    "kv_stride_2": (14, "heads: 4, dim_head: 16, kv_stride: 2", dict(kv_stride=2)),
    "global": (7, "heads: 4, dim_head: 16", dict(kv_stride=1)),
}


@pytest.mark.parametrize("case", sorted(MOBILE_ATTENTION))
def test_residual_norm_mqa_equals_timms_mobile_attention(case: str,
                                                        explicit_attention: None) -> None:
    """MobileNetV4's block around the attention: pre-norm, attention, layer scale, residual."""
    from timm.models._efficientnet_blocks import MobileAttention

    size, fields, kwargs = MOBILE_ATTENTION[case]
    ref = MobileAttention(32, 32, num_heads=4, key_dim=16, value_dim=16,
                          use_multi_query=True, layer_scale_init_value=1.0, **kwargs)
    block = f"layer_scale: 1.0, blocks: [{{block: norm, norm: bn}}, {{block: mqa, out: 32, {fields}}}]"
    doc = archspec.loads(one_block(32, size, block, "residual"), "one.yaml")
    model = archspec.build(doc)
    assert archspec.analyze(doc).total.params == sum(p.numel() for p in ref.parameters())
    torch.manual_seed(0)
    randomise(ref)
    archspec.transfer_weights(ref, model)
    x = torch.randn(2, 32, size, size)
    with torch.inference_mode():
        assert relative_error(model.eval()(x), ref(x)) <= 1e-5


def test_hybrid_medium_equals_timm_with_layer_scales_drawn(explicit_attention: None) -> None:
    """tests/parity/test_zoo.py's output check, with every layer scale γ drawn in [0.5, 1.5]
    instead of 1e-5, so the attention blocks' outputs reach the logits (in float64: with γ ≈ 1
    the random network's logits grow to ~1e9, past float32's agreement)."""
    ref = timm.create_model("mobilenetv4_hybrid_medium", pretrained=False)
    torch.manual_seed(0)
    randomise(ref)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.endswith("gamma"):
                p.uniform_(0.5, 1.5)
    model = archspec.build("mobilenetv4_hybrid_medium")
    archspec.transfer_weights(ref, model, verify=False)
    ref, model = ref.double().eval(), model.double().eval()
    x = torch.randn(2, 3, 160, 160, dtype=torch.float64)  # any size: attention at 10² and 5²
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-10


def test_a_query_stride_that_does_not_divide_the_map_is_e154() -> None:
    doc = archspec.loads(one_block(8, 10, "out: 8, heads: 1, dim_head: 4, query_stride: 3"),
                         "one.yaml")
    with pytest.raises(archspec.SpecError) as info:
        archspec.resolve(doc)
    [diag] = [d for d in info.value.diagnostics if d.code == "E154"]
    assert "query_stride 3" in diag.message and diag.span.line == 8
