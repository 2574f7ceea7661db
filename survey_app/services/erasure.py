"""Erasure, withdrawal and retention: deleting a person's data so that nothing leads back to them.

What the consent page promises (docs/architecture.md#privacy) is done here:

- :func:`erase_member` deletes everything a study holds about one member: their answers,
  comments and responses, the knowledge ties they named and the ties others named to them,
  their invitations (with the send errors that may quote their address), their team
  memberships and the member record itself (name, e-mail, profession, organisation, role). Their
  pseudonym was the HMAC of the member id, so with the record goes the pseudonym mapping; the
  releases' respondent sets rename it (:func:`survey_app.services.releases.forget_respondent`)
  and the audit trail's earlier events about them lose their e-mail address and member id.
  The erasure is audited as ``member.erase`` with counts only, never the name or e-mail.
  Evaluators erase from the command line (``copkit erase-member``) or the member's page;
  respondents withdraw themselves from their survey link (``/s/<token>/withdraw``).
- Released figures that included the person are not shown again as they were: the next
  release (made at the next page view, because the closed waves' data changed) goes through
  the disclosure check against every earlier release, so a figure recomputed without them is
  withheld wherever the difference would be them.
- :func:`purge_expired` deletes every member of a study whose retention period has run out
  (``retention_days`` after its last wave closed), as :func:`erase_member` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from survey_app.models import (
    Answer,
    AuditEvent,
    Comment,
    DashboardSnapshot,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Theme,
    Tie,
    Wave,
    utcnow,
)
from survey_app.services import audit, releases
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.export import pseudonym
from survey_app.services.transactions import transactional
from survey_app.services.validation import clean

__all__ = [
    "ERASED",
    "ERASE_ACTION",
    "PURGE_ACTION",
    "DataTerms",
    "Erasure",
    "ExpiredStudy",
    "NoSuchMemberError",
    "data_terms",
    "erase_member",
    "erasure_counts",
    "expired_studies",
    "find_member_to_erase",
    "purge_expired",
    "retention_days",
    "update_data_protection",
    "withdraw",
]

ERASE_ACTION = "member.erase"
PURGE_ACTION = "study.purge"
ERASED = "(erased)"
"""What replaces an erased person's e-mail address in the audit trail."""


class NoSuchMemberError(ServiceError):
    """There is no member with that e-mail address in the study (erased already, or never)."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure deleted (or would delete): counts only, nothing about the person.

    Attributes
    ----------
    responses, answers, comments : int
        Responses (submitted or drafts), scored answers and free-text comments.
    ties_named, ties_naming : int
        Knowledge ties the person named, and ties others named to them.
    invitations, memberships : int
        Their invitations (one per team and wave) and team memberships.
    releases : int
        Releases whose respondent sets held their pseudonym (renamed).
    """

    responses: int
    answers: int
    comments: int
    ties_named: int
    ties_naming: int
    invitations: int
    memberships: int
    releases: int = 0

    def describe(self) -> str:
        """One plain sentence listing what goes."""
        parts = [
            _count(self.responses, "response"),
            _count(self.answers, "answer"),
            _count(self.comments, "comment"),
            _count(self.ties_named + self.ties_naming, "knowledge tie"),
            _count(self.invitations, "invitation"),
            _count(self.memberships, "team membership"),
        ]
        return ", ".join(parts) + " and the member's record (name, e-mail, profession)"

    def detail(self) -> dict[str, int]:
        """The counts, for the audit trail."""
        return {
            "responses": self.responses,
            "answers": self.answers,
            "comments": self.comments,
            "ties_named": self.ties_named,
            "ties_naming": self.ties_naming,
            "invitations": self.invitations,
            "memberships": self.memberships,
            "releases": self.releases,
        }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def find_member_to_erase(session: Session, study: Study, email: str) -> Member:
    """The study's member with this e-mail address (case-insensitive).

    Raises
    ------
    NoSuchMemberError
        When there is none (never on the roster, or erased already).
    """
    address = clean(email).lower()
    member = session.scalar(
        select(Member).where(Member.study_id == study.id, Member.email == address)
    )
    if member is None:
        raise NoSuchMemberError(
            f'study "{study.name}" has no member with the e-mail address {address} '
            "(never on the roster, or already erased)",
            field="email",
        )
    return member


def _ids(session: Session, query: Any) -> list[int]:
    return [int(value) for value in session.scalars(query)]


def _scope(session: Session, member: Member) -> tuple[list[int], list[int], list[int]]:
    memberships = _ids(session, select(Membership.id).where(Membership.member_id == member.id))
    invitations = _ids(
        session, select(Invitation.id).where(Invitation.membership_id.in_(memberships))
    )
    responses = _ids(session, select(Response.id).where(Response.invitation_id.in_(invitations)))
    return memberships, invitations, responses


