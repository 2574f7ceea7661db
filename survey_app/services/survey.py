"""Taking part in a survey: finding an invitation by its link, saving pages, submitting once."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import BindParameter, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from instruments import Instrument
from survey_app.database import begin_read, begin_write
from survey_app.models import (
    Answer,
    Comment,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Tie,
    Wave,
    utcnow,
    wave_status,
)
from survey_app.services import erasure, participant_information
from survey_app.services.errors import Problem, ServiceError
from survey_app.services.participant_information import ParticipantInformation
from survey_app.services.questionnaire import Page, pages_for
from survey_app.services.recorded import RECORDED, current_of_invitation
from survey_app.tokens import hash_token

LinkState = Literal["unknown", "scheduled", "open", "closed", "submitted"]
"""What a survey link can do now: nothing (unknown, not open yet, closed, used) or take answers."""

COMMENT_MAX_LENGTH = 4000
"""The longest free-text answer kept (characters)."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class AlreadySubmittedError(ServiceError):
    """The invitation's response has been submitted: nothing more can be saved through the link."""


class LinkNotOpenError(ServiceError):
    """The link cannot take answers now (unknown, not open yet, or closed)."""


class InvalidAnswersError(ServiceError):
    """Answers that the page does not ask, values off the scale, or people outside the team."""


class IncompleteError(ServiceError):
    """A page that must be complete is not; ``page_number`` is the first such page."""

    def __init__(self, message: str, page_number: int) -> None:
        super().__init__(message)
        self.page_number = page_number


@dataclass(frozen=True)
class Alter:
    """A member the respondent can name in the roster question (never the respondent)."""

    member_id: int
    name: str
    profession: str


@dataclass(frozen=True)
class PageAnswers:
    """What one page submit carries, as plain data.

    Attributes
    ----------
    rated : Mapping[str, int | None]
        Item id to value; ``None`` is "Prefer not to answer"; an absent item is unanswered.
    ties : frozenset of int or None
        The member ids named in the roster question; the empty set is "None of these" and
        ``None`` means the question was not answered (or is not on the page).
    comments : Mapping[str, str]
        Comment id to text (an empty text removes a comment).
    network_declined : bool
        "Prefer not to answer" on the roster question (``ties`` is then ``None``): stored as a
        missing answer to the network question, never as zero ties.
    """

    rated: Mapping[str, int | None] = field(default_factory=dict)
    ties: frozenset[int] | None = None
    comments: Mapping[str, str] = field(default_factory=dict)
    network_declined: bool = False


@dataclass(frozen=True)
class StoredAnswers:
    """The answers saved so far on a draft (or submitted) response."""

    rated: Mapping[str, float | None]
    ties: frozenset[int]
    comments: Mapping[str, str]
    roster_answered: bool
    network_declined: bool = False


@dataclass(frozen=True)
class Link:
    """An invitation as its survey link sees it, read in one query with its wave, team and response.

    A snapshot taken by :func:`find` or :func:`find_for_update`: the writes of
    :func:`give_consent`, :func:`save_page` and :func:`submit` go to the database, not here.
    """

    id: int
    member_id: int
    team_id: int
    team_name: str
    wave_id: int
    opens: datetime
    closes: datetime
    closed_early_at: datetime | None
    instrument_id: str
    instrument_version: int
    consented_at: datetime | None
    started_at: datetime | None
    submitted_at: datetime | None
    current_page: int
    response_id: int | None = None
    """The draft (or submitted) response's id, if one has been started."""
    response_submitted_at: datetime | None = None
    study: ParticipantInformation | None = None
    """Who is asking: the study as its respondents see it."""

    @property
    def closing(self) -> datetime:
        """When the wave stops taking answers: its early close, else its closing time."""
        return self.closed_early_at or self.closes


