"""Staff sessions kept in the database: signing out ends them on every server, and they expire.

The session cookie holds a random token (:data:`TOKEN_KEY`); the ``staff_sessions`` row holds its
SHA-256 digest, when it began and when it was last used. A request is signed in only while the
row exists, the account is active, the session was used within the idle lifetime and began
within the absolute lifetime. Several app servers share the rows, so the app keeps no state of
its own. ``last_seen_at`` is written at most once per :attr:`SessionLifetimes.activity` (a write
per request would cost every page a transaction).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from survey_app.config import DEFAULTS, setting
from survey_app.models import StaffSession, User, utcnow
from survey_app.services.transactions import transactional
from survey_app.tokens import hash_token

TOKEN_KEY = "_copkit_session"
"""The key of the session cookie that holds the staff session's token."""


@dataclass(frozen=True)
class SessionLifetimes:
    """How long a staff session lasts: unused (``idle``) and at most (``absolute``).

    Examples
    --------
    >>> SessionLifetimes.from_config({"SESSION_IDLE_MINUTES": 20}).idle
    datetime.timedelta(seconds=1200)
    """

    idle: timedelta = timedelta(minutes=DEFAULTS["SESSION_IDLE_MINUTES"])
    absolute: timedelta = timedelta(hours=DEFAULTS["SESSION_ABSOLUTE_HOURS"])
    activity: timedelta = timedelta(seconds=DEFAULTS["SESSION_ACTIVITY_SECONDS"])

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SessionLifetimes:
        """From ``SESSION_IDLE_MINUTES``, ``SESSION_ABSOLUTE_HOURS`` and
        ``SESSION_ACTIVITY_SECONDS``; ValueError for a value that is not a whole number >= 1."""
        values: dict[str, int] = {}
        for key in ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", "SESSION_ACTIVITY_SECONDS"):
            value = setting(config, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting {key} must be a whole number >= 1, not {value!r}")
            values[key] = value
        return cls(
            idle=timedelta(minutes=values["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=values["SESSION_ABSOLUTE_HOURS"]),
            activity=timedelta(seconds=values["SESSION_ACTIVITY_SECONDS"]),
        )


@dataclass(frozen=True)
class SignedIn:
    """A valid session: its account, its row's id, and whether its activity time is due."""

    user: User
    session_id: int
    touch_due: bool


def _expired(lifetimes: SessionLifetimes, now: datetime) -> Any:
    return or_(
        StaffSession.last_seen_at <= now - lifetimes.idle,
        StaffSession.created_at <= now - lifetimes.absolute,
    )


def start_session(
    session: Session,
    user: User,
    ip: str | None,
    lifetimes: SessionLifetimes,
    *,
    now: datetime | None = None,
) -> str:
    """Open a session for ``user``; returns the token for the cookie (the caller commits).

    Expired sessions of every account are deleted on the way (no scheduler needed).
    """
    now = utcnow() if now is None else now
    session.execute(delete(StaffSession).where(_expired(lifetimes, now)))
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            user_id=user.id, token_hash=hash_token(token), created_at=now, last_seen_at=now, ip=ip
        )
    )
    return token


def signed_in(
    session: Session,
    user_id: int,
    token: str | None,
    lifetimes: SessionLifetimes,
    *,
    now: datetime | None = None,
) -> SignedIn | None:
    """The account of a valid session with this token for ``user_id``, else None."""
    if not token:
        return None
    now = utcnow() if now is None else now
    row = session.execute(
        select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == hash_token(token), StaffSession.user_id == user_id)
    ).first()
    if row is None:
        return None
    staff_session, user = row
    if not user.is_active:
        return None
    if staff_session.last_seen_at <= now - lifetimes.idle:
        return None
    if staff_session.created_at <= now - lifetimes.absolute:
        return None
    due = staff_session.last_seen_at <= now - lifetimes.activity
    return SignedIn(user=user, session_id=staff_session.id, touch_due=due)


@transactional
def touch(session: Session, session_id: int, *, now: datetime | None = None) -> None:
    """Record that the session was used now."""
    now = utcnow() if now is None else now
    session.execute(
        update(StaffSession).where(StaffSession.id == session_id).values(last_seen_at=now)
    )


def end_session(session: Session, token: str | None) -> None:
    """End the session with this token (sign-out); the caller commits."""
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == hash_token(token)))


def end_sessions_of(session: Session, user: User, *, keep: str | None = None) -> int:
    """End every session of ``user`` but the one with token ``keep``; returns how many ended.

    Used when the password changes (every other device must sign in again with the new one), is
    reset, or the account is deactivated. The caller commits.
    """
    statement = delete(StaffSession).where(StaffSession.user_id == user.id)
    if keep:
        statement = statement.where(StaffSession.token_hash != hash_token(keep))
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
