"""``residual`` and ``se`` equal timm's modules (parameters, outputs after ``transfer_weights``,
BN statistics randomised), and their analysis equals the built module (parameters, MACs =
FlopCounterMode / 2, output shape) in every form."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec

from .conftest import randomise, relative_error

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

ONE = """\
archspec: 1
name: one
input: {{channels: {ch}, size: {size}}}
stem: []
stages:
  - name: s1
    blocks:
{blocks}
head: []
"""


def one_block(block: str, *, ch: int, size: int = 14) -> torch.nn.Module:
    """The torch module of the spec's only block (``block``: YAML, indented as a list item)."""
    text = ONE.format(ch=ch, size=size, blocks=block)
    return archspec.build(archspec.loads(text, "one.yaml")).stages[0][0]


def same_outputs(ref: torch.nn.Module, model: torch.nn.Module, shape: tuple[int, ...]) -> None:
    assert sum(p.numel() for p in ref.parameters()) == \
        sum(p.numel() for p in model.parameters())
    torch.manual_seed(0)
    randomise(ref)
    archspec.transfer_weights(ref, model, verify=False)
    ref.eval()
    model.eval()
    x = torch.randn(2, *shape)
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-5


# -------------------------------------------------------------------------------- se


def test_se_is_efficientnet_squeeze_excite() -> None:
    from timm.models._efficientnet_blocks import SqueezeExcite

    ref = SqueezeExcite(36, rd_ratio=0.25)  # round(9.0)
    model = one_block("      - {block: se, ratio: 0.25}", ch=36)
    assert model.reduce.out_channels == ref.conv_reduce.out_channels == 9
    same_outputs(ref, model, (36, 14, 14))


def test_se_ratio_of_the_block_input_is_efficientnets_se_from_exp() -> None:
    """EfficientNet's SE is 0.25 of the block input on the 6× expanded width: timm divides the
    ratio by the expansion, round(C·(0.25/6))."""
    from timm.models._efficientnet_blocks import SqueezeExcite

    ref = SqueezeExcite(240, rd_ratio=0.25 / 6.0)
    model = one_block("      - {block: se, ratio: 0.25, exp: 6, act: silu}", ch=240)
    ref.act1 = torch.nn.SiLU()
    assert model.reduce.out_channels == ref.conv_reduce.out_channels == 10
    same_outputs(ref, model, (240, 7, 7))


def test_se_is_timms_semodule_with_its_round_limit() -> None:
    """SEModule: make_divisible(C/16, 8, round_limit=0): 72/16 = 4.5 → 8 (the 0.9 limit agrees
    here; 200/16 = 12.5 → 16 with both, 100/16 = 6.25 → 8)."""
    from timm.layers import SEModule

    for ch, want in ((72, 8), (200, 16), (100, 8), (44, 8)):
        ref = SEModule(ch, rd_ratio=1 / 16)
        model = one_block("      - {block: se, ratio: 0.0625, round: divisible, "
                          "round_limit: 0}", ch=ch)
        assert model.reduce.out_channels == ref.fc1.out_channels == want, ch
        same_outputs(ref, model, (ch, 7, 7))


def test_round_limit_is_timms() -> None:
    """make_divisible(10.5, 8): 8 < 0.9·10.5, so the default bumps to 16; round_limit 0 keeps 8."""
    from timm.layers import make_divisible

    for limit, want in ((0.9, 16), (0.0, 8)):
        assert make_divisible(10.5, 8, round_limit=limit) == want
        model = one_block("      - {block: se, ratio: 0.25, round: divisible, "
                          f"round_limit: {limit}}}", ch=42)
        assert model.reduce.out_channels == want


def test_se_is_ghostnets() -> None:
    from timm.models.ghostnet import _SE_LAYER

    ref = _SE_LAYER(120, rd_ratio=0.25)  # make_divisible(30, 4) = 32
    model = one_block("      - {block: se, ratio: 0.25, round: divisible, divisor: 4, "
                      "gate: hardsigmoid}", ch=120)
    assert model.reduce.out_channels == ref.conv_reduce.out_channels == 32
    same_outputs(ref, model, (120, 7, 7))


def test_se_ratio_follows_the_width_multiplier() -> None:
    text = ONE.format(ch=3, size=8, blocks="      - {block: conv, out: 64}\n"
                      "      - {block: se, ratio: 0.25}").replace(
        "stem: []", "width: {mult: 0.5}\nstem: []")
    net = archspec.resolve(archspec.loads(text, "w.yaml"))
    assert net.blocks[1].mid == 8  # 0.25 of the scaled 32


# -------------------------------------------------------------------------------- residual

GHOST = """\
      - block: residual
        blocks:
          - {{block: conv, out: {half_mid}, act: relu}}                   # ghost1: primary
          - block: parallel                                               # ghost1: cheap
            branches: [[], [{{block: conv, out: {half_mid}, k: 3, groups: depthwise}}]]
{dw}\
{se}\
          - {{block: conv, out: {half_out}, act: none}}                   # ghost2: primary
          - block: parallel                                               # ghost2: cheap
            branches: [[], [{{block: conv, out: {half_out}, k: 3, groups: depthwise, act: none}}]]
{shortcut}"""

