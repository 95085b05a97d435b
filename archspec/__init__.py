"""archspec: YAML specs of mobile vision networks — validated, linted against the ShuffleNet V2
guidelines, analysed without torch, and built into exact ``torch.nn.Module``s.

Everything here imports without torch; :func:`build`, :func:`transfer_weights` and
:func:`load_model` import it when called.

Arguments are checked where they enter: a value of the wrong type raises ``TypeError`` and a value
out of range ``ValueError``, each naming the argument and what it takes; a problem in the spec
itself raises :class:`SpecError` with its location (docs/api.md lists every case).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from archspec.diagnostics import (
    Diagnostic,
    Severity,
    Span,
    SpecError,
    WeightTransferError,
    show_value,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import torch
    from torch import nn

    from archspec.graph.analysis import Analysis
    from archspec.graph.opgraph import OpGraph
    from archspec.latency.model import DeviceProfile
    from archspec.nn.network import Network
    from archspec.spec.document import Document
    from archspec.spec.resolved import ResolvedNet

    #: what the functions that read a spec take: a loaded Document, or a spec file's path
    SpecOrPath = Document | str | os.PathLike[str]

__version__ = "0.1.0"

__all__ = [
    "Diagnostic", "Severity", "Span", "SpecError", "WeightTransferError", "load", "loads", "dump",
    "resolve", "trace", "analyze", "lint", "build", "to_deploy", "transfer_weights", "load_model",
    "__version__",
]


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _show(value: object) -> str:
    """A caller's value in a message, bounded (a 5,000-digit int, a megabyte of text)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, tuple | list) and len(value) <= 4:
        return "(" + ", ".join(_show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return show_value(value)


def _check_path(name: str, value: object) -> None:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name}: expected a file path (str or os.PathLike), got "
                        f"{_type_name(value)}")


def _check_optional_str(name: str, value: object, what: str) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name}: expected {what} (a str) or None, got {_type_name(value)} "
                        f"{_show(value)}")


