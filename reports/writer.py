"""Write a report to a file: HTML or PDF chosen by the file suffix, for evaluators or managers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

from analysis.pipeline import AnalysisResults
from reports.evaluator import build_evaluator_report
from reports.figures import raster_figures
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
    study: str | None = None,
    title: str | None = None,
    progress: Progress | None = None,
    pdf_progress: Progress | None = None,
    jobs: int | None = 1,
) -> Path:
    """Build the evaluator report or the manager brief and write it as HTML or PDF.

    Parameters
    ----------
    results : AnalysisResults
        :func:`analysis.pipeline.analyse_bundle` output.
    path : str or Path
        Output file; ``.html``/``.htm`` writes HTML (UTF-8), ``.pdf`` renders the same HTML
        to PDF with WeasyPrint (figures drawn as PNG images at
        :data:`reports.figures.PNG_DPI`, see :func:`reports.figures.raster_figures`). The file
        is written whole or not at all.
    audience : {"evaluator", "manager"}
        The full report, or the manager brief (aggregates only, small cells suppressed).
    team : str, sequence of str or None
        Evaluator: restrict per-team content to these teams (None: all). Manager: the
        team(s) of the brief, one page each (None: every team).
    min_cell : int
        Manager brief only: the smallest number of respondents a figure may rest on.
    study : str, optional
        The study's name: the title, metadata and first page name it.
    title : str, optional
        Evaluator report title of your own.
    progress : callable, optional
        ``progress(step, done, total)`` while the evaluator report is built.
    pdf_progress : callable, optional
        ``progress(step, done, total)`` while the PDF renders.
    jobs : int or None
        Evaluator report: worker processes drawing its figures (1: this process; None: every
        core). The file is the same whatever the number.

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
    # figures of a PDF are drawn as images: WeasyPrint draws SVG shape by shape (slow)
    with raster_figures() if suffix == ".pdf" else nullcontext():
        if audience == "manager":
            html = build_manager_brief(results, team, min_cell=min_cell, study=study)
        else:
            teams = [team] if isinstance(team, str) else None if team is None else list(team)
            html = build_evaluator_report(
                results, study=study, title=title, teams=teams, progress=progress, jobs=jobs
            )
    data = html_to_pdf(html, progress=pdf_progress) if suffix == ".pdf" else html.encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, out)
    return out