def _number(session: Session, model: Any, *conditions: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def erasure_counts(session: Session, member: Member) -> Erasure:
    """What :func:`erase_member` would delete (for the confirmation step); changes nothing."""
    memberships, invitations, responses = _scope(session, member)
    return Erasure(
        responses=len(responses),
        answers=_number(session, Answer, Answer.response_id.in_(responses)),
        comments=_number(session, Comment, Comment.response_id.in_(responses)),
        ties_named=_number(session, Tie, Tie.response_id.in_(responses)),
        ties_naming=_number(session, Tie, Tie.alter_member_id == member.id),
        invitations=len(invitations),
        memberships=len(memberships),
    )


def _scrubbed(value: Any, needles: tuple[str, ...]) -> Any:
    """``value`` (JSON) with every string mentioning one of ``needles`` replaced by ERASED."""
    if isinstance(value, dict):
        return {key: _scrubbed(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, needles) for item in value]
    if isinstance(value, str) and any(needle in value.lower() for needle in needles):
        return ERASED
    return value


def _forget_in_audit(
    session: Session, study_id: int, member: Member, memberships: Iterable[int]
) -> None:
    """Earlier audit events lose the member's e-mail address and the ids that lead to them."""
    needles = (member.email.lower(),)
    about = or_(
        (AuditEvent.object_type == "member") & (AuditEvent.object_id == str(member.id)),
        (AuditEvent.object_type == "membership")
        & AuditEvent.object_id.in_([str(i) for i in memberships]),
    )
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.study_id == study_id, about)
        .values(object_id=None)
        .execution_options(synchronize_session=False)
    )
    for event in session.scalars(
        select(AuditEvent).where(
            or_(AuditEvent.study_id == study_id, AuditEvent.study_id.is_(None)),
            AuditEvent.detail.is_not(None),
        )
    ):
        cleaned = _scrubbed(event.detail, needles)
        if cleaned != event.detail:
            event.detail = cleaned


def _drop_cached_dashboards(session: Session, study_id: int) -> None:
    """The cached dashboards (the evaluator report quotes comments) are made again."""
    session.execute(
        update(DashboardSnapshot)
        .where(DashboardSnapshot.study_id == study_id)
        .values(fingerprint=None, computed_at=None, content=None, report_html=None, report_pdf=None)
        .execution_options(synchronize_session=False)
    )


@transactional
def erase_member(
    session: Session, study: Study, member: Member, actor: Actor, *, via: str
) -> Erasure:
    """Delete everything ``study`` holds about ``member`` (see the module docstring).

    The caller runs it in a write transaction (and commits). Audited as ``member.erase`` with
    ``via`` (``"cli"``, ``"admin page"``, ``"withdrawal"``) and the counts, nothing else.

    Raises
    ------
    ServiceError
        If the member belongs to another study.
    """
    if member.study_id != study.id:
        raise ServiceError("choose one of the study's members", field="member")
    counts = erasure_counts(session, member)
    memberships, invitations, responses = _scope(session, member)
    alias = pseudonym(study.secret, member.id) if study.secret else None
    for model in (Answer, Comment, Tie):
        session.execute(delete(model).where(model.response_id.in_(responses)))
    session.execute(delete(Tie).where(Tie.alter_member_id == member.id))
    session.execute(delete(Response).where(Response.id.in_(responses)))
    session.execute(delete(Invitation).where(Invitation.id.in_(invitations)))
    session.execute(delete(Membership).where(Membership.id.in_(memberships)))
    _forget_in_audit(session, study.id, member, memberships)
    renamed = 0 if alias is None else releases.forget_respondent(session, study.id, alias)
    session.execute(delete(Member).where(Member.id == member.id))
    session.expunge(member)
    _drop_cached_dashboards(session, study.id)
    done = Erasure(**{**counts.detail(), "releases": renamed})
    audit.record_action(
        session,
        actor,
        ERASE_ACTION,
        study_id=study.id,
        object_type="member",
        object_id=None,
        detail={"via": via, **done.detail()},
    )
    return done


WITHDRAWAL = "withdrawal"
"""How an erasure a respondent asked for from their survey link is audited (``via``)."""
RETENTION_MAX_DAYS = 36_500
"""The longest retention period accepted (100 years)."""


def withdraw(session: Session, member_id: int) -> Erasure | None:
    """Erase the member a survey link belongs to, at their own request (the caller commits).

    Audited as ``member.erase`` by ``respondent`` with ``via = "withdrawal"``; None when the
    member is already gone.
    """
    member = session.get(Member, member_id)
    if member is None:
        return None
    study = session.get(Study, member.study_id)
    if study is None:  # pragma: no cover - a member always has a study (foreign key)
        return None
    actor = Actor(user=None, name="respondent")
    return erase_member(session, study, member, actor, via=WITHDRAWAL)


