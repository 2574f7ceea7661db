"""The evaluator report: every section and figure, self-contained, escaped, and its PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import reports
from analysis.formation import CRITERIA
from analysis.pipeline import AnalysisResults, analyse_bundle
from reports.blocks import Heading, Paragraph, Section, Table, Td
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
    counted = results.team_waves.set_index(["team", "wave"])
    for verdict in results.verdicts:
        wave = verdict.last_wave
        drawn = wave is not None and bool(counted.loc[(verdict.team, wave), "network_counted"])
        assert (f">{verdict.team}<" in sociogram.group(0)) is drawn  # its panel's title


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
    criteria = [t for t in tables if t.caption.startswith("Criteria for ")]
    assert len(criteria) == len(results.bundle.teams)
    for table in criteria:
        assert len(table.rows) == len(CRITERIA)
    # sensitivity: only the moves that change a verdict, or one sentence when none does
    moving = results.sensitivity[results.sensitivity["changed"] > 0]
    moves = [t for t in tables if t.caption.startswith("Threshold moves")]
    if moving.empty:
        assert not moves
        assert any(
            isinstance(b, Paragraph) and b.text.startswith("No verdict changes")
            for b in formation.blocks
        )
    else:
        assert len(moves[0].rows) == len(moving)


def test_every_criterion_cell_is_coloured_by_what_it_means_for_the_community(
    results: AnalysisResults, sections: dict[str, Section]
) -> None:
    tables = {b.caption: b for b in sections["formation"].blocks if isinstance(b, Table)}
    warnings_present = 0
    for verdict in results.verdicts:
        table = tables[f"Criteria for {verdict.team}"]
        assert len(table.rows) == len(verdict.criteria)
        for criterion, row in zip(verdict.criteria, table.rows, strict=True):
            result = row[-1]
            assert isinstance(result, Td)
            if criterion.held is None or not criterion.decides:
                assert result.css == "muted", (verdict.team, criterion.name)
            elif criterion.direction == "warning":
                # a warning sign present is never green; absent is good for the community
                assert result.css == ("fair" if criterion.held else "good")
                assert result.text == ("present (warning sign)" if criterion.held else "absent")
                warnings_present += bool(criterion.held)
            else:
                assert result.css == ("good" if criterion.held else "bad")
    assert warnings_present, "the fixture should hold a team with ratings split by profession"


@pytest.mark.slow
def test_a_verdict_resting_on_an_unassessed_criterion_says_so_in_badge_and_count(
    results: AnalysisResults,
) -> None:
    strict = analyse_bundle(results.bundle, criteria={"boundaries": {"min_network_coverage": 1}})
    sections = reports.evaluator_sections(strict, draw=False)
    summary = sections["summary"]
    badges = {row[0]: row[1] for b in summary.blocks if isinstance(b, Table) for row in b.rows}
    judged = [v for v in strict.verdicts if v.verdict != "insufficient_data"]
    assert judged
    for verdict in judged:
        badge = badges[verdict.team]
        assert isinstance(badge, Td)
        assert badge.text.endswith(", knowledge crossing not assessed")
    assert "knowledge crossing not assessed" in summary.lead[1]


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


def test_counts_read_as_english_never_with_a_plural_in_brackets(evaluator_html: str) -> None:
    """ "3 comments", "1 item", never "3 comment(s)" in a report a board reads."""
    assert not re.search(r"\w\(s\)", evaluator_html), re.findall(
        r".{40}\w\(s\).{20}", evaluator_html
    )
