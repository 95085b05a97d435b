"""Resolved blocks and nets for the nn tests, built through each family's own ``resolve``.

Until ``archspec.spec.resolve`` exists, tests write blocks as the dicts a spec holds and resolve
them one by one with the family's model and ``resolve`` (so modules are checked against the real
resolution code, not a hand copy of it).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from archspec.blocks import FAMILIES
from archspec.blocks.base import Origin, ResolveContext, ResolvedBlock
from archspec.spec.resolved import ResolvedNet

Shape = tuple[int, ...]


def resolve_block(d: dict[str, Any], in_shape: Shape, *, section: str = "stages",
                  stage: str | None = "s1", index: int = 0, path: str | None = None,
                  drop_path: float = 0.0, is_classifier: bool = False,
                  num_classes: int | None = None) -> ResolvedBlock:
    """One block dict (``{"block": tag, ...}``) resolved at ``in_shape``; spec errors raise."""
    path = path or (f"{section}.{stage}[{index}]" if section == "stages" else f"{section}[{index}]")
    family = FAMILIES[d["block"]]
    spec = family.model.model_validate(d)

    def resolve_child(key: tuple[str, int, int], shape: Shape) -> ResolvedBlock:
        _, i, j = key
        return resolve_block(d["branches"][i][j], shape, section=section, stage=stage, index=j,
                             path=f"{path}.branches[{i}][{j}]")

    ctx = ResolveContext(in_shape=tuple(in_shape),
                         origin=Origin(section=section, path=path, index=index, stage=stage),
                         drop_path=drop_path, is_classifier=is_classifier,
                         num_classes=num_classes, resolve_child=resolve_child)
    block = family.resolve(spec, ctx)
    if ctx.diagnostics or block is None:
        raise ValueError(f"{path}: {[str(x) for x in ctx.diagnostics]}")
    return block


def make_net(*, input_shape: Shape = (3, 32, 32), stem: list[dict[str, Any]] = (),
             stages: dict[str, list[dict[str, Any]]] | None = None,
             head: list[dict[str, Any]] = (), init: str = "torchvision",
             drop_paths: list[float] | None = None, name: str = "tiny") -> ResolvedNet:
    """A ResolvedNet from block dicts per section; ``drop_paths`` per stage block, in order."""
    blocks: list[ResolvedBlock] = []
    shape = tuple(input_shape)
    for i, d in enumerate(stem):
        blocks.append(resolve_block(d, shape, section="stem", stage=None, index=i))
        shape = blocks[-1].out_shape
    k = 0
    for stage, ds in (stages or {}).items():
        for i, d in enumerate(ds):
            rate = drop_paths[k] if drop_paths else 0.0
            blocks.append(resolve_block(d, shape, section="stages", stage=stage, index=i,
                                        drop_path=rate))
            shape = blocks[-1].out_shape
            k += 1
    for i, d in enumerate(head):
        last = i == len(head) - 1 and d["block"] == "linear"
        blocks.append(resolve_block(d, shape, section="head", stage=None, index=i,
                                    is_classifier=last))
        shape = blocks[-1].out_shape
    return ResolvedNet(name=name, variant=None, file=f"{name}.yaml",
                       input_shape=tuple(input_shape), blocks=tuple(blocks), init=init)


def emo_reference() -> ModuleType:
    """tests/reference/emo_reference.py, loaded by path (works whatever the rootdir layout)."""
    name = "archspec_tests_emo_reference"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "reference" / "emo_reference.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# --------------------------------------------------------------------------- EMO as block dicts

BN6 = {"type": "bn", "eps": 1e-6}
LN6 = {"type": "ln", "eps": 1e-6}


def emo_irmb(*, out: int, exp: float, norm: dict[str, Any], act: str, dw_k: int, stride: int = 1,
             attn: bool = False, first: bool = False, dim_head: int = 16, window: int = 7,
             se: float = 0.0) -> dict[str, Any]:
    """An EMO iRMB (reference_nets.md §1.3) written as an mmb block dict."""
    d: dict[str, Any] = {
        "block": "mmb", "out": out, "exp": float(exp), "mid_round": "floor",
        "f": "attn" if attn else "dwconv", "dw_k": dw_k, "stride": stride,
        "pre_norm": norm, "expand_norm": "none", "expand_act": act, "expand_bias": True,
        "qkv_bias": True, "dw_norm": BN6, "dw_act": "silu", "proj_norm": "none",
        "proj_act": "none", "skip": not first, "dw_skip": not first,
        "se": float(se), "se_act": act,
    }
    if attn:
        d.update(partition="grid", window=window, dim_head=dim_head, attn_pre=True)
    return d


def emo_net(variant: str, *, size: int = 224, num_classes: int = 1000) -> ResolvedNet:
    """EMO as a ResolvedNet (stem conv + iRMB, four stages, LN → pool → linear)."""
    cfg = emo_reference().EMO_CONFIGS[variant]
    norms = {"bn_2d": BN6, "ln_2d": LN6}
    stem = [
        {"block": "conv", "out": cfg.stem_dim, "k": 3, "stride": 2, "bias": True, "norm": BN6,
         "act": "none"},
        {"block": "mmb", "out": cfg.stem_dim, "exp": 1.0, "expand": False, "dw_k": 3,
         "dw_norm": BN6, "dw_act": "silu", "proj_norm": "none", "skip": False, "se": 1.0,
         "se_act": "silu"},
    ]
    stages: dict[str, list[dict[str, Any]]] = {}
    for i in range(4):
        common = dict(out=cfg.embed_dims[i], norm=norms[cfg.norm_layers[i]],
                      act=cfg.act_layers[i], dw_k=cfg.dw_kss[i], se=cfg.se_ratios[i])
        blocks = [emo_irmb(exp=2 * cfg.exp_ratios[i], stride=2, first=True, **common)]
        blocks += [emo_irmb(exp=cfg.exp_ratios[i], attn=cfg.attn_ss[i],
                            dim_head=cfg.dim_heads[i], window=cfg.window_sizes[i], **common)
                   for _ in range(cfg.depths[i] - 1)]
        stages[f"s{i + 1}"] = blocks
    head = [{"block": "norm", "norm": LN6}, {"block": "pool", "global": True},
            {"block": "linear", "out": num_classes}]
    return make_net(input_shape=(3, size, size), stem=stem, stages=stages, head=head,
                    init="emo", name=variant)
