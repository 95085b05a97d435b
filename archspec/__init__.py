"""archspec: YAML specs of mobile vision networks — validated, linted against the ShuffleNet V2
guidelines, analysed without torch, and built into exact ``torch.nn.Module``s.

Everything here imports without torch; :func:`build`, :func:`transfer_weights` and
:func:`load_model` import it when called.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from archspec.diagnostics import Diagnostic, Severity, Span, SpecError

if TYPE_CHECKING:
    from archspec.graph.analysis import Analysis
    from archspec.graph.opgraph import OpGraph
    from archspec.spec.document import Document
    from archspec.spec.resolved import ResolvedNet

__version__ = "0.1.0"

__all__ = [
    "Diagnostic", "Severity", "Span", "SpecError", "load", "loads", "dump", "resolve", "trace",
    "analyze", "lint", "build", "transfer_weights", "load_model", "__version__",
]

SpecOrPath = "str | os.PathLike[str] | Document"


def load(path: str | os.PathLike[str]) -> Document:
    """Read and validate a spec file (all variants); raises SpecError with every problem."""
    from archspec.spec.document import load as _load

    return _load(path)


def loads(text: str, name: str = "<string>") -> Document:
    """Validate spec text; ``name`` is the file name used in messages."""
    from archspec.spec.document import loads as _loads

    return _loads(text, name)


def dump(document: Document) -> str:
    """YAML text that loads back to an equal document."""
    from archspec.spec.document import dump as _dump

    return _dump(document)


def _document(spec_or_path: Any) -> Document:
    from archspec.spec.document import Document

    if isinstance(spec_or_path, Document):
        return spec_or_path
    if isinstance(spec_or_path, str | os.PathLike):
        return load(spec_or_path)
    raise TypeError(f"expected a path or a Document, got {type(spec_or_path).__name__} "
                    "(use archspec.loads() for YAML text)")


def resolve(document: Document, variant: str | None = None, *, num_classes: int | None = None,
            in_channels: int | None = None) -> ResolvedNet:
    """One variant with every block explicit (defaults, templates, width multiplier applied)."""
    from archspec.spec.resolve import resolve as _resolve

    return _resolve(_document(document), variant, num_classes=num_classes,
                    in_channels=in_channels)


def trace(resolved: ResolvedNet) -> OpGraph:
    """The OpGraph of primitive ops with shapes, costs and provenance."""
    from archspec.graph.trace import trace as _trace

    return _trace(resolved)


def analyze(spec_or_path: Any, *, variant: str | None = None,
            input_size: int | tuple[int, int] | None = None, batch: int = 1,
            dtype: str = "fp32", convention: str = "torch", num_classes: int | None = None,
            in_channels: int | None = None) -> Analysis:
    """Params, multiply-accumulates, FLOPs, memory access and activation memory, per block and in
    total. ``input_size`` overrides the spec's input size; ``convention="fvcore"`` counts FLOPs
    as fvcore does (so EMO's published numbers can be reproduced)."""
    from archspec.graph.analysis import DTYPE_BYTES, analyze_net

    if dtype not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPE_BYTES)}, got {dtype!r}")
    if convention not in ("torch", "fvcore"):
        raise ValueError(f"convention must be 'torch' or 'fvcore', got {convention!r}")
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    doc = _document(spec_or_path)
    if input_size is not None:
        doc = with_input_size(doc, input_size)
    net = resolve(doc, variant, num_classes=num_classes, in_channels=in_channels)
    return analyze_net(net, trace(net), batch=batch, dtype=dtype,
                       convention=convention)  # type: ignore[arg-type]


def with_input_size(doc: Document, size: int | tuple[int, int]) -> Document:
    """The same document analysed at another input size (the spec's text is unchanged)."""
    import copy

    from archspec.spec.document import Document

    data = copy.deepcopy(doc.source.data)
    data.setdefault("input", {})["size"] = size if isinstance(size, int) else list(size)
    for override in (data.get("variants") or {}).values():
        if isinstance(override, dict) and isinstance(override.get("input"), dict):
            override["input"].pop("size", None)
    from dataclasses import replace

    from archspec.spec.document import from_source

    new = from_source(replace(doc.source, data=data))
    assert isinstance(new, Document)
    return new


def lint(spec_or_path: Any, *, variant: str | None = None, target: str | None = None,
         select: list[str] | None = None, ignore: list[str] | None = None) -> list[Diagnostic]:
    """Findings of the design rules (torch-free). Every variant unless ``variant`` is given."""
    from archspec.rules.engine import lint_document

    return lint_document(_document(spec_or_path), variant=variant, target=target,
                         select=select, ignore=ignore)


def build(spec_or_path: Any, *, variant: str | None = None, num_classes: int | None = None,
          in_channels: int | None = None, features_only: bool = False,
          out_indices: tuple[int, ...] | None = None) -> Any:
    """A ``torch.nn.Module`` for one variant, initialised by the spec's ``init`` scheme."""
    from archspec.nn.build import build_module

    net = resolve(_document(spec_or_path), variant, num_classes=num_classes,
                  in_channels=in_channels)
    return build_module(net, features_only=features_only, out_indices=out_indices)


def transfer_weights(source_state_dict: Any, model: Any) -> Any:
    """Copy a reference state_dict into a built model by position, checking every shape."""
    from archspec.nn.transfer import transfer_weights as _transfer

    return _transfer(source_state_dict, model)


def load_model(path: str | os.PathLike[str]) -> Any:
    """Rebuild a model from an ``archspec build -o model.pt`` checkpoint."""
    from archspec.nn.export import load_model as _load_model

    return _load_model(path)
