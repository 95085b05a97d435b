"""The figures ``archspec profile`` reports, as plain data (docs/json.md, "profile").

Text and JSON both read :func:`profile_dict`/:func:`roundings`, so the two formats never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archspec.report.model import SCHEMA_VERSION

if TYPE_CHECKING:
    from archspec.graph.analysis import Analysis


def roundings(analysis: Analysis) -> list[dict[str, Any]]:
    """Every number the user wrote that resolution changed, with the block it belongs to."""
    out = []
    for block in analysis.net.walk():
        for r in block.roundings:
            out.append({"block": block.path, "field": r.field, "written": r.written,
                        "value": r.value, "rule": r.rule, "file": r.span.file,
                        "line": r.span.line, "col": r.span.col})
    return out


def profile_dict(analysis: Analysis) -> dict[str, Any]:
    net = analysis.net
    t = analysis.total
    out = {
        "schema_version": SCHEMA_VERSION,
        "file": net.file,
        "name": net.name,
        "variant": net.variant,
        "input_shape": [analysis.batch, *net.input_shape],
        "batch": analysis.batch,
        "dtype": analysis.dtype,
        "convention": analysis.convention,
        "form": analysis.form.name,
        **({"deploy": {"bns_folded": analysis.form.folded,
                       "parallels_reparameterised": analysis.form.reparameterised}}
           if analysis.form.name == "deploy" else {}),
        "totals": {
            "params": t.params,
            "macs": t.macs,
            "flops": t.flops,
            "mem_access_elems": t.mem_access,
            "output_shape": [analysis.batch, *t.output_shape],
            "peak_activation_bytes": t.activation_bytes,
        },
        "blocks": [
            {
                "path": b.path,
                "family": b.family,
                "section": b.section,
                "stage": b.stage,
                "input_shape": [analysis.batch, *b.input_shape],
                "output_shape": [analysis.batch, *b.output_shape],
                "params": b.params,
                "macs": b.macs,
                "flops": b.flops,
                "mem_access_elems": b.mem_access,
                "activation_bytes": b.activation_bytes,
            }
            for b in analysis.blocks
        ],
        "roundings": roundings(analysis),
    }
    if analysis.latency is not None:
        _add_latency(out, analysis)
    return out


def _add_latency(out: dict[str, Any], analysis: Analysis) -> None:
    """With a device: its description, the predicted ms in totals and per block, what the
    prediction lacks and the warnings every output shows (docs/json.md, "profile")."""
    from archspec.latency.profile import describe, prediction_warnings

    prediction = analysis.latency
    assert prediction is not None  # the caller checked
    out["device"] = describe(prediction.profile)
    out["totals"]["latency_ms"] = analysis.total.latency_ms
    for row, block in zip(out["blocks"], analysis.blocks, strict=True):
        row["latency_ms"] = block.latency_ms
    out["latency"] = {"batch": 1, "kernels": prediction.kernels,
                      "missing_classes": list(prediction.missing),
                      "lower_bound": bool(prediction.missing)}
    out["warnings"] = prediction_warnings(prediction)