def _check_count(name: str, value: object, *, optional: bool = True) -> None:
    """A positive int (bool is not an int here); None when ``optional``."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected a positive int{' or None' if optional else ''}, got "
                        f"{_type_name(value)} {_show(value)}")
    if value < 1:
        raise ValueError(f"{name}: expected a positive int, got {_show(value)}")


def _check_codes(name: str, value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{name}: expected a list of rule codes, prefixes or names such as "
                        f"[{_show(value)}], got the str {_show(value)}")
    try:
        codes: list[object] = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{name}: expected a list of rule codes, prefixes or names, got "
                        f"{_type_name(value)}") from None
    bad = [c for c in codes if not isinstance(c, str)]
    if bad:
        raise TypeError(f"{name}: expected rule codes as str (such as 'G1'), got "
                        f"{_type_name(bad[0])} {_show(bad[0])}")
    return [c for c in codes if isinstance(c, str)]  # every one, as checked above


def load(path: str | os.PathLike[str]) -> Document:
    """Read and validate a spec file (all variants); raises SpecError with every problem (E100
    when the file is missing or not a regular file), TypeError when ``path`` is not a path.
    ``path`` may also name a shipped network (``"ghostnet_100"``): its spec file is read."""
    from archspec.spec.document import load as _load

    _check_path("path", path)
    if isinstance(path, str):
        from archspec.spec.zoo import locate

        path = locate(path, None)[0]
    return _load(path)


def loads(text: str | bytes, name: str = "<string>") -> Document:
    """Validate spec text (str, or UTF-8 bytes); ``name`` is the file name used in messages.
    TypeError when ``text`` or ``name`` is of another type."""
    from archspec.spec.document import loads as _loads

    if not isinstance(text, str | bytes):
        raise TypeError(f"text: expected the spec's YAML text (str or bytes), got "
                        f"{_type_name(text)} (use archspec.load() for a file path)")
    if not isinstance(name, str):
        raise TypeError(f"name: expected the file name to show in messages (a str), got "
                        f"{_type_name(name)}")
    return _loads(text, name)


def dump(document: Document | dict[str, object]) -> str:
    """YAML text that loads back to an equal document. ``document`` is a Document or the plain
    data of one (a dict, as ``Document.data`` or a hypothesis strategy gives it); TypeError for
    anything else."""
    from archspec.spec.document import Document
    from archspec.spec.document import dump as _dump

    if not isinstance(document, Document | dict):
        raise TypeError(f"document: expected a Document (from archspec.load or loads) or its "
                        f"data as a dict, got {_type_name(document)}")
    return _dump(document)


def _target(spec_or_path: object, variant: str | None,
            name: str = "spec_or_path") -> tuple[Document, str | None]:
    """The document and variant an argument means: a Document, a spec file, or the name of a
    shipped network (``"ghostnet_100"``: its spec and variant, archspec/data/zoo.yaml)."""
    from archspec.spec.document import Document

    if isinstance(spec_or_path, Document):
        return spec_or_path, variant
    if isinstance(spec_or_path, str) and "\n" in spec_or_path:
        raise ValueError(f"{name}: expected a path or a Document, got a str of several lines "
                         "(use archspec.loads() for YAML text)")
    if isinstance(spec_or_path, str):
        from archspec.spec.zoo import locate

        path, variant = locate(spec_or_path, variant)
        return load(path), variant
    if isinstance(spec_or_path, os.PathLike):
        return load(spec_or_path), variant
    raise TypeError(f"{name}: expected a path or a Document, got {_type_name(spec_or_path)} "
                    "(use archspec.loads() for YAML text)")


def resolve(document: SpecOrPath, variant: str | None = None, *,
            num_classes: int | None = None, in_channels: int | None = None,
            input_size: int | tuple[int, int] | None = None) -> ResolvedNet:
    """One variant with every block explicit (defaults, templates, width multiplier applied).
    ``document`` may also be a path. An unknown ``variant`` is a SpecError (E131), and so is a
    network too large to build (E150, E151: its graph is traced to check)."""
    from archspec.pipeline import run

    _check_optional_str("variant", variant, "a variant name")
    _check_count("num_classes", num_classes)
    _check_count("in_channels", in_channels)
    _check_input_size(input_size)
    document, variant = _target(document, variant, "document")
    result = run(document, [variant], num_classes=num_classes,
                 in_channels=in_channels, input_size=input_size)
    return result.variants[0].require()[0]


def trace(resolved: ResolvedNet) -> OpGraph:
    """The OpGraph of primitive ops with shapes, costs and provenance."""
    from archspec.blocks.trace import trace as _trace
    from archspec.spec.resolved import ResolvedNet

    if not isinstance(resolved, ResolvedNet):
        raise TypeError(f"resolved: expected a ResolvedNet (from archspec.resolve), got "
                        f"{_type_name(resolved)}")
    return _trace(resolved)


def analyze(spec_or_path: SpecOrPath, *, variant: str | None = None,
            input_size: int | tuple[int, int] | None = None, batch: int = 1,
            dtype: Literal["fp32", "fp16", "bf16", "int8"] = "fp32",
            convention: Literal["torch", "fvcore"] = "torch", num_classes: int | None = None,
            in_channels: int | None = None,
            device: DeviceProfile | str | os.PathLike[str] | None = None,
            deploy: bool = False) -> Analysis:
    """Params, multiply-accumulates, FLOPs, memory access and activation memory, per block and in
    total. ``input_size`` overrides the spec's input size; ``convention="fvcore"`` counts FLOPs
    as fvcore does (so EMO's published numbers can be reproduced).

    ``device`` (a DeviceProfile, or a profile file's path; without one, the file
    ``$ARCHSPEC_DEVICE`` names, if set) adds the predicted latency of one image at batch 1:
    ``total.latency_ms``, each block's ``latency_ms`` and the prediction as ``latency`` (None
    without a device). A bad profile file raises SpecError, located (docs/device-profile.md).
    ``deploy``: the figures of the deploy form (BNs folded, linear branches re-parameterised:
    what :func:`to_deploy` builds; docs/deploy-form.md)."""
    from archspec.graph.analysis import DTYPE_BYTES, analyze_net
    from archspec.latency.profile import resolve_device
    from archspec.pipeline import run

    _check_device(device)
    _check_bool("deploy", deploy)

    for name, value, allowed in (("dtype", dtype, tuple(DTYPE_BYTES)),
                                 ("convention", convention, ("torch", "fvcore"))):
        if not isinstance(value, str):
            raise TypeError(f"{name}: expected a str, one of {', '.join(allowed)}; got "
                            f"{_type_name(value)}")
        if value not in allowed:
            raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {_show(value)}")
    _check_count("batch", batch, optional=False)
    _check_optional_str("variant", variant, "a variant name")
    _check_count("num_classes", num_classes)
    _check_count("in_channels", in_channels)
    _check_input_size(input_size)
    document, variant = _target(spec_or_path, variant)
    profile = resolve_device(device)
    result = run(document, [variant], num_classes=num_classes, in_channels=in_channels,
                 input_size=input_size, device=profile, deploy=deploy)
    net, graph = result.variants[0].require()
    analysis = analyze_net(net, graph, batch=batch, dtype=dtype, convention=convention)
    deployed = result.variants[0].deployed
    if deployed is not None:
        from dataclasses import replace

        from archspec.graph.analysis import Form

        analysis = replace(analysis, form=Form("deploy", deployed.folded,
                                               deployed.reparameterised))
    latency = result.variants[0].latency
    if latency is None:
        return analysis
    from archspec.latency.predict import with_latency

    return with_latency(analysis, latency)


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected a bool, got {_type_name(value)}")


def _check_input_size(size: object) -> None:
    """An int or an (H, W) pair of ints; their range is the spec's (E122 at `input.size`)."""
    if size is None:
        return
    pair = size if isinstance(size, tuple | list) else (size,)
    if len(pair) not in (1, 2) or (len(pair) == 1 and size is not pair[0]) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in pair):
        raise TypeError(f"input_size: expected an int or a (height, width) pair of ints, got "
                        f"{_type_name(size)} {_show(size)}")


