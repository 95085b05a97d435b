"""Rule registry: rule classes keyed by code; registering a code twice is an error."""

from __future__ import annotations

from typing import Any

RULES: dict[str, Any] = {}
