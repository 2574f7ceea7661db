"""What the dashboards show, computed from a study bundle: report sections and manager summaries.

The evaluator dashboard shows the evaluator report's sections (:func:`reports.evaluator_sections`)
and offers the whole report for download; the manager dashboard shows the manager brief's
content (:func:`reports.manager_summaries`, small cells suppressed). Both are computed here as
plain JSON, to be cached by :mod:`survey_app.services.dashboard` and rendered by the app's own
templates (which escape every string).

Figures shown in the app go through :func:`reports.svg.svg_presentation_attributes` (the app's
Content-Security-Policy blocks inline styles); the downloaded report keeps its own inline CSS.
Like every report, the dashboards count closed waves only (:func:`analyse_for_dashboard`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis.bundle import Bundle
from analysis.pipeline import AnalysisResults, analyse_bundle
from reports import evaluator_sections, manager_release
from reports.blocks import Bullets, Figure, Heading, Paragraph, Section, Table, Td
from reports.disclosure import Release, ReleasedCell
from reports.evaluator import evaluator_document
from reports.manager import brief_chart
from reports.svg import svg_presentation_attributes
from survey_app.services.errors import ServiceError

__all__ = [
    "TABLE_CELL_STYLES",
    "ContentError",
    "analyse_for_dashboard",
    "evaluator_content",
    "json_safe",
    "manager_content",
    "release_content",
]

TABLE_CELL_STYLES = frozenset({"good", "bad", "fair", "weak", "muted", "strong", "suppressed"})
"""The report's table-cell styles the app's stylesheet knows (others are shown unstyled)."""


class ContentError(ServiceError):
    """The study's data cannot be analysed yet (too few responses, no waves, ...)."""


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None and numpy scalars as Python numbers.

    PostgreSQL's ``json`` type refuses ``NaN``; the analysis tables use it for "missing".

    Examples
    --------
    >>> json_safe({"a": float("nan"), "b": [np.int64(2), np.float64(0.5)], "c": (1, "x")})
    {'a': None, 'b': [2, 0.5], 'c': [1, 'x']}
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def analyse_for_dashboard(bundle: Bundle) -> AnalysisResults:
    """:func:`analysis.pipeline.analyse_bundle` for a dashboard: closed waves only.

    The pipeline leaves out waves still open and says when intervention effects cannot be
    estimated yet (the report's intervention section shows its note); a dashboard only turns
    data that cannot be analysed at all into a :class:`ContentError`.

    Raises
    ------
    ContentError
        If the data cannot be analysed at all (the message says why).
    """
    if bundle.responses.empty:
        raise ContentError("no submitted responses yet")
    try:
        return analyse_bundle(bundle)
    except ValueError as error:
        raise ContentError(str(error)) from error


def _cell(value: str | Td) -> dict[str, str]:
    if isinstance(value, Td):
        return {"text": value.text, "css": value.css if value.css in TABLE_CELL_STYLES else ""}
    return {"text": str(value), "css": ""}


def _block(block: Any) -> dict[str, Any]:
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "text": block.text}
    if isinstance(block, Heading):
        return {"kind": "heading", "text": block.text}
    if isinstance(block, Bullets):
        return {"kind": "bullets", "items": list(block.items)}
    if isinstance(block, Table):
        return {
            "kind": "table",
            "caption": block.caption,
            "columns": list(block.columns),
            "rows": [[_cell(value) for value in row] for row in block.rows],
            "note": block.note,
        }
    if isinstance(block, Figure):
        return {
            "kind": "figure",
            "svg": svg_presentation_attributes(str(block.svg)),
            "caption": block.caption,
        }
    raise TypeError(f"unknown report block {type(block).__name__}")


def _section(section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "lead": list(section.lead),
        "blocks": [_block(b) for b in section.blocks],
    }


def evaluator_content(
    bundle: Bundle, *, study_name: str, draw: bool = True
) -> tuple[dict[str, Any], str]:
    """The evaluator dashboard (report sections as JSON) and the report as a document.

    Parameters
    ----------
    bundle : Bundle
        The study's data with its wave schedule (waves still open are left out).
    study_name : str
        For the report's title.
    draw : bool
        Draw the figures (the slow part).

    Returns
    -------
    tuple
        ``({"sections": [...], "waves": [...]}, html)`` (``waves``: the waves counted):
        each section ``{id, title, lead, blocks}``, each block ``{kind, ...}`` (paragraph,
        heading, bullets, table with rows of ``{text, css}``, figure with CSP-safe ``svg``);
        ``html`` is the self-contained report document (with its own inline CSS).

    Raises
    ------
    ContentError
        If the data cannot be analysed yet.
    """
    results = analyse_for_dashboard(bundle)
    sections = evaluator_sections(results, draw=draw)
    html = evaluator_document(results, list(sections.values()), study=study_name)
    content = {
        "sections": [_section(s) for s in sections.values()],
        "waves": results.bundle.waves,
    }
    return json_safe(content), html


def manager_content(bundle: Bundle, *, min_cell: int, draw: bool = True) -> dict[str, Any]:
    """The manager dashboard of every team, suppressed jointly (see :func:`release_content`,
    which also checks it against earlier releases)."""
    return release_content(bundle, min_cell=min_cell, draw=draw)[0]


def release_content(
    bundle: Bundle, *, min_cell: int, draw: bool = True, earlier: Sequence[Release] = ()
) -> tuple[dict[str, Any], tuple[ReleasedCell, ...]]:
    """The manager dashboard of every team, suppressed jointly across all of them.

    All the study's teams go through one :func:`reports.manager_summaries` call, so every
    figure any manager page shows was checked against every other figure on any manager page
    of the study: two managers comparing pages (or one manager of two overlapping teams)
    cannot subtract their way to a small group.

    Parameters
    ----------
    bundle : Bundle
        The study's data with its wave schedule (waves still open are left out).
    min_cell : int
        The smallest number of respondents a figure may rest on.
    draw : bool
        Draw each team's trend chart (from the published, rounded figures only).
    earlier : sequence of Release
        The study's earlier releases: nothing may be subtracted from what they showed.

    Returns
    -------
    tuple
        The content ``{"teams": {team: summary}, "charts": {team: svg or None}, "waves":
        [...], "min_cell": min_cell}`` (``waves``: the closed waves counted; a summary is
        :func:`reports.manager_summary`'s dict: no free text, no pseudonyms) and the figures
        it publishes with their respondents (:func:`reports.manager_release`).

    Raises
    ------
    ContentError
        If the data cannot be analysed yet.
    """
    results = analyse_for_dashboard(bundle)
    teams = results.bundle.teams
    summaries, published = manager_release(results, teams, min_cell, earlier=earlier)
    charts: dict[str, str | None] = {}
    for index, summary in enumerate(summaries):
        chart = brief_chart(summary, f"trend-{index}") if draw else None
        charts[summary["team"]] = None if chart is None else svg_presentation_attributes(chart)
    content = {
        "teams": {s["team"]: s for s in summaries},
        "charts": charts,
        "waves": results.bundle.waves,
        "min_cell": min_cell,
    }
    safe: dict[str, Any] = json_safe(content)
    return safe, published