@dataclass(frozen=True)
class Survey:
    """An invitation found by its link, in a given state, with the questionnaire it uses.

    For an unknown link only ``state`` is set.
    """

    state: LinkState
    invitation: Link | None = None
    instrument: Instrument | None = None
    pages: tuple[Page, ...] = ()

    @property
    def open(self) -> bool:
        """Whether the link takes answers now."""
        return self.state == "open"

    def _invitation(self) -> Link:
        if self.invitation is None:
            raise LinkNotOpenError("this link does not belong to an invitation")
        return self.invitation

    @property
    def team_name(self) -> str:
        """The name of the team the questions are about."""
        return self._invitation().team_name

    @property
    def closed_unsent(self) -> bool:
        """Whether the wave closed after the respondent had started but before they sent their
        answers: the partial answers are a draft, which is never analysed or exported."""
        link = self.invitation
        return (
            self.state == "closed"
            and link is not None
            and link.submitted_at is None
            and (link.started_at is not None or link.consented_at is not None)
        )

    @property
    def consented(self) -> bool:
        """Whether the respondent agreed to take part."""
        return self._invitation().consented_at is not None

    @property
    def resume_page(self) -> int:
        """The page to continue at: the furthest page reached (1 once consent is given)."""
        invitation = self._invitation()
        return min(max(invitation.current_page, 1), len(self.pages))

    def page(self, number: int) -> Page | None:
        """Page ``number`` (1-based), or None when there is no such page."""
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None

    def may_open(self, number: int) -> bool:
        """Whether page ``number`` may be shown: consent given and every earlier page done."""
        return self.consented and 1 <= number <= self.resume_page


def _state(link: Link, now: datetime) -> LinkState:
    """Submitted wins over the wave's dates: the respondent learns their answers arrived."""
    if link.submitted_at is not None:
        return "submitted"
    return wave_status(link.opens, link.closes, link.closed_early_at, now)


# The statements of the survey path are built once, with bound parameters, and run as Core
# statements on the session's connection: building an ORM select and loading an Invitation,
# its Wave, Membership and Team on every page view cost more than the database work itself.
_INVITATIONS = cast(Table, Invitation.__table__)
_MEMBERSHIPS = cast(Table, Membership.__table__)
_TEAMS = cast(Table, Team.__table__)
_WAVES = cast(Table, Wave.__table__)
_STUDIES = cast(Table, Study.__table__)
_RESPONSES = cast(Table, Response.__table__)
_ANSWERS = cast(Table, Answer.__table__)
_TIES = cast(Table, Tie.__table__)
_COMMENTS = cast(Table, Comment.__table__)

_FIND_LINK = (
    select(
        _INVITATIONS.c.id,
        _MEMBERSHIPS.c.member_id,
        _MEMBERSHIPS.c.team_id,
        _TEAMS.c.name.label("team_name"),
        _INVITATIONS.c.wave_id,
        _WAVES.c.opens,
        _WAVES.c.closes,
        _WAVES.c.closed_early_at,
        _WAVES.c.instrument_id,
        _WAVES.c.instrument_version,
        _INVITATIONS.c.consented_at,
        _INVITATIONS.c.started_at,
        _INVITATIONS.c.submitted_at,
        _INVITATIONS.c.current_page,
        _RESPONSES.c.id.label("response_id"),
        _RESPONSES.c.submitted_at.label("response_submitted_at"),
        _STUDIES.c.name.label("study_name"),
        *(_STUDIES.c[name] for name in participant_information.LIMITS),
    )
    .join(_MEMBERSHIPS, _MEMBERSHIPS.c.id == _INVITATIONS.c.membership_id)
    .join(_TEAMS, _TEAMS.c.id == _MEMBERSHIPS.c.team_id)
    .join(_WAVES, _WAVES.c.id == _INVITATIONS.c.wave_id)
    .join(_STUDIES, _STUDIES.c.id == _WAVES.c.study_id)
    .outerjoin(_RESPONSES, _RESPONSES.c.invitation_id == _INVITATIONS.c.id)
    .where(_INVITATIONS.c.token_hash == bindparam("token_hash"))
)
"""The link's invitation with its member, team, wave and response, if any (columns in
:class:`Link`'s order), then the study's participant information. Only the invitation row is locked by the ``FOR UPDATE`` variant; the
response columns are a hint that :func:`_draft` falls back from when another request has
created the response meanwhile."""
_FIND_LINK_FOR_UPDATE = _FIND_LINK.with_for_update(of=_INVITATIONS)
_LINK_FIELDS = tuple(f.name for f in fields(Link) if f.name != "study")
"""The columns that are :class:`Link`'s own, first in :data:`_FIND_LINK` (the rest describe
the study)."""

