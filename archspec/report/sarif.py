"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, IDE viewers).

One run; ``tool.driver.rules`` holds every registered rule plus the spec-error codes that occur,
each with its documentation page; every result points at a file relative to the working
directory (``%SRCROOT%``) with a 1-based line and column. Checked against the OASIS schema in
``tests/report/sarif-schema-2.1.0.json``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archspec import __version__
from archspec.diagnostics import Diagnostic, Severity
from archspec.report.json import dumps
from archspec.report.model import LintReport, code_order, jsonable, located

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SPEC_ERRORS_PAGE = "docs/spec.md#error-codes"


def rule_descriptors(codes: set[str]) -> list[dict[str, Any]]:
    """A reportingDescriptor per registered rule and per spec-error code in ``codes``."""
    from archspec.rules.registry import RULES

    descriptors: dict[str, dict[str, Any]] = {
        code: {
            "id": code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "helpUri": f"docs/rules/{code}.md",
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
        }
        for code, rule in RULES.items()
    }
    spec_codes = sorted(c for c in codes if c not in descriptors)
    if spec_codes:
        from archspec.codes import CODES

        for code in spec_codes:
            title = CODES[code].title if code in CODES else "spec error"
            descriptors[code] = {
                "id": code,
                "name": "spec-error",
                "shortDescription": {"text": title},
                "helpUri": SPEC_ERRORS_PAGE,
                "defaultConfiguration": {"level": "error"},
            }
    return [descriptors[c] for c in sorted(descriptors, key=code_order)]


def artifact(file: str, root: str) -> dict[str, Any]:
    """Where ``file`` is: relative to ``root`` (``%SRCROOT%``) when inside it, else a file URI."""
    if file.startswith("<"):  # "<string>": text that never was a file
        return {"uri": quote(file.strip("<>"))}
    path = Path(file).resolve()
    if not path.is_relative_to(root):
        return {"uri": path.as_uri()}
    return {"uri": quote(path.relative_to(root).as_posix()), "uriBaseId": "%SRCROOT%"}


def result(d: Diagnostic, index: dict[str, int], root: str) -> dict[str, Any]:
    text = d.message if not d.fix else f"{d.message}. Fix: {d.fix}"
    out: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": index[d.code],
        "level": LEVELS[d.severity],
        "message": {"text": text},
    }
    if located(d):
        out["locations"] = [{
            "physicalLocation": {
                "artifactLocation": artifact(d.span.file, root),
                "region": {"startLine": max(d.span.line, 1), "startColumn": max(d.span.col, 1)},
            },
        }]
    properties = {k: v for k, v in (("variant", d.variant), ("block", d.block),
                                     ("keyPath", d.key_path_str or None),
                                     ("expected", d.expected), ("fix", d.fix)) if v}
    if d.data:
        properties["data"] = jsonable(d.data)
    if properties:
        out["properties"] = properties
    return out


def sarif_dict(report: LintReport, root: str | None = None) -> dict[str, Any]:
    root = str(Path(root or os.getcwd()).resolve())
    diagnostics = report.diagnostics
    rules = rule_descriptors({d.code for d in diagnostics})
    index = {r["id"]: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "archspec", "version": __version__, "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri() + "/"}},
        "invocations": [{"executionSuccessful": True, "exitCode": report.exit_code}],
        "results": [result(d, index, root) for d in diagnostics],
    }
    if report.device is not None:  # --device: what the figures in time were predicted on
        from archspec.latency.profile import describe

        run["properties"] = {"device": describe(report.device),
                             "warnings": report.device_warnings}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_lint(report: LintReport) -> str:
    return dumps(sarif_dict(report))
