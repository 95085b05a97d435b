"""Issue 8 §6: misuse of the Python API is a TypeError or ValueError naming the argument and
what it takes (docs/api.md), never an AttributeError, a KeyError or an unpickling error from deep
inside; a problem in the spec itself stays a located SpecError.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import archspec
from archspec.diagnostics import SpecError

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "mobilenet_v2.yaml"

SMALL = """\
archspec: 1
name: small
input: {channels: 3, size: 32}
stages:
  - {name: s1, out: 16, depth: 1, block: {block: conv, k: 3}}
head:
  - {block: pool, global: true}
  - {block: linear, out: 10}
"""


def doc() -> Any:
    return archspec.loads(SMALL, "small.yaml")


# (call, exception, words the message must hold: the argument and what it takes)
CASES: dict[str, tuple[Callable[[], Any], type[Exception], tuple[str, ...]]] = {
    # the reproductions
    "analyze(variant=123)": (lambda: archspec.analyze(SPEC, variant=123), TypeError,
                             ("variant", "variant name", "int")),
    "loads(None)": (lambda: archspec.loads(None), TypeError, ("text", "str or bytes", "None")),
    "analyze(input_size=32.0)": (lambda: archspec.analyze(SPEC, input_size=32.0), TypeError,
                                 ("input_size", "int", "float")),
    "lint(select='G1')": (lambda: archspec.lint(SPEC, select="G1"), TypeError,
                          ("select", "list", "['G1']")),
    # siblings
    "loads(text, name=3)": (lambda: archspec.loads(SMALL, 3), TypeError, ("name", "str")),
    "load(None)": (lambda: archspec.load(None), TypeError, ("path", "file path", "None")),
    "load(3)": (lambda: archspec.load(3), TypeError, ("path", "int")),
    "dump(None)": (lambda: archspec.dump(None), TypeError, ("document", "Document", "None")),
    "dump(list)": (lambda: archspec.dump([1]), TypeError, ("document", "list")),
    "trace(None)": (lambda: archspec.trace(None), TypeError, ("resolved", "ResolvedNet")),
    "trace(document)": (lambda: archspec.trace(doc()), TypeError, ("resolved", "Document")),
    "resolve(variant=1)": (lambda: archspec.resolve(doc(), 1), TypeError, ("variant", "int")),
    "resolve(None)": (lambda: archspec.resolve(None), TypeError, ("document", "path")),
    "resolve(num_classes=True)": (lambda: archspec.resolve(doc(), num_classes=True), TypeError,
                                  ("num_classes", "positive int", "bool")),
    "resolve(num_classes=0)": (lambda: archspec.resolve(doc(), num_classes=0), ValueError,
                               ("num_classes", "positive int", "0")),
    "resolve(in_channels='3')": (lambda: archspec.resolve(doc(), in_channels="3"), TypeError,
                                 ("in_channels", "str")),
    "analyze(None)": (lambda: archspec.analyze(None), TypeError, ("spec_or_path", "loads")),
    "analyze(yaml text)": (lambda: archspec.analyze(SMALL), ValueError,
                           ("spec_or_path", "loads()")),
    "analyze(input_size=(32,))": (lambda: archspec.analyze(doc(), input_size=(32,)), TypeError,
                                  ("input_size", "(height, width)")),
    "analyze(input_size=True)": (lambda: archspec.analyze(doc(), input_size=True), TypeError,
                                 ("input_size", "bool")),
    "analyze(input_size=(32, 32.0))": (
        lambda: archspec.analyze(doc(), input_size=(32, 32.0)), TypeError, ("input_size",)),
    "analyze(batch=True)": (lambda: archspec.analyze(doc(), batch=True), TypeError,
                            ("batch", "bool")),
    "analyze(batch=0)": (lambda: archspec.analyze(doc(), batch=0), ValueError, ("batch",)),
    "analyze(dtype=['fp32'])": (lambda: archspec.analyze(doc(), dtype=["fp32"]), TypeError,
                                ("dtype", "fp32")),
    "analyze(dtype='fp64')": (lambda: archspec.analyze(doc(), dtype="fp64"), ValueError,
                              ("dtype", "fp16")),
    "analyze(convention=None)": (lambda: archspec.analyze(doc(), convention=None), TypeError,
                                 ("convention", "fvcore")),
    "lint(ignore='G1')": (lambda: archspec.lint(doc(), ignore="G1"), TypeError, ("ignore",)),
    "lint(select=[1])": (lambda: archspec.lint(doc(), select=[1]), TypeError,
                         ("select", "str", "int")),
    "lint(select=5)": (lambda: archspec.lint(doc(), select=5), TypeError, ("select", "int")),
    "lint(variant=1)": (lambda: archspec.lint(doc(), variant=1), TypeError, ("variant",)),
    "lint(target=1)": (lambda: archspec.lint(doc(), target=1), TypeError, ("target", "int")),
    "lint(select=['NOPE'])": (lambda: archspec.lint(doc(), select=["NOPE"]), ValueError,
                              ("NOPE",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_misuse_is_a_clear_type_or_value_error(name: str) -> None:
    call, kind, words = CASES[name]
    with pytest.raises(Exception) as info:  # noqa: PT011  (the exact class is asserted below)
        call()
    assert type(info.value) is kind or (isinstance(info.value, kind)
                                        and not isinstance(info.value, SpecError)), (
        f"{name}: {type(info.value).__name__}: {info.value}")
    for word in words:
        assert word in str(info.value), (name, word, str(info.value))


def test_a_spec_problem_stays_a_spec_error() -> None:
    """Values of the right type that the spec cannot take are located spec errors."""
    with pytest.raises(SpecError, match="E131"):
        archspec.resolve(doc(), "nope")
    with pytest.raises(SpecError, match="input.size"):
        archspec.analyze(doc(), input_size=-3)


# ------------------------------------------------------------------------ build


needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch")


@needs_torch
@pytest.mark.parametrize(("kwargs", "kind", "words"), [
    ({"num_classes": True}, TypeError, ("num_classes", "bool")),
    ({"in_channels": 0}, ValueError, ("in_channels",)),
    ({"variant": 3}, TypeError, ("variant",)),
    ({"features_only": "yes"}, TypeError, ("features_only", "bool")),
    ({"features_only": True, "out_indices": 0}, TypeError, ("out_indices", "int")),
    ({"max_memory": "lots"}, ValueError, ("max_memory=", "size")),
    ({"max_memory": 2.0}, TypeError, ("max_memory=", "float")),
])
def test_build_misuse(kwargs: dict[str, Any], kind: type[Exception],
                      words: tuple[str, ...]) -> None:
    with pytest.raises(kind) as info:
        archspec.build(doc(), **kwargs)
    assert not isinstance(info.value, SpecError)
    for word in words:
        assert word in str(info.value)


# ------------------------------------------------------------------------ load_model


@needs_torch
def test_load_model_of_a_path_that_is_not_a_path() -> None:
    with pytest.raises(TypeError, match="path: expected a file path"):
        archspec.load_model(None)


@needs_torch
def test_load_model_of_a_missing_file_or_a_directory(tmp_path: Path) -> None:
    """Like archspec.load: a located E100, never FileNotFoundError/IsADirectoryError."""
    with pytest.raises(SpecError, match="E100 file not found"):
        archspec.load_model(tmp_path / "missing.pt")
    with pytest.raises(SpecError, match="E100 .* is a directory"):
        archspec.load_model(tmp_path)


@needs_torch
@pytest.mark.parametrize("content", ["text", "random", "torch-other", "torch-no-spec",
                                     "torch-list", "wrong-types", "wrong-weights"])
def test_load_model_of_what_is_not_a_checkpoint(content: str, tmp_path: Path) -> None:
    import torch

    path = tmp_path / "model.pt"
    checkpoint = {"format": "archspec-checkpoint", "version": 1, "state_dict": {},
                  "spec_text": SMALL, "spec_file": "small.yaml", "variant": None,
                  "overrides": {}}
    if content == "text":
        path.write_text(SMALL)
    elif content == "random":
        path.write_bytes(os.urandom(4096))
    elif content == "torch-other":
        torch.save({"weights": torch.zeros(3)}, path)
    elif content == "torch-no-spec":
        torch.save({k: v for k, v in checkpoint.items() if k != "spec_text"}, path)
    elif content == "torch-list":
        torch.save([1, 2, 3], path)
    elif content == "wrong-types":
        torch.save({**checkpoint, "overrides": "none"}, path)
    else:
        torch.save({**checkpoint, "state_dict": {"w": torch.zeros(1)}}, path)
    with pytest.raises(ValueError) as info:  # noqa: PT011
        archspec.load_model(path)
    message = str(info.value)
    assert str(path) in message
    assert "checkpoint" in message or "weights" in message
    assert "Weights only load failed" not in message  # torch's long story is not ours
