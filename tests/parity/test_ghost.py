"""The ``ghost`` family equals timm 1.0.31's ``GhostModule`` (outputs after transfer_weights, BN
statistics randomised), and its analysis equals its module (parameters, FlopCounterMode MACs,
output shape) in every form: the slice present or not, strided, with or without norm and act."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec

from .conftest import randomise, relative_error
from .test_analysis_truth import test_analysis_equals_module as analysis_equals_module

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

ONE = """\
archspec: 1
name: one
input: {{channels: 16, size: 14}}
stem: []
stages:
  - name: s1
    blocks:
      - {{block: ghost, {fields}}}
head: []
"""

#: our fields → timm GhostModule's arguments (in_chs 16)
MODULES = {
    "out: 24": dict(out_chs=24),
    "out: 30, ratio: 4": dict(out_chs=30, ratio=4),  # 8 + 24 = 32 computed, 30 kept
    "out: 7, ratio: 3, dw_k: 5": dict(out_chs=7, ratio=3, dw_size=5),
    "out: 24, act: none": dict(out_chs=24, act_layer=torch.nn.Identity),
    "out: 20, k: 3, stride: 2": dict(out_chs=20, kernel_size=3, stride=2),
    "out: 1": dict(out_chs=1),  # every cheap channel is cut away
}


@pytest.mark.parametrize("fields", sorted(MODULES))
def test_one_block_equals_timms_ghost_module(fields: str) -> None:
    from timm.models.ghostnet import GhostModule

    ref = GhostModule(16, **MODULES[fields])
    model = archspec.build(archspec.loads(ONE.format(fields=fields), "one.yaml")).stages[0][0]
    torch.manual_seed(0)
    randomise(ref)
    archspec.transfer_weights(ref, model, verify=False)
    ref.eval()
    model.eval()
    x = torch.randn(2, 16, 14, 14)
    with torch.inference_mode():
        assert relative_error(model(x), ref(x)) <= 1e-5


NET = """\
archspec: 1
name: t
input: {{channels: 3, size: {size}}}
{width}
stem:
  - {{block: conv, out: 16, k: 3, stride: 2}}
stages:
  - name: s1
    blocks:
      - {{block: ghost, {fields}}}
      - {{block: ghost, out: 24, act: none}}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 10}}
"""

FORMS = {
    "even": "out: 48",
    "slice": "out: 30, ratio: 4",
    "strided": "out: 20, k: 3, stride: 2, dw_k: 5",
    "even_k": "out: 20, k: 2, stride: 2",
    "ln_gelu": "out: 36, ratio: 3, norm: ln, act: gelu",
    "no_norm": "out: 9, norm: none, act: hardswish",
    "one": "out: 1",
}


def check(text: str, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    analysis_equals_module(str(path), None)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_analysis_equals_module(form: str, tmp_path: Path) -> None:
    check(NET.format(size=31, width="", fields=FORMS[form]), tmp_path)


def test_analysis_equals_module_under_a_width_multiplier(tmp_path: Path) -> None:
    check(NET.format(size=32, width="width: {mult: 1.3, divisor: 4}", fields="out: 30, ratio: 3"),
          tmp_path)


def test_the_sliced_channels_are_computed_and_the_slice_is_free() -> None:
    """out 30, ratio 4: the primary conv makes 8 channels, the cheap conv 24; the concat holds 32
    and the slice keeps 30 as a view (no MACs, no memory traffic)."""
    doc = archspec.loads(ONE.format(fields="out: 30, ratio: 4"), "one.yaml")
    analysis = archspec.analyze(doc)
    ops = {op.name.rsplit(".", 1)[-1]: op for op in analysis.graph.ops()}
    assert ops["primary"].out_shape == (8, 14, 14)
    assert ops["cheap"].out_shape == (24, 14, 14)
    assert ops["cheap"].attrs["groups"] == 8
    assert ops["concat"].out_shape == (32, 14, 14)
    assert ops["slice"].out_shape == (30, 14, 14)
    assert ops["slice"].macs == ops["slice"].mem_access == 0
    assert analysis.total.output_shape == (30, 14, 14)


def test_an_even_cheap_kernel_is_a_located_error() -> None:
    with pytest.raises(archspec.SpecError) as info:
        archspec.analyze(archspec.loads(ONE.format(fields="out: 24, dw_k: 4"), "one.yaml"))
    [diag] = [d for d in info.value.diagnostics if d.code == "E156"]
    assert diag.key_path[-1] == "dw_k"
    assert diag.span.line == 8
