"""The tiny network of these tests, built once, and its fp32 ONNX file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import cli  # noqa: F401  (the command-line fixture, shared)

TINY = str(Path(__file__).with_name("tiny.yaml"))


@pytest.fixture(scope="package")
def tiny():  # noqa: ANN201
    import torch

    import archspec

    torch.manual_seed(0)
    return archspec.build(TINY).eval()


@pytest.fixture(scope="package")
def tiny_onnx(tiny, tmp_path_factory):  # noqa: ANN001, ANN201
    import torch

    from archspec.nn.export import export

    return export(tiny, torch.zeros(1, 3, 32, 32),
                  tmp_path_factory.mktemp("onnx") / "tiny.onnx")

