"""The audit trail: recording who did what to which object, and when, and reading it back."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from survey_app.models import AuditEvent, User, utcnow

CLI_ACTOR = "cli"
"""The actor named in events recorded by ``copkit`` commands run from a shell."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in staff account (with the request's address) or a command.

    Examples
    --------
    >>> Actor.cli().name
    'cli'
    """

    user: User | None
    name: str
    ip: str | None = None

    @classmethod
    def of_user(cls, user: User, ip: str | None = None) -> Actor:
        """A staff account acting through the web app from ``ip``."""
        return cls(user=user, name=user.email, ip=ip)

    @classmethod
    def cli(cls) -> Actor:
        """A ``copkit`` command run from a shell (or cron)."""
        return cls(user=None, name=CLI_ACTOR)


def record(
    session: Session,
    action: str,
    *,
    user: User | None = None,
    actor: str | None = None,
    study_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the change it records).

    Parameters
    ----------
    session
        The session carrying the change being audited.
    action
        What happened, as a dotted verb (``"user.create"``, ``"login.failure"``).
    user
        The staff account acting, if any; ``actor`` defaults to its email.
    actor
        Who acted when there is no account (``"cli"``, an email that failed to log in).
    study_id, object_type, object_id
        What was acted on.
    detail
        JSON-serialisable particulars (never passwords or answers).
    ip
        The client address for web requests.
    at
        When it happened (timezone-aware); now when omitted.
    """
    if user is None and not actor:
        raise ValueError("an audit event needs a user or an actor")
    name = actor if actor else (user.email if user is not None else "")
    event = AuditEvent(
        user=user,
        actor=name[:320],
        action=action,
        study_id=study_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
        ip=ip,
        at=utcnow() if at is None else at,
    )
    session.add(event)
    return event


def record_action(
    session: Session,
    actor: Actor,
    action: str,
    *,
    study_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record what ``actor`` did (the account, or ``cli``, and the address it came from)."""
    return record(
        session,
        action,
        user=actor.user,
        actor=actor.name,
        study_id=study_id,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        ip=actor.ip,
    )


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page is asked to show; ``None`` means "any".

    ``since`` is inclusive and ``until`` exclusive (timezone-aware); ``actor`` matches part of
    the actor's name or email, case-insensitively.
    """

    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, and whether older ones follow."""

    events: list[AuditEvent]
    page: int
    has_more: bool


def _scoped(query: Select[Any], study_ids: Collection[int] | None) -> Select[Any]:
    if study_ids is None:
        return query
    return query.where(AuditEvent.study_id.in_(list(study_ids)))


def list_events(
    session: Session,
    filters: AuditFilter,
    *,
    study_ids: Collection[int] | None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """Audit events matching ``filters``, newest first.

    Parameters
    ----------
    study_ids
        Only events about these studies (an evaluator's scope); ``None`` for every event (admins).
    page, per_page
        Which page (from 1) and how many events on a page.
    """
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page must be at least 1")
    query = _scoped(select(AuditEvent), study_ids)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        pattern = "%" + _escape_like(filters.actor.strip().lower()) + "%"
        query = query.where(func.lower(AuditEvent.actor).like(pattern, escape="\\"))
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    rows = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return AuditPage(events=rows[:per_page], page=page, has_more=len(rows) > per_page)


def known_actions(session: Session, *, study_ids: Collection[int] | None) -> list[str]:
    """The distinct actions recorded (in the scope), for the audit page's filter."""
    query = _scoped(select(AuditEvent.action).distinct(), study_ids)
    return sorted(session.scalars(query))


def _escape_like(text: str) -> str:
    """Escape LIKE's wildcards so a search for ``50%`` finds exactly that.

    Examples
    --------
    >>> _escape_like("a_b%c")
    'a\\\\_b\\\\%c'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
