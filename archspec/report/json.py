"""JSON for tools: one stable document per run, ``schema_version`` first (docs/json.md)."""

from __future__ import annotations

import json
from typing import Any

from archspec import __version__
from archspec.report.model import (
    SCHEMA_VERSION,
    LintReport,
    diagnostic_dict,
    rule_counts,
    severity_counts,
)


def dumps(document: dict[str, Any]) -> str:
    """The one way archspec writes JSON: UTF-8 text, two-space indent, no NaN."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def lint_dict(report: LintReport) -> dict[str, Any]:
    diagnostics = report.diagnostics
    out = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "archspec", "version": __version__},
        "files": [
            {
                "file": f.file,
                "spec_error": f.spec_error,
                "variants": [
                    {"variant": v.variant, "params": v.params, "macs": v.macs,
                     "findings": severity_counts(f.of_variant(v.variant))}
                    for v in f.variants
                ],
            }
            for f in report.files
        ],
        "diagnostics": [diagnostic_dict(d) for d in diagnostics],
        "summary": {
            "files": len(report.files),
            "files_with_spec_errors": sum(1 for f in report.files if f.spec_error),
            "variants": sum(len(f.variants) for f in report.files),
            "by_severity": severity_counts(diagnostics),
            "by_code": {code: n for code, _, _, n in rule_counts(diagnostics)},
            "exit_code": report.exit_code,
        },
    }
    if report.device is not None:
        add_device(out, report)
    return out


def add_device(out: dict[str, Any], report: LintReport) -> None:
    """With ``--device``: the device, its warnings, each variant's predicted ms (docs/json.md)."""
    from archspec.latency.profile import describe

    assert report.device is not None  # the caller checked
    out["device"] = describe(report.device)
    out["warnings"] = report.device_warnings
    for entry, f in zip(out["files"], report.files, strict=True):
        for row, v in zip(entry["variants"], f.variants, strict=True):
            row["latency_ms"] = v.latency_ms
            row["missing_classes"] = list(v.missing)


def render_lint(report: LintReport) -> str:
    return dumps(lint_dict(report))
