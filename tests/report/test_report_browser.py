"""``archspec report``'s page in a real browser (headless Chromium through selenium,
:mod:`archspec.testing.browser`): what a person sees. The diagram is drawn and visible, each chart
of the variant shown has one bar per block, the selector switches the variant (and so the table),
and the console has no errors. Without chromium, chromedriver or selenium the tests skip, unless
``ARCHSPEC_REQUIRE_BROWSER=1`` (CI), where that is a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import archspec
from archspec.cli import main
from archspec.spec.document import load
from archspec.testing.browser import headless_chromium, missing
from tests.cli.helpers import ROOT

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

SPEC = "specs/emo.yaml"
DEVICE = "docs/examples/dev-cpu-torch-1t.json"


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    why = missing()
    if why is not None:
        if os.environ.get("ARCHSPEC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ARCHSPEC_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    browser = headless_chromium()
    browser.set_page_load_timeout(120)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        assert main(["report", SPEC, "--device", DEVICE, "-o", str(out)]) == 0
    finally:
        os.chdir(cwd)
    return out


def shown_section(driver: WebDriver) -> WebElement:
    """The one variant section on screen."""
    from selenium.webdriver.common.by import By

    shown = [s for s in driver.find_elements(By.CSS_SELECTOR, "section.variant")
             if s.is_displayed()]
    assert len(shown) == 1
    return shown[0]


def test_what_a_person_sees(driver: WebDriver, page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(page.as_uri())
    select = Select(driver.find_element(By.ID, "variant"))
    names = [o.text for o in select.options]
    assert names == list(load(str(ROOT / SPEC)).variants)
    default = select.first_selected_option.text
    seen_tables = set()
    for name in [default, *(n for n in names if n != default)]:
        select.select_by_visible_text(name)
        section = shown_section(driver)
        blocks = archspec.analyze(ROOT / SPEC, variant=name).blocks
        # the diagram: an svg drawn by Graphviz, visible, of some size
        diagram = section.find_element(By.CSS_SELECTOR, "svg.diagram")
        assert diagram.is_displayed()
        assert diagram.size["width"] > 50 and diagram.size["height"] > 50
        assert diagram.find_elements(By.CSS_SELECTOR, "g.node")
        # each chart: one bar per block, the charts on screen
        charts = section.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert [c.get_attribute("data-metric") for c in charts] == ["macs", "mem_access",
                                                                   "latency"]
        for chart in charts:
            assert chart.is_displayed()
            assert len(chart.find_elements(By.CSS_SELECTOR, "rect.bar")) == len(blocks)
        # the table: the variant's blocks, its MACs as the analysis counts them
        rows = section.find_elements(By.CSS_SELECTOR, "table.blocks tbody tr")
        assert len(rows) == len(blocks)
        cells = [r.find_elements(By.TAG_NAME, "td") for r in rows]
        assert [c[0].text for c in cells] == [b.path for b in blocks]
        assert [int(c[4].text.replace(",", "")) for c in cells] == [b.macs for b in blocks]
        seen_tables.add(section.find_element(By.CSS_SELECTOR, "table.blocks").text)
    assert len(seen_tables) == len(names)  # switching the variant changed the table
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
