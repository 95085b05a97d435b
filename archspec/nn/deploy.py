"""The deploy (inference) form of a module: BNs folded, linear branches re-parameterised.

:func:`to_deploy` applies to a copy of the module what :func:`archspec.blocks.rep.deploy_graph`
applies to the graph (decision 0035), so the analysis of the deploy form is the truth about it:

1. every ``parallel`` that :func:`~archspec.blocks.rep.rep_conv` accepts becomes one
   ``Conv2d`` with a bias (RepVGG's sum of kernels: BN folded into each branch's kernel,
   kernels zero-padded to the largest, the identity a centred delta per group);
2. every BN that directly follows a ``Conv2d`` (``BatchNorm2d``) or ``Linear``
   (``BatchNorm1d``) in a chain of modules — inside one ``Sequential``, across neighbouring
   blocks of one, or across the network's stem, stages and head — folds into it, and goes;
3. attention runs on ``scaled_dot_product_attention``.

Folding is done in float64 and rounded once to the weights' dtype.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from archspec.blocks.rep import RepConv
from archspec.nn.mmb import MetaMobileBlock, set_attention_impl
from archspec.nn.network import Network
from archspec.nn.norm import NormLayer
from archspec.nn.parallel import ParallelBlock

_BN = nn.BatchNorm1d | nn.BatchNorm2d


@dataclass(frozen=True)
class DeployInfo:
    """What :func:`to_deploy` changed (kept on the result as ``deploy_info``)."""

    folded: int
    reparameterised: int
    params_before: int
    params_after: int
    channels_last: bool


def to_deploy(model: nn.Module, *, channels_last: bool = False) -> nn.Module:
    """A new module in eval mode computing what ``model`` computes in eval mode, in deploy form
    (``model`` is left as it was). ``channels_last``: weights in torch.channels_last memory
    format (feed it channels-last inputs for the speed-up)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if getattr(model, "deploy_info", None) is not None:
        raise ValueError("model is already in deploy form (to_deploy was applied to it)")
    deployed = copy.deepcopy(model).eval()
    before = sum(p.numel() for p in deployed.parameters())
    with torch.no_grad():
        reparameterised = _reparameterise(deployed)
        folded = _fold(deployed)
    set_attention_impl(deployed, "sdpa")
    if channels_last:
        deployed = deployed.to(memory_format=torch.channels_last)
    after = sum(p.numel() for p in deployed.parameters())
    object.__setattr__(deployed, "deploy_info",
                       DeployInfo(folded, reparameterised, before, after, channels_last))
    return deployed


# ------------------------------------------------------------------ re-parameterisation


