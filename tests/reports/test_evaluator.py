"""The evaluator report: every section and figure, self-contained, escaped, and its PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import reports
from analysis.pipeline import AnalysisResults
from reports.blocks import Heading, Section, Table
from reports.evaluator import SECTION_IDS
from reports.pdf import ExternalResourceError, html_to_pdf, pdf_page_count

FIGURE_SECTIONS = (
    "study",
    "measurement",
    "trajectories",
    "agreement",
    "identity",
    "networks",
    "interventions",
)
REPO = Path(__file__).resolve().parents[2]


class _Outline(HTMLParser):
    """Section ids, their h2 titles, <svg> count per section and every id on the page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, int]] = {}
        self.current: str | None = None
        self.ids: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.add(tag)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "section" and found.get("id"):
            self.current = str(found["id"])
            self.sections[self.current] = {"h2": 0, "svg": 0}
        elif self.current and tag in ("h2", "svg"):
            self.sections[self.current][tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None


@pytest.fixture(scope="module")
def outline(evaluator_html: str) -> _Outline:
    parser = _Outline()
    parser.feed(evaluator_html)
    return parser


def test_every_section_is_there_with_an_id_and_a_heading(outline: _Outline) -> None:
    assert list(outline.sections) == list(SECTION_IDS)
    assert all(counts["h2"] == 1 for counts in outline.sections.values())


@pytest.mark.parametrize("section", FIGURE_SECTIONS)
def test_each_figure_section_holds_inline_svg(outline: _Outline, section: str) -> None:
    assert outline.sections[section]["svg"] >= 1


def test_one_figure_per_practice_scale_and_a_sociogram_panel_per_team(
    evaluator_html: str, outline: _Outline, results: AnalysisResults
) -> None:
    practice = results.criteria["practice"]["scales"]
    assert outline.sections["trajectories"]["svg"] == len(practice)
    sociogram = re.search(
        r'<svg class="figure" role="img" aria-label="Knowledge-exchange'
        r".*?</svg>",
        evaluator_html,
        re.S,
    )
    assert sociogram is not None
    for team in results.bundle.teams:
        assert f"{team}, wave {max(results.bundle.waves)}" in sociogram.group(0)


def test_ids_are_unique_across_all_inline_figures(outline: _Outline) -> None:
    duplicated = {i for i in outline.ids if outline.ids.count(i) > 1}
    assert not duplicated


def test_the_report_references_nothing_outside_itself(evaluator_html: str) -> None:
    assert "http://" not in evaluator_html and "https://" not in evaluator_html
    assert "<script" not in evaluator_html and "<link" not in evaluator_html
    assert "@import" not in evaluator_html and "@font-face" not in evaluator_html
    assert not re.search(r"\bsrc\s*=", evaluator_html)
    assert not re.search(r"url\(\s*['\"]?(?!#)", evaluator_html)  # only url(#fragment)
    assert not re.search(r'href="(?!#)', evaluator_html)


def test_free_text_comments_are_shown_escaped(
    evaluator_html: str, results: AnalysisResults
) -> None:
    assert "<b>monthly huddle</b>" not in evaluator_html
    assert "The &lt;b&gt;monthly huddle&lt;/b&gt; &amp; the shared &#34;red flags&#34;" in (
        evaluator_html
    )
    comments = re.search(
        r'<section class="report" id="comments">.*?</section>', evaluator_html, re.S
    )
    assert comments is not None
    assert comments.group(0).count("<tr>") == len(results.bundle.comments) + 1


def test_plain_english_leads_each_section(evaluator_html: str) -> None:
    for section in SECTION_IDS:
        block = re.search(rf'id="{section}">\s*<h2>[^<]+</h2>\s*<p class="lead">', evaluator_html)
        assert block is not None, section


def test_formation_shows_every_criterion_and_the_sensitivity_table(
    results: AnalysisResults, sections: dict[str, Section]
) -> None:
    formation = sections["formation"]
    tables = [b for b in formation.blocks if isinstance(b, Table)]
    assert len(tables) == len(results.bundle.teams) + 1
    for table in tables[:-1]:
        assert len(table.rows) == 8  # every criterion of analysis.formation.CRITERIA
    assert len(tables[-1].rows) == len(results.sensitivity)


def test_a_team_filter_and_unknown_teams(results: AnalysisResults) -> None:
    first, *others = results.bundle.teams
    sections = reports.evaluator_sections(results, teams=[first], draw=False)
    assert not any(s.figure_count for s in sections.values())
    headings = [b.text for b in sections["formation"].blocks if isinstance(b, Heading)]
    assert headings[0].startswith(first) and not any(h.startswith(others[0]) for h in headings)
    with pytest.raises(ValueError, match="unknown team"):
        reports.evaluator_sections(results, teams=["No Such Team"])


@pytest.mark.slow
def test_the_pdf_renders_with_pages(evaluator_html: str, report_dir: Path) -> None:
    pdf = html_to_pdf(evaluator_html)  # what write_report(..., "report.pdf") writes
    assert pdf.startswith(b"%PDF-")
    path = report_dir / "report.pdf"
    path.write_bytes(pdf)
    pages = pdf_page_count(pdf)
    assert pages >= 8
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        assert re.search(rf"^Pages:\s+{pages}$", info.stdout, re.M)


def test_the_manager_brief_is_one_page_per_team(results: AnalysisResults, report_dir: Path) -> None:
    teams = results.bundle.teams[:2]
    path = reports.write_report(results, report_dir / "brief.pdf", audience="manager", team=teams)
    assert pdf_page_count(path.read_bytes()) == len(teams)
    html_path = reports.write_report(results, report_dir / "brief.html", audience="manager")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_html_is_written_by_suffix_and_bad_arguments_fail(
    results: AnalysisResults, report_dir: Path
) -> None:
    team = results.bundle.teams[0]
    path = reports.write_report(results, report_dir / "one.HTML", "manager", team)
    text = path.read_text(encoding="utf-8")
    assert text.count('class="team-page"') == 1 and team in text
    with pytest.raises(ValueError, match=r"\.html or \.pdf"):
        reports.write_report(results, report_dir / "report.docx")
    with pytest.raises(ValueError, match="audience"):
        reports.write_report(results, report_dir / "x.html", audience="public")
    assert not (report_dir / "report.docx").exists()


def test_pdf_rendering_refuses_external_resources() -> None:
    with pytest.raises(ExternalResourceError, match="self-contained"):
        html_to_pdf('<p>x</p><img src="https://example.invalid/logo.png">')


def test_reports_never_imports_the_web_stack() -> None:
    for path in (REPO / "reports").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(
            r"^\s*(from|import)\s+(flask|wtforms|sqlalchemy|survey_app)\b", source, re.M
        ), path
