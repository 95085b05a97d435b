"""The public strategies themselves: every generated document is valid by construction and
resolves to the shapes the generator predicted; near misses break one field; every option of the
language is reachable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

import archspec
from archspec.testing import strategies as S

from ._support import examples, load_generated, variants_of


@settings(max_examples=examples(cheap=True))
@given(spec=S.specs())
def test_documents_resolve_to_the_predicted_shapes(spec: S.GeneratedSpec) -> None:
    doc = load_generated(spec.document)
    assert doc.variants == list(spec.variant_names)
    for variant in variants_of(doc):
        net = archspec.resolve(doc, variant)
        assert net.output_shape == spec.outputs[variant], variant
        by_path = {b.path: b for b in net.walk()}
        for site in spec.sites:
            path = _block_path(spec.document, site.path, variant)
            wi = spec.variant_names.index(variant) + 1 if variant else 0
            if path is not None and wi in site.shapes:
                assert by_path[path].in_shape == site.shapes[wi], (variant, site.path)
                assert by_path[path].family == site.tag


def _block_path(doc: dict[str, Any], key_path: tuple, variant: str | None) -> str | None:
    """The resolved block path of an explicit block's key path (None for another variant's)."""
    if key_path[0] == "variants":
        if key_path[1] != variant:
            return None
        doc, key_path = doc["variants"][variant], key_path[2:]
    if key_path[0] == "stages":
        name = doc["stages"][key_path[1]]["name"]
        out, rest = f"stages.{name}[{key_path[3]}]", key_path[4:]
    else:
        out, rest = f"{key_path[0]}[{key_path[1]}]", key_path[2:]
    for key in rest:  # nested blocks: `.branches[i][j]`, `.blocks[j]`, `.shortcut[j]`
        out += f"[{key}]" if isinstance(key, int) else f".{key}"
    return out


@settings(max_examples=examples(cheap=True))
@given(block=S.blocks((6, 5, 7), keep_shape=True))
def test_keep_shape_blocks_keep_the_shape(block: dict[str, Any]) -> None:
    doc = {"archspec": 1, "name": "one", "input": {"channels": 6, "size": [5, 7]},
           "stem": [block]}
    assert archspec.resolve(load_generated(doc)).output_shape == (6, 5, 7)


# The width policies of a host document: shrinking, growing, with and without rounding.
WIDTH_POLICIES = [{"mult": 0.5, "divisor": 1}, {"mult": 1.5, "divisor": 1},
                  {"mult": 0.75, "divisor": 2}, {"mult": 1.25, "divisor": 8}]


def _in_host(block: dict[str, Any], width: dict[str, Any]) -> dict[str, Any]:
    return {"archspec": 1, "name": "host", "input": {"channels": 12, "size": [5, 7]},
            "width": width, "stem": [block]}


@settings(max_examples=examples(cheap=True))
@given(block=S.blocks((12, 5, 7), keep_shape=True))
def test_keep_shape_blocks_keep_the_shape_under_any_width_policy(block: dict[str, Any]) -> None:
    """A drawn block is valid in any host: no width policy reaches a `groups`, `dim_head` or
    shuffle `split` drawn for the written widths (the metamorphic suite once drew an E141)."""
    for width in WIDTH_POLICIES:
        net = archspec.resolve(load_generated(_in_host(block, width)))
        assert net.output_shape == (12, 5, 7), width


def test_grouped_conv_in_a_drawn_branch_survives_a_width_multiplier() -> None:
    """Regression: blocks(keep_shape=True) drew a parallel `add` whose branch began with a
    *scaled* grouped conv, `{block: conv, out: 2, groups: 2}`; under the host's `width: {mult:
    0.5, divisor: 1}` its output became 1 channel and the conv failed with E141. The search is
    derandomized, so it finds the same block on every run and machine."""
    def grouped_conv_in_a_branch(block: dict[str, Any]) -> bool:
        inner = [child for branch in block.get("branches", []) for child in branch[:-1]]
        return bool(inner) and all(child["block"] == "conv" for child in inner) and any(
            child.get("groups", 1) != 1 for child in inner)  # an int > 1, or `depthwise`

    block = find(S.blocks((12, 5, 7), keep_shape=True), grouped_conv_in_a_branch,
                 settings=settings(max_examples=3000, phases=[Phase.generate], database=None,
                                   derandomize=True, suppress_health_check=list(HealthCheck)))
    for width in WIDTH_POLICIES:  # outside a test: no `note`, so no load_generated
        net = archspec.resolve(archspec.loads(archspec.dump(_in_host(block, width))))
        assert net.output_shape == (12, 5, 7), (width, block)
    assert all(b.get("scaling") == "fixed" for b in _blocks_of(block) if "out" in b), block


def _blocks_of(doc: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(doc, dict):
        if isinstance(doc.get("block"), str):
            out.append(doc)
        for v in doc.values():
            out += _blocks_of(v)
    elif isinstance(doc, list):
        for v in doc:
            out += _blocks_of(v)
    return out


def _has(pred: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda doc: any(pred(b) for b in _blocks_of(doc))


REACHABLE: dict[str, Callable[[dict[str, Any]], bool]] = {
    **{f"family {t}": _has(lambda b, t=t: b["block"] == t) for t in S.FAMILIES},
    **{f"f={f}": _has(lambda b, f=f: b.get("f", "dwconv") == f and b["block"] == "mmb")
       for f in ("dwconv", "attn", "ffn")},
    **{f"partition={p}": _has(lambda b, p=p: b.get("f") == "attn" and b.get("partition",
                                                                             "local") == p)
       for p in ("local", "grid", "global")},
    **{f"act {a}": _has(lambda b, a=a: b.get("act") == a) for a in S.ACTS},
    **{f"norm {n}": _has(lambda b, n=n: b.get("norm") == n) for n in S.NORM_TYPES},
    "norm as a mapping": _has(lambda b: isinstance(b.get("norm"), dict)),
    "se on in": _has(lambda b: b.get("se", 0) > 0 and b.get("se_base") == "in"),
    "se on mid": _has(lambda b: b.get("se", 0) > 0 and b.get("se_base", "mid") == "mid"),
    "skip: true": _has(lambda b: b.get("skip") is True),
    "dw_skip: true": _has(lambda b: b.get("dw_skip") is True),
    "v_group": _has(lambda b: b.get("v_group") is True),
    "attn_pre": _has(lambda b: b.get("attn_pre") is True),
    "expand: false": _has(lambda b: b.get("expand") is False),
    "mid_round divisible": _has(lambda b: b.get("mid_round") == "divisible"),
    **{f"uib {k}": _has(lambda b, k=k: b["block"] == "uib" and b.get(k) is not None)
       for k in ("start_dw_k", "dw_k", "end_dw_k", "layer_scale", "se_gate")},
    **{f"uib {form}": _has(lambda b, keys=keys: b["block"] == "uib" and {
        k for k in ("start_dw_k", "dw_k", "end_dw_k") if b.get(k) is not None} == keys)
       for form, keys in (("IB", {"dw_k"}), ("ConvNeXt", {"start_dw_k"}),
                          ("ExtraDW", {"start_dw_k", "dw_k"}), ("FFN", set()))},
    "uib stride on start_dw": _has(lambda b: b["block"] == "uib" and b.get("stride") == 2
                                   and b.get("start_dw_k") and b.get("dw_k") is None),
    "uib stride on end_dw": _has(lambda b: b["block"] == "uib" and b.get("stride") == 2
                                 and b.get("end_dw_k") and b.get("start_dw_k") is None
                                 and b.get("dw_k") is None),
    "uib even kernel": _has(lambda b: b["block"] == "uib" and any(
        (b.get(k) or 1) % 2 == 0 for k in ("start_dw_k", "dw_k", "end_dw_k"))),
    "uib se": _has(lambda b: b["block"] == "uib" and b.get("se", 0) > 0),
    "uib skip: true": _has(lambda b: b["block"] == "uib" and b.get("skip") is True),
    **{f"transformer partition={p}": _has(lambda b, p=p: b["block"] == "transformer" and b.get(
        "partition", "global") == p) for p in ("unfold", "grid", "window", "global")},
    **{f"transformer {k}": _has(lambda b, k=k: b["block"] == "transformer" and k in b)
       for k in ("layer_scale", "final_norm", "mlp_ratio", "norm", "depth")},
    "transformer heads and dim_head": _has(lambda b: b["block"] == "transformer"
                                           and "heads" in b and "dim_head" in b),
    "transformer resizing the map": lambda d: isinstance(d["input"]["size"], int) and _has(
        lambda b: b["block"] == "transformer" and b.get("partition") in ("unfold", "window")
        and d["input"]["size"] % b.get("patch" if b["partition"] == "unfold" else "window",
                                        7) != 0)(d),
    "uib norm": _has(lambda b: b["block"] == "uib" and "norm" in b),
    "uib act": _has(lambda b: b["block"] == "uib" and "act" in b),
    "uib in defaults": lambda d: "uib" in (d.get("defaults") or {}),
    "merge add": _has(lambda b: b.get("merge") == "add"),
    "empty branch": _has(lambda b: any(br == [] for br in b.get("branches", [[0]]))),
    "nested parallel": _has(lambda b: b["block"] == "parallel" and any(
        c.get("block") == "parallel" for br in b["branches"] for c in br)),
    "shuffle stride 2": _has(lambda b: b["block"] == "shuffle" and b.get("stride") == 2),
    "ceil_mode": _has(lambda b: b.get("ceil_mode") is True),
    "scaling at_least": _has(lambda b: b.get("scaling") == "at_least"),
    "window not dividing the input": lambda d: isinstance(d["input"]["size"], int) and _has(
        lambda b: b.get("f") == "attn" and d["input"]["size"] % b.get("window", 7) != 0)(d),
    "non-square input": lambda d: isinstance(d["input"]["size"], list)
    and d["input"]["size"][0] != d["input"]["size"][1],
    "first replacing the family": lambda d: any(
        "first" in s and s["first"].get("block") not in (None, s["block"]["block"])
        for s in d.get("stages", [])),
    "template and first": lambda d: any("first" in s and "block" in s
                                        for s in d.get("stages", [])),
    "width multiplier": lambda d: "width" in d,
    "defaults": lambda d: bool(d.get("defaults")),
    "variant with width": lambda d: any("width" in v for v in d.get("variants", {}).values()),
    "variant with input": lambda d: any("input" in v for v in d.get("variants", {}).values()),
    "variant overriding stages": lambda d: any(isinstance(v.get("stages"), dict)
                                               for v in d.get("variants", {}).values()),
    "variant replacing stages": lambda d: any(isinstance(v.get("stages"), list)
                                              for v in d.get("variants", {}).values()),
    "default_variant": lambda d: "default_variant" in d,
    "YAML-ambiguous name": lambda d: d["name"] in ("yes", "no", "on", "off", "null", "true"),
}


@pytest.mark.parametrize("what", sorted(REACHABLE))
def test_option_is_reachable(what: str) -> None:
    find(S.documents(), REACHABLE[what], settings=settings(
        max_examples=8000, phases=[Phase.generate], database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