def _fused(weight: torch.Tensor, bias: torch.Tensor, bn: nn.Module | None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """``bn(conv(x))`` as one kernel and bias (float64): w·γ/σ, (b − μ)·γ/σ + β."""
    if bn is None:
        return weight, bias
    assert isinstance(bn, _BN) and bn.running_var is not None and bn.running_mean is not None
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    shape = (-1,) + (1,) * (weight.dim() - 1)
    return weight * scale.view(shape), (bias - bn.running_mean.double()) * scale \
        + bn.bias.double()


def _branch(branch: nn.Module, rep: RepConv) -> tuple[torch.Tensor, torch.Tensor]:
    """One branch as a k×k kernel and a bias (float64)."""
    k, per_group = rep.k, rep.in_ch // rep.groups
    weight = torch.zeros(rep.out, per_group, k, k, dtype=torch.float64)
    bias = torch.zeros(rep.out, dtype=torch.float64)
    layers = [m for m in branch.children() if not isinstance(m, nn.Identity)]
    if not layers or isinstance(layers[0], NormLayer):  # the identity: a centred delta
        channels = torch.arange(rep.out)
        weight[channels, channels % per_group, k // 2, k // 2] = 1.0
        norm = layers[0].norm if layers else None
        assert norm is None or isinstance(norm, nn.Module)
        return _fused(weight, bias, norm)
    (unit,) = layers  # a conv block: conv [→ norm]
    conv = unit.conv
    assert isinstance(conv, nn.Conv2d)
    pad = (k - conv.kernel_size[0]) // 2
    weight[:, :, pad:k - pad, pad:k - pad] = conv.weight.double()
    if conv.bias is not None:
        bias += conv.bias.double()
    return _fused(weight, bias, getattr(unit, "norm", None))


def _rep_module(block: ParallelBlock, rep: RepConv) -> nn.Conv2d:
    like = next(block.parameters())
    conv = nn.Conv2d(rep.in_ch, rep.out, rep.k, rep.stride, rep.padding, groups=rep.groups,
                     bias=True)
    kernels = [_branch(b, rep) for b in block.branches]
    conv.weight.copy_(sum(w for w, _ in kernels))  # type: ignore[arg-type]
    conv.bias.copy_(sum(b for _, b in kernels))  # type: ignore[arg-type, union-attr]
    return conv.to(like.device, like.dtype)


def _reparameterise(model: nn.Module) -> int:
    count = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, ParallelBlock) and child.rep is not None:
                setattr(parent, name, _rep_module(child, child.rep))
                count += 1
    return count


# ------------------------------------------------------------------ BN folding


def _last(module: nn.Module) -> nn.Module | None:
    """The conv or linear whose output is ``module``'s output, if any."""
    if isinstance(module, nn.Conv2d | nn.Linear):
        return module
    if isinstance(module, nn.Sequential):
        layers = [m for m in module.children() if not isinstance(m, nn.Identity)]
        return _last(layers[-1]) if layers else None
    if isinstance(module, MetaMobileBlock) and not module.skip and module.post_act is None:
        return _last(module.proj)  # the block's output is its projection's
    return None


def _first(module: nn.Module, holder: nn.Module, name: str
           ) -> tuple[nn.Module, str, nn.Module] | None:
    """The BN that reads ``module``'s input first and alone: (its holder, its name, it)."""
    if isinstance(module, _BN):
        return holder, name, module
    if isinstance(module, NormLayer):
        return _first(module.norm, module, "norm")
    if isinstance(module, MetaMobileBlock) and not module.skip and module.pre_norm is not None:
        return _first(module.pre_norm, module, "pre_norm")  # x read by the norm alone
    if isinstance(module, nn.Sequential):
        layers = [(n, m) for n, m in module.named_children() if not isinstance(m, nn.Identity)]
        return _first(layers[0][1], module, layers[0][0]) if layers else None
    return None


def _fold_into(layer: nn.Module, bn: nn.Module) -> bool:
    pair_ok = (isinstance(layer, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)) or (
        isinstance(layer, nn.Linear) and isinstance(bn, nn.BatchNorm1d))
    if not pair_ok:
        return False
    assert isinstance(layer, nn.Conv2d | nn.Linear) and isinstance(bn, _BN)
    out = layer.weight.shape[0]
    if bn.num_features != out:
        return False
    bias = layer.bias.double() if layer.bias is not None else torch.zeros(out, dtype=torch.float64)
    weight, bias = _fused(layer.weight.double(), bias, bn)
    layer.weight.copy_(weight)
    if layer.bias is None:
        layer.bias = nn.Parameter(bias.to(layer.weight))
    else:
        layer.bias.copy_(bias)
    return True


def _chain(parent: nn.Module) -> list[tuple[nn.Module, str, nn.Module]]:
    """Modules run one after another, each reading only the previous one's output."""
    if isinstance(parent, Network) and not parent.features_only:
        return [(parent, "stem", parent.stem),
                *((parent.stages, str(i), s) for i, s in enumerate(parent.stages)),
                (parent, "head", parent.head)]
    if isinstance(parent, nn.Sequential):
        return [(parent, n, m) for n, m in parent.named_children()]
    return []


def _fold(model: nn.Module) -> int:
    folded = 0
    for parent in reversed(list(model.modules())):  # the innermost chains first
        chain = _chain(parent)
        for (_, _, a), (holder, name, b) in zip(chain, chain[1:], strict=False):
            layer, found = _last(a), _first(b, holder, name)
            if layer is not None and found is not None and _fold_into(layer, found[2]):
                setattr(found[0], found[1], nn.Identity())
                folded += 1
    for module in model.modules():  # drop what folding emptied
        if isinstance(module, nn.Sequential):
            for name, child in list(module.named_children()):
                if isinstance(child, nn.Identity) or (
                        isinstance(child, NormLayer) and isinstance(child.norm, nn.Identity)):
                    del module._modules[name]
    return folded
