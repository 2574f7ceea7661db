"""copkit reports: evaluator reports and manager briefs (HTML and PDF) from analysis results."""

from reports.evaluator import SECTION_IDS, build_evaluator_report, evaluator_sections
from reports.manager import brief_html, build_manager_brief, manager_summaries, manager_summary
from reports.pdf import html_to_pdf
from reports.suppression import DEFAULT_MIN_CELL, Cell, SafeFigure, suppress
from reports.writer import write_report

__all__ = [
    "DEFAULT_MIN_CELL",
    "SECTION_IDS",
    "Cell",
    "SafeFigure",
    "brief_html",
    "build_evaluator_report",
    "build_manager_brief",
    "evaluator_sections",
    "html_to_pdf",
    "manager_summaries",
    "manager_summary",
    "suppress",
    "write_report",
]