_MINE = _RESPONSES.c.invitation_id == bindparam("invitation_id")
_STORED_RATED = (
    select(_ANSWERS.c.item_id, _ANSWERS.c.value)
    .join(_RESPONSES, _RESPONSES.c.id == _ANSWERS.c.response_id)
    .where(_MINE)
)
_STORED_DECLINE = (
    select(_ANSWERS.c.id)
    .join(_RESPONSES, _RESPONSES.c.id == _ANSWERS.c.response_id)
    .where(_MINE, _ANSWERS.c.item_id == bindparam("item_id"), _ANSWERS.c.value.is_(None))
)
_STORED_TIES = (
    select(_TIES.c.alter_member_id).join(_RESPONSES, _RESPONSES.c.id == _TIES.c.response_id)
).where(_MINE)
_STORED_COMMENTS = (
    select(_COMMENTS.c.item_id, _COMMENTS.c.text)
    .join(_RESPONSES, _RESPONSES.c.id == _COMMENTS.c.response_id)
    .where(_MINE)
)
_RESPONSE_OF = select(_RESPONSES.c.id, _RESPONSES.c.submitted_at).where(_MINE)
_NEW_RESPONSE = insert(_RESPONSES).values(
    invitation_id=bindparam("invitation_id"),
    created_at=bindparam("moment"),
    updated_at=bindparam("moment"),
)
_TOUCH_RESPONSE = (
    update(_RESPONSES)
    .where(_RESPONSES.c.id == bindparam("response_id"))
    .values(updated_at=bindparam("moment"))
)
_OF_RESPONSE: BindParameter[int] = bindparam("response_id")
_PAGE_ANSWERS = select(_ANSWERS.c.item_id, _ANSWERS.c.id, _ANSWERS.c.value).where(
    _ANSWERS.c.response_id == _OF_RESPONSE
)
_ADD_ANSWER = insert(_ANSWERS)
_SET_ANSWER = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("answer_id"))
    .values(value=bindparam("new_value"))
)
_DROP_ANSWER = delete(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer_id"))
_TIE_ROWS = select(_TIES.c.alter_member_id, _TIES.c.id).where(_TIES.c.response_id == _OF_RESPONSE)
_ADD_TIE = insert(_TIES)
_DROP_TIE = delete(_TIES).where(_TIES.c.id == bindparam("tie_id"))
_COMMENT_ROWS = select(_COMMENTS.c.item_id, _COMMENTS.c.id, _COMMENTS.c.text).where(
    _COMMENTS.c.response_id == _OF_RESPONSE
)
_ADD_COMMENT = insert(_COMMENTS)
_SET_COMMENT = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("comment_id"))
    .values(text=bindparam("new_text"))
)
_DROP_COMMENT = delete(_COMMENTS).where(_COMMENTS.c.id == bindparam("comment_id"))
_ANSWERED_ITEMS = select(_ANSWERS.c.item_id).where(
    _ANSWERS.c.response_id == bindparam("response_id")
)
_INVITATION_ID = _INVITATIONS.c.id == bindparam("invitation_id")
_SET_CONSENT = (
    update(_INVITATIONS)
    .where(_INVITATION_ID)
    .values(consented_at=bindparam("consented_at"), current_page=bindparam("current_page"))
)
_SET_STARTED = (
    update(_INVITATIONS)
    .where(_INVITATION_ID, _INVITATIONS.c.started_at.is_(None))
    .values(started_at=bindparam("moment"))
)
_SET_CURRENT_PAGE = (
    update(_INVITATIONS).where(_INVITATION_ID).values(current_page=bindparam("current_page"))
)
_MARK_RESPONSE_SUBMITTED = (
    update(_RESPONSES)
    .where(
        _RESPONSES.c.id == bindparam("response_id"),
        _RESPONSES.c.submitted_at.is_(None),
        select(func.count())
        .select_from(_ANSWERS)
        .where(
            _ANSWERS.c.response_id == bindparam("response_id"),
            _ANSWERS.c.item_id.in_(bindparam("required", expanding=True)),
        )
        .scalar_subquery()
        == bindparam("required_count"),
    )
    .values(submitted_at=bindparam("moment"), is_complete=True, updated_at=bindparam("moment"))
)
"""Submit a draft that is not submitted yet and answers every rated item (one row per item is
guaranteed by UNIQUE(response_id, item_id)); updates no row otherwise."""
_MARK_INVITATION_SUBMITTED = (
    update(_INVITATIONS)
    .where(_INVITATION_ID, _INVITATIONS.c.submitted_at.is_(None))
    .values(
        submitted_at=bindparam("moment"),
        # the respondent's profession and organisation as recorded for this wave
        **{name: current_of_invitation(name) for name in RECORDED},
    )
)


