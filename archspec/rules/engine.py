"""Lint engine (placeholder until the rules land): runs rules over every variant."""

from __future__ import annotations

from typing import Any

from archspec.diagnostics import Diagnostic


def lint_document(document: Any, *, variant: str | None = None, target: str | None = None,
                  select: list[str] | None = None, ignore: list[str] | None = None
                  ) -> list[Diagnostic]:
    return []
