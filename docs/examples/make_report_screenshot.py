"""Take docs/images/report.png: ``archspec report`` on EMO with the example device profile,
opened in headless Chromium through the same selenium path as the browser test
(:mod:`archspec.testing.browser`).

Run from the repository root (needs selenium and Debian's chromium and chromium-driver, and
Graphviz's ``dot`` for the diagram)::

    python docs/examples/make_report_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from archspec.cli import main
from archspec.testing.browser import headless_chromium, missing

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "emo.yaml"
DEVICE = ROOT / "docs" / "examples" / "dev-cpu-torch-1t.json"
OUT = ROOT / "docs" / "images" / "report.png"


def main_() -> int:
    why = missing()
    if why is not None:
        print(f"cannot take the screenshot: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        code = main(["report", str(SPEC.relative_to(ROOT)), "--device",
                     str(DEVICE.relative_to(ROOT)), "-o", str(page)])
        if code != 0:
            return code
        driver = headless_chromium(1280, 1200)
        try:
            driver.get(page.as_uri())
            driver.save_screenshot(str(OUT))
        finally:
            driver.quit()
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