def _lookup(session: Session, token: str, *, lock: bool, now: datetime | None) -> Survey:
    if not _TOKEN.match(token):
        return Survey("unknown")
    query = _FIND_LINK_FOR_UPDATE if lock else _FIND_LINK
    row = session.connection().execute(query, {"token_hash": hash_token(token)}).one_or_none()
    if row is None:
        return Survey("unknown")
    columns = tuple(row)
    study = ParticipantInformation(*columns[len(_LINK_FIELDS) :])
    link = Link(**dict(zip(_LINK_FIELDS, columns, strict=False)), study=study)
    instrument, pages = pages_for(link.instrument_id, link.instrument_version)
    state = _state(link, utcnow() if now is None else now)
    return Survey(state, link, instrument, pages)


def find(session: Session, token: str, *, now: datetime | None = None) -> Survey:
    """Look a survey link up (read only).

    Parameters
    ----------
    session
        A database session.
    token
        The token from the link ``/s/<token>``; only its SHA-256 digest is compared.
    now
        The time that decides whether the wave is open (default: now).

    Returns
    -------
    Survey
        ``state`` is ``"unknown"`` for a malformed token or one matching no invitation.

    Notes
    -----
    The session's transaction is started with :func:`survey_app.database.begin_read`: the
    request may read (:func:`stored_answers`, :func:`alters`) but must not write before the
    session ends; changes go through :func:`find_for_update` in a fresh transaction.
    """
    begin_read(session)
    return _lookup(session, token, lock=False, now=now)


def find_for_update(session: Session, token: str, *, now: datetime | None = None) -> Survey:
    """Start a write transaction and look the link up with its invitation row locked.

    Every change made through a link runs inside this lock (``BEGIN IMMEDIATE`` on SQLite,
    ``SELECT ... FOR UPDATE`` on PostgreSQL), so two tabs saving or submitting at the same
    moment are applied one after the other and the second sees the first's result. The
    caller commits (through :func:`give_consent`, :func:`save_page` or :func:`submit`) or
    rolls back.

    Raises
    ------
    RuntimeError
        If ``session`` is already in a transaction.
    """
    begin_write(session)
    return _lookup(session, token, lock=True, now=now)


@contextmanager
def locked(session: Session, token: str, *, now: datetime | None = None) -> Iterator[Survey]:
    """Hold link ``token``'s invitation row lock (:func:`find_for_update`) for the block.

    The services the block calls (:func:`give_consent`, :func:`save_page`, :func:`submit`,
    :func:`withdraw`) commit what they store; whatever is still uncommitted when the block
    ends (an early return, a refused form, an exception) is rolled back, so the lock is
    released on every path and a refused request stores nothing. The respondent's pages use
    it for every POST; they never begin, commit or roll back themselves.
    """
    survey = find_for_update(session, token, now=now)
    try:
        yield survey
    finally:
        if session.in_transaction():
            session.rollback()


def withdraw(session: Session, survey: Survey) -> None:
    """Erase the link's member at their own request (:func:`erasure.withdraw`); commits.

    ``survey`` must come from :func:`locked` in this session, and have an invitation.
    """
    erasure.withdraw(session, survey._invitation().member_id)
    session.commit()


def alters(session: Session, survey: Survey) -> list[Alter]:
    """The people the roster question lists: the team's other members invited in this wave.

    The list matches the wave's roster (everyone invited), so every tie names someone in it.
    Ordered by name.
    """
    link = survey._invitation()
    rows = session.execute(
        select(Member.id, Member.name, Member.profession)
        .join(Membership, Membership.member_id == Member.id)
        .join(Invitation, Invitation.membership_id == Membership.id)
        .where(
            Membership.team_id == link.team_id,
            Invitation.wave_id == link.wave_id,
            Member.id != link.member_id,
        )
        .order_by(func.lower(Member.name), Member.id)
    ).all()
    return [Alter(member_id, name, profession) for member_id, name, profession in rows]


