"""What the dashboards show, computed from a study bundle: report sections and manager summaries.

The evaluator dashboard shows the evaluator report's sections (:func:`reports.evaluator_sections`)
and offers the whole report for download; the manager dashboard shows the manager brief's
content (:func:`reports.manager_summaries`, small cells suppressed). Both are computed here as
plain JSON, to be cached by :mod:`survey_app.services.dashboard` and rendered by the app's own
templates (which escape every string).

The app's Content-Security-Policy (``default-src 'self'``) blocks inline styles, and matplotlib
writes its SVG with ``style="..."`` attributes and a ``<style>`` element. Figures shown in the
app are therefore rewritten by :func:`svg_presentation_attributes` into SVG presentation
attributes (``fill="#0072B2"``), which a CSP does not govern; the downloaded report keeps its
own inline CSS (a downloaded file is not under the app's CSP).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from analysis.bundle import Bundle
from analysis.pipeline import AnalysisResults, analyse_bundle
from reports import evaluator_sections, manager_summaries
from reports import figures as report_figures
from reports.blocks import Bullets, Figure, Heading, Paragraph, Section, Table, Td
from reports.render import render_template as render_report_template
from survey_app.services.errors import ServiceError

__all__ = [
    "TABLE_CELL_STYLES",
    "ContentError",
    "analyse_for_dashboard",
    "evaluator_content",
    "json_safe",
    "manager_content",
    "restrict_to_waves",
    "svg_presentation_attributes",
]

TABLE_CELL_STYLES = frozenset({"good", "bad", "fair", "weak", "muted", "strong", "suppressed"})
"""The report's table-cell styles the app's stylesheet knows (others are shown unstyled)."""

TREND_SERIES = {"practice": "practice overall", "collaborative_identity": "identify with team"}
"""The manager chart's lines: summary scale id -> legend label (as in the printed brief)."""

PRESENTATION_ATTRIBUTES = frozenset(
    {
        "alignment-baseline",
        "baseline-shift",
        "clip-path",
        "clip-rule",
        "color",
        "color-interpolation",
        "color-interpolation-filters",
        "direction",
        "display",
        "dominant-baseline",
        "fill",
        "fill-opacity",
        "fill-rule",
        "filter",
        "flood-color",
        "flood-opacity",
        "font-family",
        "font-size",
        "font-size-adjust",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "letter-spacing",
        "marker-end",
        "marker-mid",
        "marker-start",
        "mask",
        "opacity",
        "overflow",
        "paint-order",
        "shape-rendering",
        "stop-color",
        "stop-opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "text-decoration",
        "text-rendering",
        "unicode-bidi",
        "vector-effect",
        "visibility",
        "word-spacing",
        "writing-mode",
    }
)
"""CSS properties that SVG also accepts as attributes (SVG 2, section 6.6)."""

_TAG = re.compile(r"<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+(?:=\"[^\"]*\")?)*)\s*(/?)>")
_ATTRIBUTE = re.compile(r"\s+([\w:.-]+)(?:=\"([^\"]*)\")?")
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style>\s*", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_EMPTY_DEFS = re.compile(r"<defs>\s*</defs>\s*")
_FONT_SIZE = re.compile(r"^[\d.]+(px|pt|em|rem|%)(/.*)?$")
_FORBIDDEN_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "a"})


class ContentError(ServiceError):
    """The study's data cannot be analysed yet (too few responses, no waves, ...)."""


def _declarations(css: str) -> list[tuple[str, str]]:
    out = []
    for part in css.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip() and value.strip():
            out.append((name.strip().lower(), value.strip()))
    return out


def _font_shorthand(value: str) -> list[tuple[str, str]]:
    """Expand ``font: [style] [weight] size family`` into its longhand properties."""
    tokens = value.split(None)
    out: list[tuple[str, str]] = []
    for index, token in enumerate(tokens):
        match = _FONT_SIZE.match(token)
        if match:
            out.append(("font-size", token.split("/")[0]))
            family = " ".join(tokens[index + 1 :])
            if family:
                out.append(("font-family", family))
            return out
        if token in ("italic", "oblique"):
            out.append(("font-style", token))
        elif token in ("bold", "bolder", "lighter") or token.isdigit():
            out.append(("font-weight", token))
    return out


