"""What a report page holds, read with the standard library's HTML parser (no browser): per
variant section, its table rows, its charts' bars and its diagram; every URL the page names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Section:
    id: str
    rows: int = 0  # <tr> in the block table's <tbody>
    bars: Counter[str] = field(default_factory=Counter)  # chart metric → rect.bar
    diagram: bool = False  # an <svg class="diagram">
    missing_note: bool = False


class Page(HTMLParser):
    """Feed it the page; then read ``sections``, ``options``, ``urls``, ``tags`` and ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.options: list[str] = []
        self.urls: list[str] = []  # every src, href and xlink:href
        self.tags: Counter[str] = Counter()
        self.text: list[str] = []
        self._chart: str | None = None
        self._tbody = False
        self._option = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags[tag] += 1
        self.urls += [v for k, v in a.items() if k in ("src", "href", "xlink:href")]
        classes = a.get("class", "").split()
        if tag == "section" and "variant" in classes:
            self.sections.append(Section(a["id"]))
        elif not self.sections:
            self._option = tag == "option"
            return
        s = self.sections[-1]
        if tag == "svg" and "chart" in classes:
            self._chart = a["data-metric"]
        elif tag == "svg" and "diagram" in classes:
            s.diagram = True
        elif tag == "rect" and "bar" in classes and self._chart is not None:
            s.bars[self._chart] += 1
        elif tag == "tbody":
            self._tbody = True
        elif tag == "tr" and self._tbody:
            s.rows += 1
        elif tag == "p" and "diagram-missing" in classes:
            s.missing_note = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        elif tag == "tbody":
            self._tbody = False
        elif tag == "option":
            self._option = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._option:
            self.options.append(data)
