"""copkit reports: evaluator reports and manager briefs (HTML and PDF) from analysis results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.lazy_exports import first_use_hooks

if TYPE_CHECKING:
    from reports.evaluator import SECTION_IDS, build_evaluator_report, evaluator_sections
    from reports.manager import (
        brief_html,
        build_manager_brief,
        manager_release,
        manager_summaries,
        manager_summary,
    )
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
    "manager_release",
    "manager_summaries",
    "manager_summary",
    "suppress",
    "write_report",
]

#: Where each name of ``__all__`` lives: imported on first use (PEP 562), so that
#: ``import reports.labels`` (``copkit analyse`` does) does not load the
#: document builders, Jinja2 and matplotlib.
_HOMES = {
    "SECTION_IDS": "reports.evaluator",
    "build_evaluator_report": "reports.evaluator",
    "evaluator_sections": "reports.evaluator",
    "brief_html": "reports.manager",
    "build_manager_brief": "reports.manager",
    "manager_release": "reports.manager",
    "manager_summaries": "reports.manager",
    "manager_summary": "reports.manager",
    "html_to_pdf": "reports.pdf",
    "DEFAULT_MIN_CELL": "reports.suppression",
    "Cell": "reports.suppression",
    "SafeFigure": "reports.suppression",
    "suppress": "reports.suppression",
    "write_report": "reports.writer",
}


__getattr__, __dir__ = first_use_hooks(__name__, _HOMES, __all__)