def retention_days(study: Study, default_days: int) -> int:
    """How many days ``study`` keeps personal data after its last wave closed."""
    return study.retention_days or default_days


@dataclass(frozen=True)
class DataTerms:
    """What respondents are told about their data in a team's study."""

    retention_days: int
    share_results: bool


def data_terms(session: Session, team_id: int, default_days: int) -> DataTerms | None:
    """The retention period and result sharing of the study team ``team_id`` belongs to."""
    row = session.execute(
        select(Study.retention_days, Study.share_results)
        .join(Theme, Theme.study_id == Study.id)
        .join(Team, Team.theme_id == Theme.id)
        .where(Team.id == team_id)
    ).one_or_none()
    if row is None:
        return None
    return DataTerms(row.retention_days or default_days, bool(row.share_results))


@transactional
def update_data_protection(
    session: Session,
    study: Study,
    *,
    retention: int | None,
    share_results: bool,
    actor: Actor,
) -> list[str]:
    """Set the study's retention period (None: the configured default) and whether team members
    may see their team's released results; returns what changed.

    Raises
    ------
    ServiceError
        For a retention period that is not 1 to 36,500 days; nothing changes.
    """
    if retention is not None and not 1 <= retention <= RETENTION_MAX_DAYS:
        raise ServiceError(
            f"the retention period must be 1 to {RETENTION_MAX_DAYS} days, not {retention}",
            field="retention_days",
        )
    changed = [
        name
        for name, value in (("retention_days", retention), ("share_results", share_results))
        if getattr(study, name) != value
    ]
    study.retention_days = retention
    study.share_results = share_results
    if changed:
        audit.record_action(
            session,
            actor,
            "study.data_protection",
            study_id=study.id,
            object_type="study",
            object_id=study.id,
            detail={
                "changed": changed,
                "retention_days": retention,
                "share_results": share_results,
            },
        )
    return changed


@dataclass(frozen=True)
class ExpiredStudy:
    """A study whose personal data are past their retention period."""

    study_id: int
    name: str
    last_closed: datetime
    retention_days: int
    members: int

    @property
    def expired_on(self) -> datetime:
        """When the retention period ran out."""
        return self.last_closed + timedelta(days=self.retention_days)


def expired_studies(
    session: Session, *, now: datetime | None = None, default_days: int
) -> list[ExpiredStudy]:
    """The studies whose personal data are past their retention period at ``now``.

    A study's retention period (``studies.retention_days``, else ``default_days``) runs from
    the moment its last wave closed; a study with a wave still open or scheduled, or with no
    wave, has not ended and keeps its data. Studies without members left are not listed.
    """
    if isinstance(default_days, bool) or not isinstance(default_days, int) or default_days < 1:
        raise ValueError(
            f"the retention period must be a whole number of days, not {default_days!r}"
        )
    now = utcnow() if now is None else now
    out: list[ExpiredStudy] = []
    for study in session.scalars(select(Study).order_by(Study.name)):
        waves = list(session.scalars(select(Wave).where(Wave.study_id == study.id)))
        if not waves or any(w.status(now) != "closed" for w in waves):
            continue
        last = max(min(w.closes, w.closed_early_at or w.closes) for w in waves)
        days = study.retention_days or default_days
        members = _number(session, Member, Member.study_id == study.id)
        if members and now >= last + timedelta(days=days):
            out.append(ExpiredStudy(study.id, study.name, last, days, members))
    return out


def purge_expired(
    session: Session, actor: Actor, *, now: datetime | None = None, default_days: int
) -> list[tuple[ExpiredStudy, Erasure]]:
    """Erase every member of every study past its retention period (the caller commits).

    Returns each study purged with the sum of what was deleted. Kept: the study, its themes,
    teams, waves and interventions, the releases (suppressed aggregates, the pseudonyms in
    their respondent sets renamed), the staff accounts and the audit trail (which records the
    purge, with counts only).
    """
    done: list[tuple[ExpiredStudy, Erasure]] = []
    for expired in expired_studies(session, now=now, default_days=default_days):
        study = session.get(Study, expired.study_id)
        if study is None:  # pragma: no cover - listed a moment ago in this transaction
            continue
        totals = dict.fromkeys(Erasure.__dataclass_fields__, 0)
        for member in list(session.scalars(select(Member).where(Member.study_id == study.id))):
            erased = erase_member(session, study, member, actor, via="retention period")
            for key, value in erased.detail().items():
                totals[key] += value
        summary = Erasure(**totals)
        audit.record_action(
            session,
            actor,
            PURGE_ACTION,
            study_id=study.id,
            object_type="study",
            object_id=study.id,
            detail={
                "members": expired.members,
                "retention_days": expired.retention_days,
                "last_wave_closed": expired.last_closed.isoformat(),
                **summary.detail(),
            },
        )
        done.append((expired, summary))
    return done
