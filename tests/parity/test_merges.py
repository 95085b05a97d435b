"""``parallel``'s ``mul`` (StarNet's star) and ``mean`` (RepViT's distilled heads) merges, a
``norm`` on a vector, and heads whose branches end in classifiers: equal to timm's modules, and
analysis ≡ module."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec

from .conftest import randomise, relative_error
from .test_residual_se import check

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

HEADS = """\
archspec: 1
name: heads
input: {{channels: 3, size: 16}}
stem:
  - {{block: conv, out: 32, k: 3, stride: 2}}
head:
  - {{block: pool, global: true}}
{hidden}\
  - block: parallel
    merge: {merge}
    branches:
      - [{{block: norm, norm: bn}}, {{block: linear, out: 10}}]
      - [{{block: norm, norm: bn}}, {{block: linear, out: 10}}]
"""


def test_mean_of_two_heads_is_repvits_distilled_classifier() -> None:
    from timm.models.repvit import RepVitClassifier

    ref = RepVitClassifier(32, 10, distillation=True).eval()
    text = HEADS.format(hidden="", merge="mean")
    model = archspec.build(archspec.loads(text, "h.yaml"))
    head = model.head[1]
    torch.manual_seed(0)
    randomise(ref)
    with torch.no_grad():  # BatchNorm1d: randomise() covers the 2-D ones
        for bn in (ref.head.bn, ref.head_dist.bn):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 1.5)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    archspec.transfer_weights(ref, head, verify=False)
    head.eval()
    x = torch.randn(2, 32)
    with torch.inference_mode():
        assert relative_error(head(x[:, :, None, None]), ref(x)) <= 1e-5


def test_num_classes_reaches_every_head_of_a_parallel() -> None:
    text = HEADS.format(hidden="", merge="mean").replace("{block: conv, out: 32",
                                                         "{block: conv, out: 30")
    doc = archspec.loads(text.replace("stem:", "width: {mult: 0.5}\nstem:"), "h.yaml")
    net = archspec.resolve(doc, num_classes=7)
    heads = [b for b in net.walk() if b.family == "linear"]
    assert [h.out_ch for h in heads] == [7, 7]  # neither scaled by `width:` nor left at 10
    assert net.output_shape == (7,)


def test_a_hidden_linear_before_the_heads_is_not_the_classifier() -> None:
    hidden = "  - {block: linear, out: 24}\n"
    net = archspec.resolve(archspec.loads(HEADS.format(hidden=hidden, merge="add"), "h.yaml"),
                           num_classes=5)
    assert [b.out_ch for b in net.walk() if b.family == "linear"] == [24, 5, 5]


def test_every_head_of_a_parallel_is_a_classifier_for_h101() -> None:
    """H101 excuses the classifiers' class counts (10 is no multiple of 8): both heads."""
    doc = archspec.loads(HEADS.format(hidden="", merge="mean"), "h.yaml")
    assert not [d for d in archspec.lint(doc, select=["H101"]) if "head" in (d.block or "")]


def test_norm_on_a_vector_is_batchnorm1d_or_layernorm() -> None:
    hidden = "  - {block: linear, out: 24}\n  - {block: norm, norm: bn}\n  - {block: norm, norm: ln}\n"
    text = HEADS.format(hidden=hidden, merge="mean")
    model = archspec.build(archspec.loads(text, "h.yaml"))
    assert isinstance(model.head[2].norm, torch.nn.BatchNorm1d)
    assert isinstance(model.head[3].norm, torch.nn.LayerNorm)


@pytest.mark.parametrize("merge", ["mean", "add", "mul", "concat"])
def test_heads_analysis_equals_module(merge: str, tmp_path: Path) -> None:
    hidden = "  - {block: linear, out: 24, act: relu}\n  - {block: norm, norm: bn}\n"
    check(HEADS.format(hidden=hidden, merge=merge), tmp_path)


STAR = """\
archspec: 1
name: star
input: {{channels: 3, size: 16}}
stem:
  - {{block: conv, out: 16, k: 3, stride: 2}}
stages:
  - name: s1
    blocks:
      - block: parallel
        merge: {merge}
        branches:
          - [{{block: conv, out: 48, norm: none, bias: true, act: relu6}}]
          - [{{block: conv, out: 48, norm: none, bias: true, act: none}}]
          {third}
      - {{block: conv, out: 16, act: none}}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""


@pytest.mark.parametrize(("merge", "third"), [
    ("mul", ""), ("mean", ""), ("mean", "- []"),
    ("mul", "- [{block: conv, out: 48}, {block: act, act: sigmoid}]")])
def test_merge_analysis_equals_module(merge: str, third: str, tmp_path: Path) -> None:
    if third == "- []":
        text = STAR.format(merge=merge, third="").replace("out: 48", "out: 16")
        text = text.replace("act: none}]\n", "act: none}]\n          - []\n")
    else:
        text = STAR.format(merge=merge, third=third)
    check(text, tmp_path)


def test_mul_is_starnets_star() -> None:
    """StarNet's block core: act(f1(x)) * f2(x), f1 and f2 1×1 convs with bias."""
    class Star(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.f1 = torch.nn.Conv2d(16, 48, 1)
            self.f2 = torch.nn.Conv2d(16, 48, 1)
            self.act = torch.nn.ReLU6()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(self.f1(x)) * self.f2(x)

    text = STAR.format(merge="mul", third="")
    star = archspec.build(archspec.loads(text, "s.yaml")).stages[0][0].eval()
    ref = Star().eval()
    archspec.transfer_weights(ref, star, verify=False)
    x = torch.randn(2, 16, 8, 8)
    with torch.inference_mode():
        assert torch.equal(star(x), ref(x))


def test_unequal_branches_cannot_multiply() -> None:
    text = STAR.format(merge="mul", third="- [{block: conv, out: 8}]")
    with pytest.raises(archspec.SpecError, match="E145.*`mul` needs them equal"):
        archspec.resolve(archspec.loads(text, "s.yaml"))
