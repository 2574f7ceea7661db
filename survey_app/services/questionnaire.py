"""The questionnaire's pages, laid out from an instrument: one scale per page, then the rest."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from instruments import CommentQuestion, Instrument, NetworkQuestion, ResponseScale, load
from survey_app.services.respondent_titles import respondent_title

PageKind = Literal["rated", "network", "comments"]

SINGLE_ITEMS_TITLE = "Contact with the team"
NETWORK_TITLE = "People in this team"
COMMENTS_TITLE = "Your comments"
_TEAM_WORDS = "this team"


@dataclass(frozen=True)
class RatedQuestion:
    """A statement or question answered on a response scale (a native radio group).

    Attributes
    ----------
    id : str
        The item id; it is also the form field's name and id.
    text : str
        The statement as the respondent reads it (the radio group's legend).
    options : tuple of (int, str)
        Every value of the response scale with its label, lowest first.
    """

    id: str
    text: str
    options: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Page:
    """One page of the questionnaire.

    Attributes
    ----------
    number : int
        1-based position; the progress line reads "Page ``number`` of ``total``".
    kind : {"rated", "network", "comments"}
        A page of rated items (one scale, or the single items), the roster question, or the
        free-text questions.
    title : str
        The page heading respondents read: plain words from
        :mod:`survey_app.services.respondent_titles` ("Working together"), not the analytic
        name.
    analytic_name : str
        The scale's name in the instrument ("Mutual engagement"), for staff.
    about_team : bool
        Whether the questions refer to the team itself ("These questions are about <team>");
        identity pages about one's profession or organisation do not.
    questions, network, comments
        What the page asks; only the part matching ``kind`` is filled.
    """

    number: int
    kind: PageKind
    title: str
    about_team: bool
    questions: tuple[RatedQuestion, ...] = ()
    network: NetworkQuestion | None = None
    comments: tuple[CommentQuestion, ...] = ()
    analytic_name: str = ""

    @property
    def field_ids(self) -> tuple[str, ...]:
        """The form field names this page may send (item, network or comment ids)."""
        if self.kind == "rated":
            return tuple(question.id for question in self.questions)
        if self.kind == "network" and self.network is not None:
            return (self.network.id,)
        return tuple(comment.id for comment in self.comments)


def _options(scale: ResponseScale) -> tuple[tuple[int, str], ...]:
    return tuple((value, scale.label_for(value)) for value in scale.values)


def _mentions_team(texts: list[str]) -> bool:
    return any(_TEAM_WORDS in text.lower() for text in texts)


def plan(instrument: Instrument) -> tuple[Page, ...]:
    """Lay out ``instrument`` as pages.

    Order: one page per multi-item scale (in the instrument's order), one page for the single
    items (if any), one for the roster question (if any), and the free-text questions last.
    Reverse-keyed items are presented like any other.

    Parameters
    ----------
    instrument
        A loaded instrument.

    Returns
    -------
    tuple of Page
        Numbered from 1.

    Examples
    --------
    >>> from instruments import load
    >>> pages = plan(load("cop-health", 1))
    >>> len(pages), pages[0].title, pages[0].field_ids[:2], pages[-1].kind
    (9, 'Working together', ('me1', 'me2'), 'comments')
    >>> pages[0].analytic_name
    'Mutual engagement'
    >>> [page.about_team for page in pages[3:6]]
    [True, False, False]
    """
    pages: list[Page] = []
    for scale in instrument.scales:
        questions = tuple(
            RatedQuestion(item.id, item.text, _options(scale.response_scale))
            for item in scale.items
        )
        about = _mentions_team([item.text for item in scale.items])
        pages.append(
            Page(
                len(pages) + 1,
                "rated",
                respondent_title(scale.id, scale.label),
                about,
                questions=questions,
                analytic_name=scale.label,
            )
        )
    singles = instrument.single_items
    if singles:
        questions = tuple(
            RatedQuestion(single.id, single.text, _options(single.response_scale))
            for single in singles
        )
        label = (singles[0].label if len(singles) == 1 else "") or SINGLE_ITEMS_TITLE
        title = respondent_title(singles[0].id, label) if len(singles) == 1 else label
        about = _mentions_team([single.text for single in singles])
        pages.append(
            Page(
                len(pages) + 1,
                "rated",
                title,
                about,
                questions=questions,
                analytic_name=label,
            )
        )
    if instrument.network is not None:
        pages.append(
            Page(
                len(pages) + 1,
                "network",
                NETWORK_TITLE,
                True,
                network=instrument.network,
                analytic_name="Knowledge network",
            )
        )
    if instrument.comments:
        pages.append(
            Page(
                len(pages) + 1,
                "comments",
                COMMENTS_TITLE,
                True,
                comments=instrument.comments,
                analytic_name=COMMENTS_TITLE,
            )
        )
    return tuple(pages)


SECONDS_PER_RATED_ITEM = 12
SECONDS_PER_OTHER_PAGE = 60


def estimated_minutes(pages: tuple[Page, ...]) -> int:
    """A rough time to complete, for the information page: 12 s per rated item, a minute for
    the roster question and for the comments, rounded up to whole minutes.

    Examples
    --------
    >>> from instruments import load
    >>> estimated_minutes(plan(load("cop-health", 1)))
    9
    """
    seconds = sum(
        len(page.questions) * SECONDS_PER_RATED_ITEM
        if page.kind == "rated"
        else SECONDS_PER_OTHER_PAGE
        for page in pages
    )
    return max(1, -(-seconds // 60))


def rated_item_count(pages: tuple[Page, ...]) -> int:
    """How many rated questions the pages ask."""
    return sum(len(page.questions) for page in pages)


@functools.lru_cache(maxsize=32)
def pages_for(instrument_id: str, version: int) -> tuple[Instrument, tuple[Page, ...]]:
    """The shipped instrument ``(instrument_id, version)`` and its pages, loaded once per process.

    Released instrument versions never change (the loader refuses an edited one), so caching
    is safe.

    Examples
    --------
    >>> instrument, pages = pages_for("cop-health", 1)
    >>> instrument.key, pages[-2].kind
    ('cop-health@1', 'network')
    """
    instrument = load(instrument_id, version)
    return instrument, plan(instrument)
