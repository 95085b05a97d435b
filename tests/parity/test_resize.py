"""``resize`` is ``F.interpolate``: shapes by PyTorch's rule, analysis ≡ module, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec

from .test_residual_se import check

torch = pytest.importorskip("torch")

SPEC = """\
archspec: 1
name: r
input: {{channels: 3, size: [15, 17]}}
stem:
  - {{block: conv, out: 8, k: 3}}
  - {{block: resize, {fields}}}
  - {{block: conv, out: 8, k: 3}}
head:
  - {{block: pool, global: true}}
  - {{block: linear, out: 4}}
"""

FORMS = {
    "nearest_2": ("scale: 2", (30, 34)),
    "bilinear_half": ("scale: 0.5, mode: bilinear", (7, 8)),
    "bilinear_corners": ("scale: 1.5, mode: bilinear, align_corners: true", (22, 25)),
    "size": ("size: [20, 9], mode: bilinear", (20, 9)),
    "square": ("size: 6", (6, 6)),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_shape_and_analysis_equal_the_module(form: str, tmp_path: Path) -> None:
    fields, hw = FORMS[form]
    net = archspec.resolve(archspec.loads(SPEC.format(fields=fields), "r.yaml"))
    assert net.blocks[1].out_shape == (8, *hw)
    check(SPEC.format(fields=fields), tmp_path)


def test_module_is_f_interpolate_by_the_scale() -> None:
    from torch.nn import functional as F

    text = SPEC.format(fields="scale: 1.5, mode: bilinear")
    layer = archspec.build(archspec.loads(text, "r.yaml")).stem[1]
    x = torch.randn(2, 8, 15, 17)
    assert torch.equal(layer(x), F.interpolate(x, scale_factor=1.5, mode="bilinear",
                                               align_corners=False))


@pytest.mark.parametrize(("fields", "key"), [
    ("scale: 2, size: 4", "size"), ("mode: bilinear", None),
    ("scale: 2, align_corners: true", "align_corners")])
def test_errors_are_located(fields: str, key: str | None) -> None:
    text = SPEC.format(fields=fields)
    with pytest.raises(archspec.SpecError) as info:
        archspec.resolve(archspec.loads(text, "r.yaml"))
    (d,) = [d for d in info.value.diagnostics if d.code == "E153"]
    line = text.splitlines()[d.span.line - 1]
    assert "resize" in line
    if key is not None:
        assert line[d.span.col - 1:].startswith(str(fields.split(f"{key}: ")[1][:1])), line


def test_a_collapsing_scale_is_e143() -> None:
    with pytest.raises(archspec.SpecError, match="E143"):
        archspec.resolve(archspec.loads(SPEC.format(fields="scale: 0.01"), "r.yaml"))
