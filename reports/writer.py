"""Write a report to a file: HTML or PDF chosen by the file suffix, for evaluators or managers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from analysis.pipeline import AnalysisResults
from reports.evaluator import build_evaluator_report
from reports.manager import build_manager_brief
from reports.pdf import html_to_pdf
from reports.suppression import DEFAULT_MIN_CELL

__all__ = ["AUDIENCES", "write_report"]

AUDIENCES = ("evaluator", "manager")
Progress = Callable[[str, int, int], None]


def write_report(
    results: AnalysisResults,
    path: str | Path,
    audience: str = "evaluator",
    team: str | Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    *,
    title: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Build the evaluator report or the manager brief and write it as HTML or PDF.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output.
    path : str or Path
        Output file; ``.html``/``.htm`` writes HTML (UTF-8), ``.pdf`` renders the same HTML
        to PDF with WeasyPrint. The file is written whole or not at all.
    audience : {"evaluator", "manager"}
        The full report, or the manager brief (aggregates only, small cells suppressed).
    team : str, sequence of str or None
        Evaluator: restrict per-team content to these teams (None: all). Manager: the
        team(s) of the brief, one page each (None: every team).
    min_cell : int
        Manager brief only: the smallest number of respondents a figure may rest on.
    title : str, optional
        Evaluator report title.
    progress : callable, optional
        ``progress(step, done, total)`` while the evaluator report is built.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        For an unknown suffix, audience or team, or ``min_cell`` below 1.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ValueError(f"{out}: the report file must end in .html or .pdf")
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, got {audience!r}")
    if audience == "manager":
        html = build_manager_brief(results, team, min_cell=min_cell)
    else:
        teams = [team] if isinstance(team, str) else None if team is None else list(team)
        html = build_evaluator_report(results, title=title, teams=teams, progress=progress)
    data = html_to_pdf(html) if suffix == ".pdf" else html.encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, out)
    return out