def _response(session: Session, invitation: Link) -> tuple[int, datetime | None] | None:
    """The invitation's response as ``(id, submitted_at)``, or None."""
    row = session.connection().execute(_RESPONSE_OF, {"invitation_id": invitation.id}).one_or_none()
    return None if row is None else (row[0], row[1])


def network_page_number(survey: Survey) -> int | None:
    """The number of the roster page, if the questionnaire has one."""
    return next((page.number for page in survey.pages if page.kind == "network"), None)


def network_question_id(survey: Survey) -> str | None:
    """The id of the roster question, if the questionnaire has one.

    "Prefer not to answer" on it is stored as an answer row with this item id and no value
    (as a rated item's "Prefer not to answer" is), so that it reaches the export as a missing
    answer and never as "None of these" (zero ties).
    """
    return next(
        (page.network.id for page in survey.pages if page.network is not None),
        None,
    )


def stored_answers(session: Session, survey: Survey, page: Page | None = None) -> StoredAnswers:
    """What has been saved so far for the link, to fill the pages in again.

    Parameters
    ----------
    session
        A database session.
    survey
        A link found with :func:`find` or :func:`find_for_update`.
    page
        When given, only the kind of answer this page shows is read (rated answers, ties or
        comments); the other kinds are left empty. By default everything is read.
    """
    link = survey._invitation()
    roster_page = network_page_number(survey)
    roster_answered = roster_page is not None and link.current_page > roster_page
    # Plain column queries, only for what the page shows: loading the Response and then its
    # three collections lazily took four queries and built an ORM object per answer. The rows
    # are fetched at once (.all()), which is quicker than iterating the cursor row by row.
    kind = None if page is None else page.kind
    connection = session.connection()
    mine = {"invitation_id": link.id}
    rated: dict[str, float | None] = {}
    ties: frozenset[int] = frozenset()
    comments: dict[str, str] = {}
    network_id = network_question_id(survey)
    declined = False
    if kind in (None, "rated"):
        rated = {item_id: value for item_id, value in connection.execute(_STORED_RATED, mine).all()}
        declined = rated.pop(network_id, 0) is None if network_id is not None else False
    if kind in (None, "network"):
        ties = frozenset(connection.execute(_STORED_TIES, mine).scalars())
        if kind == "network" and network_id is not None:
            declined = (
                connection.execute(_STORED_DECLINE, {**mine, "item_id": network_id}).first()
                is not None
            )
    if kind in (None, "comments"):
        comments = {
            item_id: text for item_id, text in connection.execute(_STORED_COMMENTS, mine).all()
        }
    return StoredAnswers(
        rated=rated,
        ties=ties,
        comments=comments,
        roster_answered=roster_answered,
        network_declined=declined,
    )


def _require_open(survey: Survey, session: Session) -> Link:
    """The invitation of an open link; otherwise roll back (releasing the lock) and raise."""
    if survey.state == "open" and survey.invitation is not None:
        return survey.invitation
    session.rollback()
    if survey.state == "submitted":
        raise AlreadySubmittedError("this survey has already been submitted")
    raise LinkNotOpenError(f"this survey link is {survey.state}")


def give_consent(session: Session, survey: Survey, *, now: datetime | None = None) -> None:
    """Record consent (once) and open the first page; commits.

    ``survey`` must come from :func:`find_for_update` in this session.
    """
    link = _require_open(survey, session)
    if link.consented_at is None or link.current_page < 1:
        session.connection().execute(
            _SET_CONSENT,
            {
                "invitation_id": link.id,
                "consented_at": link.consented_at or (utcnow() if now is None else now),
                "current_page": max(link.current_page, 1),
            },
        )
    session.commit()


def is_complete(page: Page, answers: PageAnswers) -> bool:
    """Whether ``answers`` answer every required question of ``page``.

    Every rated item needs a value or "Prefer not to answer"; the roster question needs names,
    "None of these" or "Prefer not to answer"; comments are optional.
    """
    if page.kind == "rated":
        return all(question.id in answers.rated for question in page.questions)
    if page.kind == "network":
        return answers.ties is not None or answers.network_declined
    return True


