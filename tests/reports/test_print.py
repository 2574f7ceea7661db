"""Board-paper quality checked on the rendered documents: PDF identity and tagging, no text under
8 pt (read from the PDF), one colour per profession, and no figure label clipped or overlapping
(rendered in Chromium)."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTContainer, LTItem

import reports
from analysis.pipeline import AnalysisResults
from reports import figures
from reports.pdf import html_to_pdf

MIN_POINTS = 8.0


def _points(char: LTChar) -> float:
    """The rendered size of a character in points, upright or turned a quarter (a y-axis
    title): its box across the baseline (``LTChar.size`` is the box height, which for a turned
    glyph is its advance width)."""
    a, b, _, _, _, _ = char.matrix
    return float(char.width if abs(b) > abs(a) else char.height)


def _chars(item: LTItem) -> list[LTChar]:
    if isinstance(item, LTChar):
        return [item]
    if isinstance(item, LTContainer):
        return [c for child in item for c in _chars(child)]
    return []


@pytest.fixture(scope="module")
def report_pdf(results: AnalysisResults, report_dir: Path) -> Path:
    html = reports.build_evaluator_report(results, study="Print test study")
    path = report_dir / "print-test.pdf"
    path.write_bytes(html_to_pdf(html))
    return path


@pytest.fixture(scope="module")
def brief_pdf(results: AnalysisResults, report_dir: Path) -> Path:
    html = reports.build_manager_brief(results, results.bundle.teams[:2], study="Print test study")
    path = report_dir / "print-brief.pdf"
    path.write_bytes(html_to_pdf(html))
    return path


@pytest.mark.slow
def test_the_pdf_names_the_study_and_is_tagged(report_pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(report_pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Title:\s+Print test study: evaluation report$", info.stdout, re.M)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M)
    assert re.search(r"^Subject:.*waves 1 to 4", info.stdout, re.M)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["report_pdf", "brief_pdf"])
def test_no_text_under_8_points(which: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(which)
    small: dict[float, str] = {}
    for page in extract_pages(str(path)):
        for char in _chars(page):
            size = _points(char)
            if char.get_text().strip() and size < MIN_POINTS - 0.05:
                small.setdefault(round(size, 1), "")
                small[round(size, 1)] += char.get_text()
    assert not small, {size: text[:60] for size, text in small.items()}


def _svgs(html: str) -> dict[str, str]:
    found = re.findall(r'(<svg class="figure"[^>]*aria-label="([^"]*)".*?</svg>)', html, re.S)
    return {label: svg for svg, label in found}


def test_a_profession_has_one_colour_and_nothing_else_uses_it(
    results: AnalysisResults, evaluator_html: str
) -> None:
    professions = sorted(str(p) for p in results.bundle.roster["profession"].unique())
    mapping = figures.profession_colours(professions)
    palette = {c.lower() for c in (*figures.PROFESSION_PALETTE, *figures.PROFESSION_EXTRA)}
    svgs = _svgs(evaluator_html)
    assert len(svgs) >= 8
    for label, svg in svgs.items():
        used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}", svg)}
        if label.startswith("Knowledge-exchange networks"):
            assert used & palette == {c.lower() for c in mapping.values()}
        else:
            assert not used & palette, (label, used & palette)


def test_renderings_in_two_threads_take_turns() -> None:
    # the app renders a report's PDF in a background thread while a request may render a
    # brief: one waits for the other, and both PDFs come out whole
    from reports import pdf

    html = '<html lang="en"><head><title>t</title></head><body><p>a</p></body></html>'
    done: list[bytes] = []
    with pdf._RENDERING:  # another rendering is under way
        waiting = threading.Thread(target=lambda: done.append(html_to_pdf(html)))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and not done
    waiting.join(timeout=60)
    assert len(done) == 1 and done[0].startswith(b"%PDF")
