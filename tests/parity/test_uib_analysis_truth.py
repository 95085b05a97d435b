"""Analysis ≡ module for the ``uib`` family in every form: parameters, MACs (FlopCounterMode / 2)
and output shape, on small networks that exercise each optional part and where the stride sits."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec

from .test_analysis_truth import test_analysis_equals_module as analysis_equals_module

torch = pytest.importorskip("torch")

SPEC = """\
archspec: 1
name: t
input: {{channels: 3, size: {size}}}
{width}
stem:
  - {{block: conv, out: 16, k: 3, stride: 2}}
stages:
  - name: s1
    blocks:
      - {block}
      - {again}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""

FORMS = {
    "ib": "dw_k: 3",
    "convnext": "start_dw_k: 3",
    "extradw": "start_dw_k: 5, dw_k: 3",
    "ffn": "",
    "end_dw": "dw_k: 3, end_dw_k: 3",
    "end_dw_only": "end_dw_k: 5",
    "all_three": "start_dw_k: 3, dw_k: 5, end_dw_k: 3",
    "se": "dw_k: 3, se: 0.25, se_gate: hardsigmoid",
    "ln_gelu": "dw_k: 3, norm: ln, act: gelu",
    "no_norm": "dw_k: 3, norm: none",
    "no_skip": "dw_k: 3, skip: false",
    "odd_exp": "dw_k: 3, exp: 2.3",
    "even_k": "dw_k: 4",
}
STRIDED = {"ib", "convnext", "extradw", "end_dw", "end_dw_only", "all_three", "se"}


def spec(fields: str, *, stride: int = 1, size: int = 32, width: str = "") -> str:
    exp = "" if "exp:" in fields else "exp: 4, "
    body = f"block: uib, out: 24, {exp}{fields}".rstrip(", ")
    first = "{" + body + (f", stride: {stride}" if stride != 1 else "") + "}"
    return SPEC.format(size=size, width=width, block=first, again="{" + body + "}")


def check(text: str, tmp_path: Path) -> None:
    """The shipped specs' check (test_analysis_truth), on this spec."""
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    analysis_equals_module(str(path), None)  # SPECS / an absolute path is that path


@pytest.mark.parametrize("form", sorted(FORMS))
def test_analysis_equals_module(form: str, tmp_path: Path) -> None:
    check(spec(FORMS[form]), tmp_path)


@pytest.mark.parametrize("form", sorted(STRIDED))
def test_analysis_equals_module_at_stride_2(form: str, tmp_path: Path) -> None:
    check(spec(FORMS[form], stride=2, size=30), tmp_path)


def test_analysis_equals_module_under_a_width_multiplier(tmp_path: Path) -> None:
    check(spec("start_dw_k: 3, dw_k: 3", width="width: {mult: 0.75}"), tmp_path)


def test_layer_scale_parameters_are_counted(tmp_path: Path) -> None:
    check(spec("dw_k: 3, layer_scale: 1.0e-5"), tmp_path)


def test_layer_scale_macs_and_shape_equal_module() -> None:
    """γ's parameters (out per block) are counted: its `mul` carries them as a learnable
    operand."""
    from torch.utils.flop_counter import FlopCounterMode

    doc = archspec.loads(spec("dw_k: 3, layer_scale: 1.0e-5"), "t.yaml")
    analysis = archspec.analyze(doc)
    model = archspec.build(doc).eval()
    gammas = sum(m.gamma.numel() for m in model.modules() if hasattr(m, "gamma"))
    assert gammas == 2 * 24
    assert sum(p.numel() for p in model.parameters()) == analysis.total.params
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.randn(1, *analysis.net.input_shape))
    assert counter.get_total_flops() == 2 * analysis.total.macs