def _check(page: Page, answers: PageAnswers, allowed_alters: set[int]) -> None:
    """Refuse anything the page does not ask or allow (the forms check first; this is the
    data layer's own guarantee that nothing invalid is stored)."""
    problems: list[Problem] = []
    valid = {question.id: {value for value, _ in question.options} for question in page.questions}
    for item_id, value in answers.rated.items():
        if item_id not in valid:
            problems.append(Problem(item_id, f"{item_id} is not asked on page {page.number}"))
        elif value is not None and value not in valid[item_id]:
            problems.append(Problem(item_id, f"{value} is not an answer to {item_id}"))
    if answers.network_declined and (page.kind != "network" or answers.ties is not None):
        problems.append(
            Problem(None, f"page {page.number}: “Prefer not to answer” goes with no names")
        )
    if answers.ties is not None:
        if page.kind != "network":
            problems.append(Problem(None, f"page {page.number} has no roster question"))
        elif not answers.ties <= allowed_alters:
            problems.append(
                Problem(None, "a person named is not in this team's roster for this wave")
            )
    comment_ids = {comment.id for comment in page.comments}
    for comment_id, text in answers.comments.items():
        if comment_id not in comment_ids:
            problems.append(Problem(comment_id, f"{comment_id} is not asked on page {page.number}"))
        elif len(text) > COMMENT_MAX_LENGTH:
            problems.append(
                Problem(comment_id, f"{comment_id} is longer than {COMMENT_MAX_LENGTH} characters")
            )
    if problems:
        raise InvalidAnswersError(problems)


def _draft(session: Session, invitation: Link, now: datetime) -> int:
    """The id of the invitation's draft response, created on first use (one per invitation,
    enforced by the UNIQUE constraint on ``responses.invitation_id``).

    The response read with the link is used when there is one. On PostgreSQL a request that
    waited for the invitation's lock may have read the response columns from before the other
    request's commit; then inserting the draft fails on the UNIQUE constraint and
    :func:`_create_draft` reads the response that exists, and a response submitted meanwhile
    is caught by the invitation's own ``submitted_at`` (re-read under the lock) and by the
    conditional updates of :func:`submit`.
    """
    response: tuple[int, datetime | None] | None = None
    if invitation.response_id is not None:
        response = (invitation.response_id, invitation.response_submitted_at)
    if response is None:
        response = _create_draft(session, invitation, now)
    response_id, submitted_at = response
    if submitted_at is not None:
        raise AlreadySubmittedError("this survey has already been submitted")
    return response_id


def _create_draft(session: Session, invitation: Link, now: datetime) -> tuple[int, datetime | None]:
    """Insert the draft response and record the start of answering; if another request has
    just created the response, use that one."""
    try:
        with session.begin_nested():  # the SAVEPOINT is emitted by session.connection() here
            key = (
                session.connection()
                .execute(_NEW_RESPONSE, {"invitation_id": invitation.id, "moment": now})
                .inserted_primary_key
            )
        if key is None:
            raise RuntimeError("the database did not return the new response's id")
        response: tuple[int, datetime | None] = (int(key[0]), None)
    except IntegrityError:  # another request created it first
        found = _response(session, invitation)
        if found is None:
            raise
        response = found
    if invitation.started_at is None:
        session.connection().execute(_SET_STARTED, {"invitation_id": invitation.id, "moment": now})
    return response


def _store(session: Session, response_id: int, page: Page, answers: PageAnswers) -> None:
    """Replace what the response holds for ``page`` with ``answers`` (the page's full state).

    Rows of the page's questions are inserted, updated (only when the value changed) or
    deleted; nothing else is touched.
    """
    connection = session.connection()
    if page.kind == "rated":
        _store_rated(connection, response_id, page, answers)
    elif page.kind == "network":
        _store_decline(connection, response_id, page, answers.network_declined)
        _store_ties(connection, response_id, answers.ties or frozenset())
    else:
        _store_comments(connection, response_id, page, answers)


