"""Staff "forgot password": a single-use, time-limited link by e-mail, stored only as a hash.

Asking for a link says the same thing whether or not the address has an account, and the e-mail
is sent after the answer has gone (see ``blueprints/auth.py``), so neither the page nor its
timing tells an outsider which addresses exist. Each request is audited
(``password.reset_request``); a link sets a new password once, within its lifetime, ends every
session of the account and is audited (``password.reset``). A newer link, a password change and
a reset by an administrator make older links void. At most :attr:`ResetPolicy.per_hour` links
are sent to one account an hour, so the form cannot be used to flood someone's inbox.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from survey_app.config import DEFAULTS, setting
from survey_app.models import PasswordReset, User, utcnow
from survey_app.services import accounts, audit, staff_sessions
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, ServiceError, raise_problems
from survey_app.services.transactions import transactional
from survey_app.tokens import hash_token

RESET_REQUEST = "password.reset_request"
RESET_DONE = "password.reset"
RESET_MAIL_FAILED = "password.reset_mail_failed"
LINK_NOT_VALID = "This link to set a password does not work: it was used already, has expired or was replaced by a newer one. Ask for a new link."


@dataclass(frozen=True)
class ResetPolicy:
    """How long a link works (``PASSWORD_RESET_MINUTES``) and how many an account gets an hour
    (``PASSWORD_RESETS_PER_HOUR``)."""

    lifetime: timedelta = timedelta(minutes=DEFAULTS["PASSWORD_RESET_MINUTES"])
    per_hour: int = DEFAULTS["PASSWORD_RESETS_PER_HOUR"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ResetPolicy:
        """From the settings; ValueError for a value that is not a whole number >= 1."""
        values: dict[str, int] = {}
        for key in ("PASSWORD_RESET_MINUTES", "PASSWORD_RESETS_PER_HOUR"):
            value = setting(config, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting {key} must be a whole number >= 1, not {value!r}")
            values[key] = value
        return cls(
            lifetime=timedelta(minutes=values["PASSWORD_RESET_MINUTES"]),
            per_hour=values["PASSWORD_RESETS_PER_HOUR"],
        )


@dataclass(frozen=True)
class ResetLink:
    """A link to send: the account's e-mail address and the token of its link."""

    email: str
    token: str
    expires_at: datetime


@transactional
def request_reset(
    session: Session,
    email: str,
    ip: str | None,
    policy: ResetPolicy,
    *,
    now: datetime | None = None,
) -> ResetLink | None:
    """Make a link for the active account with this e-mail, if one may be sent now.

    Returns None (and makes nothing) for an unknown or deactivated address, and for an account
    that was sent :attr:`ResetPolicy.per_hour` links in the last hour. Every request is audited
    with what was done (never the token). The caller commits, then sends the link.
    """
    now = utcnow() if now is None else now
    address = email.strip().lower()[:320]
    user = accounts.find_user_by_email(session, address) if address else None
    outcome = "sent"
    if user is None:
        outcome = "no such account"
    elif not user.is_active:
        outcome = "account deactivated"
    else:
        recent = session.scalar(
            select(func.count())
            .select_from(PasswordReset)
            .where(
                PasswordReset.user_id == user.id,
                PasswordReset.created_at > now - timedelta(hours=1),
            )
        )
        if int(recent or 0) >= policy.per_hour:
            outcome = "too many requests"
    audit.record(
        session,
        RESET_REQUEST,
        user=user,
        actor=address or "(empty)",
        study_id=None if user is None else user.sole_study_id,
        object_type=None if user is None else "user",
        object_id=None if user is None else user.id,
        detail={"outcome": outcome},
        ip=ip,
        at=now,
    )
    if user is None or outcome != "sent":
        return None
    accounts.void_reset_links(session, user, now=now)
    token = secrets.token_urlsafe(32)
    expires = now + policy.lifetime
    session.add(
        PasswordReset(
            user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=expires
        )
    )
    return ResetLink(email=user.email, token=token, expires_at=expires)


def find_link(session: Session, token: str, *, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired link with this token of an active account, or None."""
    now = utcnow() if now is None else now
    link = session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = session.get(User, link.user_id)
    return link if user is not None and user.is_active else None


@transactional
def record_mail_failure(session: Session, email: str, reason: str, ip: str | None) -> None:
    """Audit that the reset e-mail to ``email`` could not be sent, and why."""
    audit.record(session, RESET_MAIL_FAILED, actor=email, detail={"reason": reason}, ip=ip)


@transactional
def complete_reset(
    session: Session,
    token: str,
    new: str,
    confirmation: str,
    ip: str | None,
    *,
    now: datetime | None = None,
) -> User:
    """Set the password through a link: once, while it is valid.

    Every session of the account ends and every other link is void; audited as
    ``password.reset``.

    Raises
    ------
    ServiceError
        The link does not work (field None), or the new password is refused (field ``new``) or
        differs from its confirmation (``confirmation``). Nothing is changed.
    """
    now = utcnow() if now is None else now
    link = find_link(session, token, now=now)
    if link is None:
        raise ServiceError(LINK_NOT_VALID)
    user = session.get(User, link.user_id)
    if user is None:  # pragma: no cover - find_link checked it
        raise ServiceError(LINK_NOT_VALID)
    problems: list[Problem] = []
    weak = accounts.password_problem(new, user.email, noun="the new password")
    if weak:
        problems.append(Problem("new", weak))
    if new != confirmation:
        problems.append(Problem("confirmation", "the new password and its confirmation differ"))
    raise_problems(problems)
    user.password_hash = generate_password_hash(new)
    accounts.void_reset_links(session, user, now=now)
    ended = staff_sessions.end_sessions_of(session, user)
    audit.record_action(
        session,
        Actor.of_user(user, ip),
        RESET_DONE,
        study_id=user.sole_study_id,
        object_type="user",
        object_id=user.id,
        detail={"sessions_ended": ended},
    )
    return user
