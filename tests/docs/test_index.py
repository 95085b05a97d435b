"""docs/index.md lists every page of docs/, and its links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INDEX = (DOCS / "index.md").read_text(encoding="utf-8")
LINKS = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", INDEX)


def test_every_page_is_listed() -> None:
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")} - {"index.md"}
    rule_pages = {p for p in pages if p.startswith("rules/") and p != "rules/index.md"}
    missing = sorted(pages - rule_pages - set(LINKS))
    assert not missing, f"add to docs/index.md: {missing}"


def test_links_resolve() -> None:
    assert LINKS
    for link in LINKS:
        assert (DOCS / link).exists(), link