def lint(spec_or_path: SpecOrPath, *, variant: str | None = None,
         target: str | os.PathLike[str] | None = None, select: Iterable[str] | None = None,
         ignore: Iterable[str] | None = None,
         device: DeviceProfile | str | os.PathLike[str] | None = None) -> list[Diagnostic]:
    """Findings of the design rules (torch-free). Every variant unless ``variant`` is given; a
    variant with spec errors raises SpecError with every variant's (each error once).
    ``device`` (as for :func:`analyze`; default ``$ARCHSPEC_DEVICE``) states the rules' figures
    in time predicted on that device."""
    from archspec.latency.profile import resolve_device
    from archspec.pipeline import LintRequest
    from archspec.pipeline import lint as _lint

    _check_optional_str("variant", variant, "a variant name")
    if target is not None and not isinstance(target, str | os.PathLike):
        raise TypeError(f"target: expected a shipped target's name or a target file's path, "
                        f"got {_type_name(target)}")
    _check_device(device)
    document, variant = _target(spec_or_path, variant)
    request = LintRequest(target, _check_codes("select", select), _check_codes("ignore", ignore))
    return _lint(document, request, variant, device=resolve_device(device))


def _check_device(device: object) -> None:
    from archspec.latency.model import DeviceProfile as Profile

    if device is not None and not isinstance(device, Profile | str | os.PathLike):
        raise TypeError(f"device: expected a DeviceProfile or a profile file's path, got "
                        f"{_type_name(device)}")