def _store_rated(
    connection: Connection, response_id: int, page: Page, answers: PageAnswers
) -> None:
    """The page's rated answers: new ones added, changed values set, withdrawn ones dropped."""
    stored_rows = {
        item_id: (row_id, value)
        for item_id, row_id, value in connection.execute(
            _PAGE_ANSWERS, {"response_id": response_id}
        ).all()
    }
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for question in page.questions:
        row = stored_rows.get(question.id)
        if question.id not in answers.rated:
            if row is not None:
                dropped.append({"answer_id": row[0]})
            continue
        value = answers.rated[question.id]
        wanted = None if value is None else float(value)
        if row is None:
            added.append({"response_id": response_id, "item_id": question.id, "value": wanted})
        elif row[1] != wanted:
            changed.append({"answer_id": row[0], "new_value": wanted})
    _run(connection, _ADD_ANSWER, added)
    _run(connection, _SET_ANSWER, changed)
    _run(connection, _DROP_ANSWER, dropped)


def _store_ties(connection: Connection, response_id: int, wanted_ties: frozenset[int]) -> None:
    """Exactly the ties to ``wanted_ties``: missing ones added, others dropped."""
    have = {
        member_id: row_id
        for member_id, row_id in connection.execute(_TIE_ROWS, {"response_id": response_id}).all()
    }
    _run(
        connection,
        _ADD_TIE,
        [
            {"response_id": response_id, "alter_member_id": member_id}
            for member_id in sorted(wanted_ties - have.keys())
        ],
    )
    _run(
        connection,
        _DROP_TIE,
        [{"tie_id": tie_id} for member_id, tie_id in have.items() if member_id not in wanted_ties],
    )


def _store_comments(
    connection: Connection, response_id: int, page: Page, answers: PageAnswers
) -> None:
    """The page's free-text answers (stripped): new, edited, or removed when emptied."""
    stored_comments = {
        item_id: (row_id, text)
        for item_id, row_id, text in connection.execute(
            _COMMENT_ROWS, {"response_id": response_id}
        ).all()
    }
    new: list[dict[str, Any]] = []
    edited: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for asked in page.comments:
        text = answers.comments.get(asked.id, "").strip()
        row = stored_comments.get(asked.id)
        if not text:
            if row is not None:
                removed.append({"comment_id": row[0]})
        elif row is None:
            new.append({"response_id": response_id, "item_id": asked.id, "text": text})
        elif row[1] != text:
            edited.append({"comment_id": row[0], "new_text": text})
    _run(connection, _ADD_COMMENT, new)
    _run(connection, _SET_COMMENT, edited)
    _run(connection, _DROP_COMMENT, removed)


def _store_decline(connection: Connection, response_id: int, page: Page, declined: bool) -> None:
    """Keep the roster question's "Prefer not to answer" row (item = the question's id, no
    value) exactly when ``declined``."""
    if page.network is None:
        return
    item_id = page.network.id
    rows = [
        row_id
        for stored_item, row_id, _ in connection.execute(
            _PAGE_ANSWERS, {"response_id": response_id}
        ).all()
        if stored_item == item_id
    ]
    if declined and not rows:
        connection.execute(
            _ADD_ANSWER, [{"response_id": response_id, "item_id": item_id, "value": None}]
        )
    elif not declined and rows:
        connection.execute(_DROP_ANSWER, [{"answer_id": row_id} for row_id in rows])


