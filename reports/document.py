"""What a document is: its title, the study it covers, the data period and open-wave banner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from analysis.pipeline import AnalysisResults

__all__ = ["DocumentIdentity", "data_period", "document_identity", "wave_range"]


@dataclass(frozen=True)
class DocumentIdentity:
    """The identity a report or brief carries in its title, metadata and first page.

    Attributes
    ----------
    title : str
        The document title (``<title>``, the PDF's Title, the first heading).
    study : str
        The study's name ("" when unknown, e.g. a bundle on disk).
    period : str
        The data period: the waves counted and, when known, their dates.
    banner : str
        Shown on every page when open waves were included (else empty).
    description : str
        One sentence for the PDF's Subject.
    """

    title: str
    study: str
    period: str
    banner: str
    description: str


def wave_range(waves: list[int]) -> str:
    """``"waves 1 to 5"``, ``"wave 3"`` or ``"waves 1, 3 and 4"`` for gaps.

    Examples
    --------
    >>> wave_range([1, 2, 3]), wave_range([2]), wave_range([1, 3, 4]), wave_range([])
    ('waves 1 to 3', 'wave 2', 'waves 1, 3 and 4', 'no waves')
    """
    if not waves:
        return "no waves"
    if len(waves) == 1:
        return f"wave {waves[0]}"
    if waves == list(range(waves[0], waves[-1] + 1)):
        return f"waves {waves[0]} to {waves[-1]}"
    return "waves " + ", ".join(str(w) for w in waves[:-1]) + f" and {waves[-1]}"


def _day(text: object) -> str:
    if text is None or (isinstance(text, float) and pd.isna(text)) or str(text) == "":
        return ""
    moment = date.fromisoformat(str(text)[:10])
    return f"{moment.day} {moment:%B %Y}"


def data_period(results: AnalysisResults) -> str:
    """The waves the analysis counted, with their dates when the bundle has a schedule.

    Examples
    --------
    ``"waves 1 to 5 (6 January 2025 to 2 February 2026)"``.
    """
    waves = results.bundle.waves
    text = wave_range(waves)
    schedule = results.bundle.schedule
    if schedule.empty or not waves:
        return text
    rows = schedule.set_index("wave")
    first, last = waves[0], waves[-1]
    if first in rows.index and last in rows.index:
        opens, closes = _day(rows.at[first, "opens"]), _day(rows.at[last, "closes"])
        if opens and closes:
            return f"{text} ({opens} to {closes})"
    return text


def document_identity(
    results: AnalysisResults, kind: str, *, study: str | None = None, title: str | None = None
) -> DocumentIdentity:
    """Title, period and banner of an ``"evaluation report"`` or ``"manager brief"``.

    The title names the study (or, for a bundle with no study name, the instrument); the
    banner says which still-open waves were included.
    """
    name = (study or "").strip()
    subject = name or results.bundle.instrument.title
    period = data_period(results)
    banner = ""
    if results.open_waves:
        banner = (
            f"Includes {wave_range(list(results.open_waves))}, still open: its figures will "
            "change as more people answer, and no verdict should rest on them yet."
        )
    return DocumentIdentity(
        title=title or f"{subject}: {kind}",
        study=name,
        period=period,
        banner=banner,
        description=f"{kind.capitalize()} of {subject}, {period}, made with copkit.",
    )