def _attributes_from_css(css: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in _declarations(css):
        if name == "font":
            out.extend(_font_shorthand(value))
        elif name in PRESENTATION_ATTRIBUTES:
            out.append((name, value))
    return out


def _check(element: str, attributes: Sequence[tuple[str, str]]) -> None:
    """Refuse anything in a figure that could run code or fetch from elsewhere."""
    if element.lower() in _FORBIDDEN_ELEMENTS:
        raise ValueError(f"the SVG holds a <{element}> element")
    for attribute, value in attributes:
        name = attribute.lower()
        if name.startswith("on"):
            raise ValueError(f"the SVG holds an event handler ({attribute})")
        inline = value.startswith("#") or (
            element == "image" and value.startswith("data:image/png;base64,")
        )
        if name.endswith("href") and not inline:
            raise ValueError("the SVG links outside itself")
        if "url(" in value and not re.fullmatch(r"url\(#[\w.-]+\)", value.strip()):
            raise ValueError("the SVG refers to a resource outside itself")


def svg_presentation_attributes(svg: str) -> str:
    """Rewrite inline CSS in SVG markup as presentation attributes, for a strict CSP.

    Every ``style="a: b; c: d"`` attribute becomes ``a="b" c="d"`` (the properties SVG accepts
    as attributes; a ``font`` shorthand is expanded), replacing attributes of the same name as
    the inline style did. A ``<style>`` element's rules for ``*`` (the only rules matplotlib
    writes) move onto the root ``<svg>``, from which the properties inherit; other rules and
    the element itself are dropped.

    Parameters
    ----------
    svg : str
        One ``<svg>`` element as made by :mod:`reports.figures` (attribute values in double
        quotes, text escaped).

    Returns
    -------
    str
        The same drawing with no ``style`` attribute and no ``<style>`` element.

    Raises
    ------
    ValueError
        If the markup is not an ``<svg>`` element, or holds a script, an event handler, a
        ``foreignObject`` or a link outside the figure.

    Examples
    --------
    >>> svg_presentation_attributes(
    ...     '<svg width="2"><defs><style>*{stroke-linecap: butt}</style></defs>'
    ...     '<path d="M 0 0" fill="red" style="fill: #fff; stroke: #000"/></svg>'
    ... )
    '<svg width="2" stroke-linecap="butt"><path d="M 0 0" fill="#fff" stroke="#000"/></svg>'
    """
    text = svg.strip()
    if not text.startswith("<svg"):
        raise ValueError("expected an <svg> element")
    inherited: list[tuple[str, str]] = []
    for style in _STYLE_ELEMENT.findall(text):
        for selector, body in _RULE.findall(style):
            if selector.strip() == "*":
                inherited.extend(_attributes_from_css(body))
    text = _EMPTY_DEFS.sub("", _STYLE_ELEMENT.sub("", text))

    def rewrite(match: re.Match[str], extra: Sequence[tuple[str, str]] = ()) -> str:
        name, raw, closing = match.group(1), match.group(2), match.group(3)
        attributes = [(a, v) for a, v in _ATTRIBUTE.findall(raw)]
        _check(name, attributes)
        styles = [p for a, v in attributes if a == "style" for p in _attributes_from_css(v)]
        styles = [*extra, *styles]
        replaced = {a for a, _ in styles}
        kept = [(a, v) for a, v in attributes if a != "style" and a not in replaced]
        merged = dict(kept)
        for attribute, value in styles:
            merged[attribute] = value.replace('"', "&quot;")
        parts = "".join(f' {a}="{v}"' for a, v in merged.items())
        return f"<{name}{parts}{'/' if closing else ''}>"

    root = _TAG.match(text)
    if root is None or root.group(1) != "svg":
        raise ValueError("expected an <svg> element")
    head = rewrite(root, inherited)
    body = _TAG.sub(rewrite, text[root.end() :])
    return head + body


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


def restrict_to_waves(bundle: Bundle, waves: Iterable[int]) -> Bundle:
    """The bundle with only the data of ``waves`` (responses, ties, roster, comments).

    Interventions are kept: one first measured at a later wave is simply not yet observed.

    Examples
    --------
    >>> frame = pd.DataFrame({"wave": [1, 2], "team": "T"})
    >>> from instruments import load
    >>> bundle = Bundle(frame, frame, frame, frame.iloc[:0], load("cop-health", 1))
    >>> restrict_to_waves(bundle, [2]).roster["wave"].tolist()
    [2]
    """
    keep = sorted({int(w) for w in waves})

    def only(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty or "wave" not in frame:
            return frame
        return frame[frame["wave"].astype(int).isin(keep)].reset_index(drop=True)

    return dataclasses.replace(
        bundle,
        responses=only(bundle.responses),
        ties=only(bundle.ties),
        roster=only(bundle.roster),
        comments=only(bundle.comments),
    )


def _interventions_observed(bundle: Bundle) -> bool:
    """Whether some team with an intervention answered after its first post-intervention wave.

    Without that the discontinuous growth model cannot estimate the slope change (``since``
    is 0 everywhere) and :func:`analysis.pipeline.analyse_bundle` refuses to run.
    """
    starts = bundle.interventions.groupby("team")["wave"].min()
    answered = bundle.responses.dropna(subset=["value"])[["team", "wave"]].drop_duplicates()
    for team, start in starts.items():
        later = (answered["team"] == team) & (answered["wave"].astype(int) > int(start))
        if bool(later.any()):
            return True
    return False


def analyse_for_dashboard(bundle: Bundle) -> tuple[AnalysisResults, list[str]]:
    """:func:`analysis.pipeline.analyse_bundle`, tolerating intervention models that cannot be fit.

    Early in a study no team has yet been observed at two waves after its intervention, and
    the discontinuous growth model refuses to run. The dashboard then shows everything else:
    the analysis is repeated without the intervention models, the interventions themselves
    stay listed, and a note says why their effects are missing.

    Returns
    -------
    tuple
        The results (their ``bundle`` is always ``bundle``) and the notes to show.

    Raises
    ------
    ContentError
        If the data cannot be analysed at all (the message says why).
    """
    if bundle.responses.empty:
        raise ContentError("no submitted responses yet")
    if bundle.interventions.empty or _interventions_observed(bundle):
        try:
            return analyse_bundle(bundle), []
        except ValueError as error:
            if bundle.interventions.empty:
                raise ContentError(str(error)) from error
            reason = str(error)
    else:  # known in advance: spare the first, failing, analysis
        reason = "no team has been surveyed after the wave its intervention was first measured"
    without = dataclasses.replace(bundle, interventions=bundle.interventions.iloc[:0])
    try:
        results = analyse_bundle(without)
    except ValueError as error:
        raise ContentError(str(error)) from error
    note = f"Intervention effects are not estimated yet: {reason}."
    return dataclasses.replace(results, bundle=bundle), [note]


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
    bundle: Bundle, *, study_name: str, open_waves: Sequence[int] = (), draw: bool = True
) -> tuple[dict[str, Any], str]:
    """The evaluator dashboard (report sections as JSON) and the report as a document.

    Parameters
    ----------
    bundle : Bundle
        The study's data, every wave (the evaluator view is live).
    study_name : str
        For the report's title.
    open_waves : sequence of int
        Waves still open (named on the page: their figures change as people respond).
    draw : bool
        Draw the figures (the slow part).

    Returns
    -------
    tuple
        ``({"sections": [...], "notes": [...], "waves": [...], "open_waves": [...]}, html)``:
        each section ``{id, title, lead, blocks}``, each block ``{kind, ...}`` (paragraph,
        heading, bullets, table with rows of ``{text, css}``, figure with CSP-safe ``svg``);
        ``html`` is the self-contained report document (with its own inline CSS).

    Raises
    ------
    ContentError
        If the data cannot be analysed yet.
    """
    results, notes = analyse_for_dashboard(bundle)
    sections = evaluator_sections(results, draw=draw)
    instrument = bundle.instrument
    html = render_report_template(
        "evaluator.html.j2",
        title=f"{study_name}: evaluation report",
        subtitle=f"Evaluator report · {instrument.key} · waves "
        f"{', '.join(str(w) for w in bundle.waves)}",
        generated=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        sections=list(sections.values()),
        audience="evaluator",
    )
    content = {
        "sections": [_section(s) for s in sections.values()],
        "notes": notes,
        "waves": bundle.waves,
        "open_waves": sorted(int(w) for w in open_waves),
    }
    return json_safe(content), html


def _trend_svg(summary: Mapping[str, Any], name: str) -> str | None:
    """The brief's chart of a team: only the figures the summary publishes (gaps elsewhere)."""
    series: dict[str, list[tuple[int, float | None]]] = {}
    for figure in summary["figures"]:
        label = TREND_SERIES.get(figure["scale"])
        if label is None:
            continue
        value = None if figure["suppressed"] else figure["value"]
        if value is not None and not math.isfinite(value):
            value = None
        series.setdefault(label, []).append((int(figure["wave"]), value))
    if not any(v is not None for points in series.values() for _, v in points):
        return None
    marks = [(int(i["wave"]), str(i["kind"])) for i in summary["interventions"]]
    svg = report_figures.trend_figure(
        series, waves=summary["waves"], marks=marks, name=name, width=3.6
    )
    return svg_presentation_attributes(str(svg))


def manager_content(bundle: Bundle, *, min_cell: int, draw: bool = True) -> dict[str, Any]:
    """The manager dashboard of every team, suppressed jointly across all of them.

    All the study's teams go through one :func:`reports.manager_summaries` call, so every
    figure any manager page shows was checked against every other figure on any manager page
    of the study: two managers comparing pages (or one manager of two overlapping teams)
    cannot subtract their way to a small group.

    Parameters
    ----------
    bundle : Bundle
        The study's data, closed waves only (see :mod:`survey_app.services.dashboard`).
    min_cell : int
        The smallest number of respondents a figure may rest on.
    draw : bool
        Draw each team's trend chart.

    Returns
    -------
    dict
        ``{"teams": {team: summary}, "charts": {team: svg or None}, "notes": [...],
        "waves": [...], "min_cell": min_cell}``; a summary is
        :func:`reports.manager_summary`'s dict (no free text, no pseudonyms).

    Raises
    ------
    ContentError
        If the data cannot be analysed yet.
    """
    results, notes = analyse_for_dashboard(bundle)
    teams = results.bundle.teams
    summaries = manager_summaries(results, teams, min_cell)
    charts: dict[str, str | None] = {}
    for index, summary in enumerate(summaries):
        charts[summary["team"]] = _trend_svg(summary, f"trend-{index}") if draw else None
    content = {
        "teams": {s["team"]: s for s in summaries},
        "charts": charts,
        "notes": notes,
        "waves": bundle.waves,
        "min_cell": min_cell,
    }
    safe: dict[str, Any] = json_safe(content)
    return safe