def _run(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Execute ``statement`` once per row (one executemany), if there are rows."""
    if rows:
        connection.execute(statement, rows)


def _allowed_alters(session: Session, survey: Survey, page: Page) -> set[int]:
    if page.kind != "network":
        return set()
    return {alter.member_id for alter in alters(session, survey)}


def save_page(
    session: Session,
    survey: Survey,
    number: int,
    answers: PageAnswers,
    *,
    forward: bool,
    now: datetime | None = None,
) -> int:
    """Save page ``number``'s answers on the draft response and move on or back; commits.

    Parameters
    ----------
    session
        The session in which ``survey`` was found with :func:`find_for_update`.
    survey
        An open link whose respondent has consented.
    number
        The page being saved.
    answers
        The page's answers: they replace what was saved for this page before.
    forward
        ``True`` for "Continue" (the page must be complete), ``False`` for "Back" (a partly
        answered page is kept as it is).
    now
        The time recorded as the start of answering (default: now).

    Returns
    -------
    int
        The page to show next.

    Raises
    ------
    AlreadySubmittedError, LinkNotOpenError
        The link cannot take answers.
    InvalidAnswersError
        Something the page does not ask or allow; nothing is saved.
    IncompleteError
        ``forward`` with a required answer missing; nothing is saved.
    """
    link = _require_open(survey, session)
    page = survey.page(number)
    try:
        if page is None or not survey.may_open(number):
            raise IncompleteError(f"page {number} cannot be answered yet", survey.resume_page)
        _check(page, answers, _allowed_alters(session, survey, page))
        complete = is_complete(page, answers)
        if forward and not complete:
            raise IncompleteError(f"page {number} has unanswered questions", number)
    except ServiceError:
        session.rollback()
        raise
    moment = utcnow() if now is None else now
    response_id = _draft(session, link, moment)
    _store(session, response_id, page, answers)
    session.connection().execute(_TOUCH_RESPONSE, {"response_id": response_id, "moment": moment})
    current_page = link.current_page
    if forward:
        current_page = max(current_page, min(number + 1, len(survey.pages)))
        target = number + 1
    else:
        if not complete:  # later pages stay locked until this one is complete again
            current_page = min(current_page, number)
        target = max(number - 1, 1)
    if current_page != link.current_page:
        session.connection().execute(
            _SET_CURRENT_PAGE, {"invitation_id": link.id, "current_page": current_page}
        )
    session.commit()
    return min(target, len(survey.pages))


@functools.lru_cache(maxsize=32)
def _rated_items(pages: tuple[Page, ...]) -> tuple[str, ...]:
    """Every rated item the pages ask (each needs an answer, "Prefer not to answer" included)."""
    return tuple(q.id for page in pages if page.kind == "rated" for q in page.questions)


def _first_incomplete(session: Session, survey: Survey, response_id: int) -> int | None:
    """The first rated page with an item unanswered in the database."""
    answered = set(
        session.connection().execute(_ANSWERED_ITEMS, {"response_id": response_id}).scalars()
    )
    for page in survey.pages:
        if page.kind == "rated" and any(q.id not in answered for q in page.questions):
            return page.number
    return None


def submit(
    session: Session,
    survey: Survey,
    answers: PageAnswers,
    *,
    now: datetime | None = None,
) -> datetime:
    """Save the last page and submit the response, all in one transaction; commits.

    Exactly once: the invitation row is locked (see :func:`find_for_update`), the database
    allows one response per invitation (UNIQUE ``invitation_id``), and ``submitted_at`` is set
    by a conditional update (``WHERE submitted_at IS NULL``); a second submit, from the same
    tab or another, raises :class:`AlreadySubmittedError` and changes nothing.

    Returns
    -------
    datetime
        When the response was submitted.

    Raises
    ------
    AlreadySubmittedError, LinkNotOpenError, InvalidAnswersError, IncompleteError
        As for :func:`save_page`; on any of them nothing is saved.
    """
    link = _require_open(survey, session)
    last = len(survey.pages)
    page = survey.page(last)
    moment = utcnow() if now is None else now
    try:
        if page is None or not survey.may_open(last):
            raise IncompleteError("the last page cannot be answered yet", survey.resume_page)
        _check(page, answers, _allowed_alters(session, survey, page))
        if not is_complete(page, answers):
            raise IncompleteError(f"page {last} has unanswered questions", last)
        response_id = _draft(session, link, moment)
        _store(session, response_id, page, answers)
        # One statement checks completeness and submits; only when it updates nothing is the
        # reason looked for (an unanswered page, or a submission that came first).
        required = _rated_items(survey.pages)
        connection = session.connection()
        done = connection.execute(
            _MARK_RESPONSE_SUBMITTED,
            {
                "response_id": response_id,
                "moment": moment,
                "required": required,
                "required_count": len(required),
            },
        )
        if done.rowcount != 1:
            missing = _first_incomplete(session, survey, response_id)
            if missing is not None:
                raise IncompleteError(f"page {missing} has unanswered questions", missing)
            raise AlreadySubmittedError("this survey has already been submitted")
        marked = connection.execute(
            _MARK_INVITATION_SUBMITTED, {"invitation_id": link.id, "moment": moment}
        )
        if marked.rowcount != 1:
            raise AlreadySubmittedError("this survey has already been submitted")
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise AlreadySubmittedError("this survey has already been submitted") from error
    except ServiceError:
        session.rollback()
        raise
    return moment