def build(spec_or_path: SpecOrPath, *, variant: str | None = None,
          num_classes: int | None = None, in_channels: int | None = None,
          features_only: bool = False, out_indices: tuple[int, ...] | None = None,
          max_memory: int | str | None = None, deploy: bool = False) -> Network:
    """A ``torch.nn.Module`` for one variant, initialised by the spec's ``init`` scheme.

    Before torch allocates anything, the memory the module and one forward of one image at the
    spec's input size need is estimated and compared with ``max_memory`` (bytes, or a size such
    as ``"2G"``; ``"none"`` turns the check off), else ``$ARCHSPEC_MAX_MEMORY``, else the memory
    available; past it, a SpecError (E190) gives the figures. A bad size raises ValueError.
    ``deploy``: the deploy form of the module (:func:`to_deploy`: eval mode, BNs folded,
    linear branches re-parameterised), whose figures ``analyze(..., deploy=True)`` gives.
    """
    from archspec.graph import memory
    from archspec.pipeline import run

    if not isinstance(features_only, bool):
        raise TypeError(f"features_only: expected a bool, got {_type_name(features_only)}")
    if out_indices is not None and (
            not isinstance(out_indices, tuple | list)
            or any(isinstance(i, bool) or not isinstance(i, int) for i in out_indices)):
        raise TypeError(f"out_indices: expected a tuple of stage indices (ints) or None, got "
                        f"{_type_name(out_indices)} {_show(out_indices)}")
    _check_bool("deploy", deploy)
    within = memory.budget(max_memory, option="max_memory=")  # SizeError is a ValueError
    _check_optional_str("variant", variant, "a variant name")
    _check_count("num_classes", num_classes)
    _check_count("in_channels", in_channels)
    document, variant = _target(spec_or_path, variant)
    result = run(document, [variant], num_classes=num_classes,
                 in_channels=in_channels)
    net, graph = result.variants[0].require()
    memory.check(memory.estimate(graph, batch=1), within, net=net, action="build",
                 override=f"max_memory= (bytes or a size such as '8G', or ${memory.ENV_VAR}); "
                          "max_memory='none' turns the check off")
    from archspec.nn.build import build_module

    model = build_module(net, features_only=features_only, out_indices=out_indices)
    if not deploy:
        return model
    from archspec.nn.deploy import to_deploy as _to_deploy

    deployed = _to_deploy(model)
    assert isinstance(deployed, type(model))  # a copy, rewritten inside
    return deployed


def to_deploy(model: nn.Module, *, channels_last: bool = False) -> nn.Module:
    """The deploy (inference) form of a built or trained model: a new module in eval mode, BNs
    folded into the convs and linears they follow, re-parameterisable parallel branches
    (RepVGG/MobileOne/RepViT) fused into one conv, attention on SDPA; ``channels_last`` puts
    the weights in torch.channels_last. Outputs equal ``model``'s in eval mode (≤ 1e-5
    relative); ``model`` is left as it was (docs/deploy-form.md)."""
    _check_bool("channels_last", channels_last)
    from torch import nn as _nn

    if not isinstance(model, _nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {_type_name(model)}")
    from archspec.nn.deploy import to_deploy as _to_deploy

    return _to_deploy(model, channels_last=channels_last)


def transfer_weights(source: Mapping[str, torch.Tensor] | nn.Module, model: nn.Module, *,
                     verify: bool = True) -> nn.Module:
    """Copy a reference model's weights into a built model by position, checking every shape.

    ``source`` is a state_dict or an ``nn.Module``. Given a module (and ``verify``), both then
    run in eval mode on one seeded input of the model's input shape, batch 2, and outputs that
    differ by more than 1e-5 of the source's scale raise :class:`WeightTransferError`: equal
    shapes do not prove an equal function. Returns ``model``.
    """
    from archspec.nn.transfer import transfer_weights as _transfer

    return _transfer(source, model, verify=verify)


def load_model(path: str | os.PathLike[str]) -> nn.Module:
    """Rebuild a model from an ``archspec build -o model.pt`` checkpoint.

    TypeError when ``path`` is not a path; SpecError (E100) when the file is missing or not a
    regular file; ValueError when it is not an archspec checkpoint (a text file, another torch
    file, a checkpoint without its spec text)."""
    from archspec.nn.export import load_model as _load_model

    _check_path("path", path)
    return _load_model(path)
