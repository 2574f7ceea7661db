"""Staff sign-in with throttling kept in the database, and password changes.

Throttling counts failed sign-ins recorded in the audit trail, so every app server behind a load
balancer sees the same count (nothing is held in a process's memory).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.models import AuditEvent, User, utcnow
from survey_app.services import accounts, audit
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError

LOGIN_SUCCESS = "login.success"
LOGIN_FAILURE = "login.failure"
LOGIN_LOCKED = "login.locked"
LOGOUT = "logout"
PASSWORD_CHANGE = "password.change"


@cache
def _dummy_hash() -> str:
    """A hash to check when the email is unknown, so that a wrong email takes as long as a wrong
    password and response times do not reveal which staff emails exist."""
    return generate_password_hash("copkit-no-such-user")


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed sign-ins within ``window`` lock an email (from one address) or an address.

    Examples
    --------
    >>> LoginPolicy.from_config({"LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 10}).window
    datetime.timedelta(seconds=600)
    """

    max_failures: int = 5
    max_failures_per_ip: int = 50
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginPolicy:
        """The policy from ``LOGIN_MAX_FAILURES``, ``LOGIN_MAX_FAILURES_PER_IP`` and
        ``LOGIN_LOCKOUT_MINUTES``; raises ValueError for a value that is not a whole number >= 1.
        """
        values: dict[str, int] = {}
        defaults = {
            "LOGIN_MAX_FAILURES": cls.max_failures,
            "LOGIN_MAX_FAILURES_PER_IP": cls.max_failures_per_ip,
            "LOGIN_LOCKOUT_MINUTES": 15,
        }
        for key, default in defaults.items():
            value = config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting {key} must be a whole number >= 1, not {value!r}")
            values[key] = value
        return cls(
            max_failures=values["LOGIN_MAX_FAILURES"],
            max_failures_per_ip=values["LOGIN_MAX_FAILURES_PER_IP"],
            window=timedelta(minutes=values["LOGIN_LOCKOUT_MINUTES"]),
        )


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a sign-in: the user, or why not (``locked_until`` when throttled)."""

    user: User | None
    locked_until: datetime | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the user is signed in."""
        return self.user is not None


def normalise_email(email: str) -> str:
    """An email as accounts store it: stripped and lowercased (at most 320 characters)."""
    return email.strip().lower()[:320]


def _unlock_time(
    session: Session,
    *,
    email: str | None,
    ip: str | None,
    limit: int,
    now: datetime,
    window: timedelta,
) -> datetime | None:
    """When the throttle on (email, ip), or on ip alone, lifts; None if it is not locked.

    Failures count within ``window`` and, for an email, only after its last success from that
    address. Locked while at least ``limit`` failures remain in the window, i.e. until the
    ``limit``-th most recent failure is ``window`` old.
    """
    since = now - window
    conditions = [AuditEvent.at > since, AuditEvent.at <= now]
    if ip is None:
        conditions.append(AuditEvent.ip.is_(None))
    else:
        conditions.append(AuditEvent.ip == ip)
    if email is not None:
        conditions.append(AuditEvent.actor == email)
        last_success = session.scalar(
            select(func.max(AuditEvent.at)).where(AuditEvent.action == LOGIN_SUCCESS, *conditions)
        )
        if last_success is not None:
            conditions.append(AuditEvent.at > last_success)
    failures = list(
        session.scalars(
            select(AuditEvent.at)
            .where(AuditEvent.action == LOGIN_FAILURE, *conditions)
            .order_by(AuditEvent.at.desc())
            .limit(limit)
        )
    )
    if len(failures) < limit:
        return None
    return failures[-1] + window


