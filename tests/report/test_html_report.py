"""``archspec report``'s page read without a browser (html.parser): every shipped spec gets one,
with every variant, one table row and one bar per block (counted against the resolved network),
nothing fetched from elsewhere, hostile text escaped; --device adds the latency chart; exit codes.
What a person sees in a browser is tests/report/test_report_browser.py's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.report import diagram_render
from archspec.spec.document import load
from tests.cli.helpers import ROOT, subprocess_cli

from .html_page import Page

SPECS = sorted(str(p.relative_to(ROOT)) for d in ("specs", "specs/experiments")
               for p in (ROOT / d).glob("*.yaml"))
DEVICE = "docs/examples/dev-cpu-torch-1t.json"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def report(tmp_path: Path, *argv: str) -> tuple[int, str]:
    out = tmp_path / "report.html"
    code = main(["report", *argv, "-o", str(out)])
    return code, out.read_text(encoding="utf-8") if out.exists() else ""


@pytest.mark.slow
def test_every_shipped_spec_has_a_page(tmp_path: Path) -> None:
    assert len(SPECS) >= 15
    for spec in SPECS:
        code, text = report(tmp_path, spec)
        assert code == 0, spec
        page = Page(text)
        variants = list(load(spec).variants) or [None]
        assert page.options == [v or "(the network)" for v in variants], spec
        assert [s.id for s in page.sections] == [f"v{i}" for i in range(len(variants))]
        for variant, section in zip(variants, page.sections, strict=True):
            blocks = len(archspec.resolve(spec, variant).blocks)
            assert section.rows == blocks, (spec, variant)
            assert section.bars == {"macs": blocks, "mem_access": blocks}, (spec, variant)
            assert section.diagram, (spec, variant)
        assert_offline(page)
        assert "http://" not in text and "https://" not in text, spec  # no URL at all


def assert_offline(page: Page) -> None:
    """Nothing the page names is fetched: its only URLs are in-page anchors; no external
    script, style sheet, image or frame."""
    assert all(u.startswith("#") for u in page.urls), page.urls
    assert not any(page.tags[t] for t in ("link", "img", "iframe", "object", "embed"))
    assert page.tags["script"] == 1  # the variant selector's, inline


def test_the_device_adds_the_latency_chart(tmp_path: Path) -> None:
    code, text = report(tmp_path, "specs/emo.yaml", "--device", DEVICE)
    assert code == 0
    page = Page(text)
    analysis = archspec.analyze("specs/emo.yaml", device=DEVICE)
    n = len(analysis.blocks)
    assert page.sections[0].bars == {"macs": n, "mem_access": n, "latency": n}
    assert "predicted latency" in "".join(page.text)
    assert f"{analysis.total.latency_ms:.3f} ms" in "".join(page.text)


def test_one_variant_and_the_selectors(tmp_path: Path) -> None:
    code, text = report(tmp_path, "specs/emo.yaml", "--variant", "emo_2m", "--select", "G4")
    assert code == 0
    page = Page(text)
    assert page.options == ["emo_2m"]
    found = archspec.lint("specs/emo.yaml", variant="emo_2m", select=["G4"])
    assert found and {d.code for d in found} == {"G4"}
    assert f"Findings ({len(found)})" in page.text


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    """A file name and a YAML comment on a finding's line that are markup, and a bidi control:
    shown as text, never parsed as elements, the control written out."""
    text = (ROOT / "specs/emo.yaml").read_text(encoding="utf-8")
    comment = "# downsampling: λ doubled, no skips"
    assert comment in text
    hostile = "<script>alert(1)</script> \u202e"
    spec = tmp_path / "<img src=x onerror=alert(2)>.yaml"
    spec.write_text(text.replace(comment, "# " + hostile), encoding="utf-8")
    code, page_text = report(tmp_path, str(spec), "--variant", "emo_1m")
    assert code == 0
    page = Page(page_text)
    assert_offline(page)
    shown = "".join(page.text)
    assert "<script>alert(1)</script> \ufffd" in shown  # the snippet, as text (caret())
    assert "<img src=x onerror=alert(2)>.yaml" in shown  # the file name, as text
    assert "\u202e" not in page_text


@pytest.mark.parametrize("problem", [diagram_render.GraphvizMissing, diagram_render.RenderFailed])
def test_without_graphviz_the_page_says_so(problem: type[Exception], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Graphviz missing, or ``dot`` failing: the page is written all the same, with a note
    where each diagram would be, and a warning on stderr."""
    def missing(dot_source: str, fmt: str) -> bytes:
        raise problem("Graphviz's `dot` is missing (apt-get install graphviz)")

    monkeypatch.setattr(diagram_render, "render", missing)
    code, text = report(tmp_path, "specs/emo.yaml")
    assert code == 0
    page = Page(text)
    assert all(s.missing_note and not s.diagram for s in page.sections)
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_a_spec_error_is_exit_2_and_writes_nothing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("archspec: 1\nname: n\ninput: {channels: 3, size: 32}\nstages: []\nbogus: 1\n",
                   encoding="utf-8")
    code, text = report(tmp_path, str(bad))
    assert (code, text) == (2, "")
    assert "bad.yaml:" in capsys.readouterr().err


def test_an_unwritable_output_is_exit_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "specs/emo.yaml", "-o", str(tmp_path / "no" / "such" / "r.html")])
    assert code == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_bad_selector_is_exit_2(tmp_path: Path) -> None:
    code, _ = report(tmp_path, "specs/emo.yaml", "--select", "Z999")
    assert code == 2


def test_report_never_imports_torch(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code = (f"import sys\nsys.modules['torch'] = None\nfrom archspec.cli import main\n"
            f"rc = main(['report', 'specs/emo.yaml', '--device', {DEVICE!r}, '-o', {str(out)!r}])\n"
            "assert rc == 0, rc\nassert sys.modules['torch'] is None\n")
    result = subprocess_cli(code=code)
    assert result.rc == 0, result.err
    assert out.stat().st_size > 0
    assert sys.modules  # the check ran in its own interpreter


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: archspec report" in out and "exit codes:" in out


def test_a_missing_device_profile_is_exit_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, text = report(tmp_path, "specs/emo.yaml", "--device", str(tmp_path / "none.json"))
    assert (code, text) == (2, "")
    assert "E100" in capsys.readouterr().err