DW = "          - {block: conv, out: %d, k: 3, stride: 2, groups: depthwise, act: none}\n"
SE = "          - {block: se, ratio: 0.25, round: divisible, divisor: 4, gate: hardsigmoid}\n"
SHORTCUT = """\
        shortcut:
          - {block: conv, out: %d, k: 3, stride: %d, groups: depthwise, act: none}
          - {block: conv, out: %d, act: none}
"""


@pytest.mark.parametrize(("in_ch", "mid", "out", "stride", "se"), [
    (16, 48, 24, 2, False),   # ghostnet_100 stage 2: projection shortcut, strided dw
    (40, 120, 40, 1, True),   # identity shortcut, SE
    (80, 480, 112, 1, True),  # projection shortcut at stride 1, SE
    (112, 672, 160, 2, True),
])
def test_residual_is_ghostnets_bottleneck(in_ch: int, mid: int, out: int, stride: int,
                                          se: bool) -> None:
    """GhostNet's GhostBottleneck: its ghost modules written as conv + parallel concat, the
    projection shortcut as a list of blocks; submodules in timm's order."""
    from timm.models.ghostnet import GhostBottleneck

    ref = GhostBottleneck(in_ch, mid, out, 3, stride, se_ratio=0.25 if se else 0.0)
    projection = in_ch != out or stride != 1
    block = GHOST.format(half_mid=mid // 2, half_out=out // 2,
                         dw=DW % mid if stride > 1 else "", se=SE if se else "",
                         shortcut=SHORTCUT % (in_ch, stride, out) if projection else "")
    model = one_block(block, ch=in_ch)
    assert (model.shortcut is None) == (not projection)
    same_outputs(ref, model, (in_ch, 14, 14))


RESIDUALS = {
    "identity": "blocks: [{block: conv, out: 24, k: 3}, {block: conv, out: 16, act: none}]",
    "layer_scale": "blocks: [{block: norm, norm: bn}, {block: conv, out: 16, k: 3}], "
                   "layer_scale: 1.0e-5",
    "projection": "blocks: [{block: conv, out: 32, k: 3, stride: 2}], shortcut: [{block: pool, "
                  "k: 2}, {block: conv, out: 32, act: none}]",
    "se": "blocks: [{block: se, mid: 4}], layer_scale: 0.5",
    "nested": "blocks: [{block: residual, blocks: [{block: conv, out: 16, k: 3}]}, "
              "{block: se, ratio: 0.25, gate: hardsigmoid, bias: false}]",
}

SPEC = """\
archspec: 1
name: t
input: {{channels: 3, size: 32}}
{width}
stem:
  - {{block: conv, out: 16, k: 3, stride: 2}}
stages:
  - name: s1
    blocks:
      - {{block: residual, {fields}}}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""


def check(text: str, tmp_path: Path) -> None:
    """Analysis ≡ module (test_analysis_truth's check of the shipped specs) on ``text``."""
    from torch.utils.flop_counter import FlopCounterMode

    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    analysis = archspec.analyze(path)
    model = archspec.build(path).eval()
    assert sum(p.numel() for p in model.parameters()) == analysis.total.params
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        y = model(torch.randn(1, *analysis.net.input_shape))
    assert tuple(y.shape[1:]) == analysis.total.output_shape
    assert counter.get_total_flops() == 2 * analysis.total.macs


@pytest.mark.parametrize("form", sorted(RESIDUALS))
def test_analysis_equals_module(form: str, tmp_path: Path) -> None:
    check(SPEC.format(width="", fields=RESIDUALS[form]), tmp_path)


def test_analysis_equals_module_under_a_width_multiplier(tmp_path: Path) -> None:
    fields = "blocks: [{block: conv, out: 64, k: 3}, {block: se, ratio: 0.25, round: " \
             "divisible}, {block: conv, out: 16, act: none}]"
    check(SPEC.format(width="width: {mult: 0.75}", fields=fields), tmp_path)


def test_layer_scale_is_timms_layer_scale_2d() -> None:
    """γ registered after the blocks, as timm's MobileAttention (norm, attn, layer_scale)."""
    from timm.layers import LayerScale2d

    class Ref(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = torch.nn.BatchNorm2d(16)
            self.conv = torch.nn.Conv2d(16, 16, 3, padding=1, bias=False)
            self.layer_scale = LayerScale2d(16, 1e-5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.layer_scale(self.conv(self.norm(x)))

    model = one_block("      - {block: residual, blocks: [{block: norm, norm: bn}, {block: conv, "
                      "out: 16, k: 3, norm: none, act: none}], layer_scale: 1.0e-5}", ch=16)
    ref = Ref()
    with torch.no_grad():
        ref.layer_scale.gamma.uniform_(0.5, 1.5)
    same_outputs(ref, model, (16, 8, 8))
    assert [n for n, _ in model.named_parameters()][-1] == "layer_scale.gamma"


def test_drop_path_is_the_stage_rate_and_off_in_eval() -> None:
    text = SPEC.format(width="", fields=RESIDUALS["identity"]).replace(
        "stem:", "drop_path: 0.2\nstem:").replace("    blocks:\n", "    blocks:\n"
        "      - {block: residual, blocks: [{block: act, act: relu}]}\n")
    model = archspec.build(archspec.loads(text, "dp.yaml"))
    rates = [b.drop_path.rate for b in model.stages[0] if b.drop_path is not None]
    assert rates == [pytest.approx(0.2)] or rates == []  # one stage: the rate schedule's end
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        assert torch.equal(model(x), model(x))