def locked_until(
    session: Session, email: str, ip: str | None, policy: LoginPolicy, now: datetime | None = None
) -> datetime | None:
    """When sign-in for ``email`` from ``ip`` is allowed again, or None if it is allowed now.

    Notes
    -----
    Locked while, within the last ``window``, at least ``max_failures`` sign-ins for this
    email from this address failed since its last success from there, or at least
    ``max_failures_per_ip`` sign-ins from this address failed for any email. Attempts refused
    while locked are recorded as ``login.locked`` and do not extend the lock.
    """
    now = utcnow() if now is None else now
    times = [
        _unlock_time(
            session,
            email=normalise_email(email),
            ip=ip,
            limit=policy.max_failures,
            now=now,
            window=policy.window,
        ),
        _unlock_time(
            session,
            email=None,
            ip=ip,
            limit=policy.max_failures_per_ip,
            now=now,
            window=policy.window,
        ),
    ]
    found = [time for time in times if time is not None]
    return max(found) if found else None


def attempt_login(
    session: Session,
    email: str,
    password: str,
    ip: str | None,
    policy: LoginPolicy,
    *,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a sign-in and record it in the audit trail (the caller commits).

    A throttled email is refused before its password is checked, so a right password does not
    get through a lock. Unknown emails, wrong passwords and deactivated accounts fail alike.

    Returns
    -------
    LoginOutcome
        The user on success; else ``locked_until`` when this attempt is (or now becomes)
        throttled, or neither for a plain failure.
    """
    now = utcnow() if now is None else now
    email = normalise_email(email)
    lock = locked_until(session, email, ip, policy, now)
    if lock is not None:
        audit.record(session, LOGIN_LOCKED, actor=email or "(empty)", ip=ip, at=now)
        return LoginOutcome(user=None, locked_until=lock)
    user = accounts.find_user_by_email(session, email) if email else None
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is not None and password_ok and user.is_active:
        audit.record(
            session,
            LOGIN_SUCCESS,
            user=user,
            actor=user.email,
            study_id=user.study_id,
            object_type="user",
            object_id=user.id,
            ip=ip,
            at=now,
        )
        return LoginOutcome(user=user)
    if user is None:
        reason = "unknown email"
    elif not user.is_active:
        reason = "account deactivated"
    else:
        reason = "wrong password"
    audit.record(
        session,
        LOGIN_FAILURE,
        user=user,
        actor=email or "(empty)",
        study_id=None if user is None else user.study_id,
        detail={"reason": reason},
        ip=ip,
        at=now,
    )
    session.flush()
    return LoginOutcome(user=None, locked_until=locked_until(session, email, ip, policy, now))


def record_logout(session: Session, actor: Actor) -> None:
    """Record a sign-out (the caller commits)."""
    user = actor.user
    audit.record_action(
        session,
        actor,
        LOGOUT,
        study_id=None if user is None else user.study_id,
        object_type="user",
        object_id=None if user is None else user.id,
    )


def password_fingerprint(user: User) -> str:
    """A short digest of the stored password hash, kept in the session cookie at sign-in.

    When the password changes, the fingerprint no longer matches and every other session of
    the account is signed out.

    Examples
    --------
    >>> password_fingerprint(User(password_hash="scrypt:abc"))
    'cf39b2cc34511211'
    """
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def change_password(
    session: Session, actor: Actor, current: str, new: str, confirmation: str
) -> None:
    """Change the signed-in user's password (the caller commits).

    Raises
    ------
    ServiceError
        Listing every problem: the current password is wrong, the new one is too short, differs
        from its confirmation, or equals the current one. Nothing is changed.
    """
    user = actor.user
    if user is None:
        raise ValueError("a password change needs a signed-in user")
    problems: list[str] = []
    if not check_password_hash(user.password_hash, current):
        problems.append("the current password is not right")
    if len(new) < accounts.MIN_PASSWORD_LENGTH:
        problems.append(
            f"the new password must have at least {accounts.MIN_PASSWORD_LENGTH} characters"
        )
    if new != confirmation:
        problems.append("the new password and its confirmation differ")
    if new and new == current:
        problems.append("the new password must differ from the current one")
    if problems:
        raise ServiceError("; ".join(problems))
    user.password_hash = generate_password_hash(new)
    audit.record_action(
        session,
        actor,
        PASSWORD_CHANGE,
        study_id=user.study_id,
        object_type="user",
        object_id=user.id,
    )
