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

from survey_app.config import DEFAULTS, setting
from survey_app.models import AuditEvent, User, utcnow
from survey_app.services import accounts, audit, staff_sessions
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, raise_problems
from survey_app.services.transactions import transactional

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
    """The sign-in throttle's limits (README, "Sign-in throttle", states the policy in full).

    Attributes
    ----------
    max_failures
        Failures for one account from one address (or from one known browser) within
        ``window`` that pause that account there (``LOGIN_MAX_FAILURES``, 5).
    max_failures_per_account
        Failures for one account from browsers it never signed in with, from any address,
        within ``window`` that pause it for such browsers (``LOGIN_MAX_FAILURES_PER_ACCOUNT``, 20).
    max_failures_per_ip
        Failures from one address within ``window`` after which that address is slowed
        (``LOGIN_MAX_FAILURES_PER_IP``, 50).
    max_delay
        The longest an address is made to wait between attempts (``LOGIN_MAX_DELAY_SECONDS``, 30).
    window
        How far back failures count (``LOGIN_LOCKOUT_MINUTES``, 15).

    Examples
    --------
    >>> LoginPolicy.from_config({"LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 10}).window
    datetime.timedelta(seconds=600)
    """

    max_failures: int = DEFAULTS["LOGIN_MAX_FAILURES"]
    max_failures_per_account: int = DEFAULTS["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    max_failures_per_ip: int = DEFAULTS["LOGIN_MAX_FAILURES_PER_IP"]
    max_delay: timedelta = timedelta(seconds=DEFAULTS["LOGIN_MAX_DELAY_SECONDS"])
    window: timedelta = timedelta(minutes=DEFAULTS["LOGIN_LOCKOUT_MINUTES"])

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginPolicy:
        """The policy from the ``LOGIN_*`` settings; ValueError for a value that is not a whole
        number >= 1."""
        values: dict[str, int] = {}
        keys = (
            "LOGIN_MAX_FAILURES",
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            "LOGIN_MAX_FAILURES_PER_IP",
            "LOGIN_MAX_DELAY_SECONDS",
            "LOGIN_LOCKOUT_MINUTES",
        )
        for key in keys:
            value = setting(config, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting {key} must be a whole number >= 1, not {value!r}")
            values[key] = value
        return cls(
            max_failures=values["LOGIN_MAX_FAILURES"],
            max_failures_per_account=values["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            max_failures_per_ip=values["LOGIN_MAX_FAILURES_PER_IP"],
            max_delay=timedelta(seconds=values["LOGIN_MAX_DELAY_SECONDS"]),
            window=timedelta(minutes=values["LOGIN_LOCKOUT_MINUTES"]),
        )


PAUSED_HERE = "account paused from this address"
PAUSED_BROWSER = "account paused in this browser"
PAUSED_UNKNOWN = "account paused for browsers it has not signed in with"
SLOWED = "address slowed"
KNOWN_BROWSER = "browser"
"""``object_type`` of a failure from a known browser (its id in ``object_id``)."""


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a sign-in: the user, or why not.

    ``locked_until`` is when this kind of attempt may be made again and ``reason`` which rule
    holds it back (:data:`PAUSED_HERE`, :data:`PAUSED_BROWSER`, :data:`PAUSED_UNKNOWN`,
    :data:`SLOWED`); both None for a plain failure.
    """

    user: User | None
    locked_until: datetime | None = None
    reason: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the user is signed in."""
        return self.user is not None


def normalise_email(email: str) -> str:
    """An email as accounts store it: stripped and lowercased (at most 320 characters)."""
    return email.strip().lower()[:320]


def _ip_condition(ip: str | None) -> Any:
    return AuditEvent.ip.is_(None) if ip is None else AuditEvent.ip == ip


def _unlock_time(
    session: Session, conditions: list[Any], *, limit: int, now: datetime, window: timedelta
) -> datetime | None:
    """When fewer than ``limit`` failures matching ``conditions`` remain in the window; None if
    that is so already (i.e. until the ``limit``-th most recent one is ``window`` old)."""
    failures = list(
        session.scalars(
            select(AuditEvent.at)
            .where(
                AuditEvent.action == LOGIN_FAILURE,
                AuditEvent.at > now - window,
                AuditEvent.at <= now,
                *conditions,
            )
            .order_by(AuditEvent.at.desc())
            .limit(limit)
        )
    )
    return None if len(failures) < limit else failures[-1] + window


def _since_last_success(session: Session, email: str, ip: str | None, now: datetime) -> Any:
    last = session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == LOGIN_SUCCESS,
            AuditEvent.actor == email,
            _ip_condition(ip),
            AuditEvent.at <= now,
        )
    )
    return AuditEvent.at > last if last is not None else AuditEvent.id.is_not(None)


def _address_slowed(
    session: Session, ip: str | None, policy: LoginPolicy, now: datetime
) -> datetime | None:
    """When this address may try again, if it is being slowed; else None.

    Past ``max_failures_per_ip`` failures in the window, each further attempt must come at
    least one second per failure over the limit (at most ``max_delay``) after the address's
    last failure: a busy address (a trust's network behind one NAT address) is slowed to a few
    attempts a minute at worst, never shut out.
    """
    rows = session.execute(
        select(func.count(), func.max(AuditEvent.at)).where(
            AuditEvent.action == LOGIN_FAILURE,
            AuditEvent.object_type.is_(None),
            _ip_condition(ip),
            AuditEvent.at > now - policy.window,
            AuditEvent.at <= now,
        )
    ).one()
    failures, last = int(rows[0] or 0), rows[1]
    if failures < policy.max_failures_per_ip or last is None:
        return None
    delay = min(policy.max_delay, timedelta(seconds=failures - policy.max_failures_per_ip + 1))
    return last + delay if now < last + delay else None


def throttled(
    session: Session,
    email: str,
    ip: str | None,
    policy: LoginPolicy,
    *,
    browser: str | None = None,
    now: datetime | None = None,
) -> tuple[datetime, str] | None:
    """Whether an attempt for ``email`` from ``ip`` must wait: (until when, which rule), or None.

    ``browser`` is the id of a known browser of this account (its sign-in cookie, checked by
    the caller): such a browser is held back only by its own failures, never by what happens
    at other addresses or in other browsers.
    """
    now = utcnow() if now is None else now
    email = normalise_email(email)
    if browser is not None:
        until = _unlock_time(
            session,
            [
                AuditEvent.actor == email,
                AuditEvent.object_type == KNOWN_BROWSER,
                AuditEvent.object_id == browser,
            ],
            limit=policy.max_failures,
            now=now,
            window=policy.window,
        )
        return None if until is None else (until, PAUSED_BROWSER)
    unknown = [AuditEvent.actor == email, AuditEvent.object_type.is_(None)]
    checks = (
        (
            [*unknown, _ip_condition(ip), _since_last_success(session, email, ip, now)],
            policy.max_failures,
            PAUSED_HERE,
        ),
        (unknown, policy.max_failures_per_account, PAUSED_UNKNOWN),
    )
    for conditions, limit, reason in checks:
        until = _unlock_time(session, conditions, limit=limit, now=now, window=policy.window)
        if until is not None:
            return until, reason
    slowed = _address_slowed(session, ip, policy, now)
    return None if slowed is None else (slowed, SLOWED)


def locked_until(
    session: Session, email: str, ip: str | None, policy: LoginPolicy, now: datetime | None = None
) -> datetime | None:
    """When an attempt for ``email`` from ``ip`` (a browser it never signed in with) may be
    made again, or None if now (see :func:`throttled`)."""
    held = throttled(session, email, ip, policy, now=now)
    return None if held is None else held[0]


def attempt_login(
    session: Session,
    email: str,
    password: str,
    ip: str | None,
    policy: LoginPolicy,
    *,
    browser: KnownBrowser | None = None,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a sign-in and record it in the audit trail (the caller commits).

    A held-back attempt is refused before its password is checked, so a right password does
    not get through a pause. Unknown emails, wrong passwords and deactivated accounts fail
    alike. ``browser`` is the sign-in cookie a browser carries from an earlier successful
    sign-in; it counts only for the account it was issued to, with its current password.

    Returns
    -------
    LoginOutcome
        The user on success; else ``locked_until`` and ``reason`` when this attempt is (or
        now becomes) held back, or neither for a plain failure.
    """
    now = utcnow() if now is None else now
    email = normalise_email(email)
    user = accounts.find_user_by_email(session, email) if email else None
    browser_id = browser.id_for(user) if browser is not None and user is not None else None
    held = throttled(session, email, ip, policy, browser=browser_id, now=now)
    if held is not None:
        audit.record(
            session,
            LOGIN_LOCKED,
            actor=email or "(empty)",
            detail={"reason": held[1]},
            ip=ip,
            at=now,
        )
        return LoginOutcome(user=None, locked_until=held[0], reason=held[1])
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is not None and password_ok and user.is_active:
        audit.record(
            session,
            LOGIN_SUCCESS,
            user=user,
            actor=user.email,
            study_id=user.sole_study_id,
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
        study_id=None if user is None else user.sole_study_id,
        object_type=None if browser_id is None else KNOWN_BROWSER,
        object_id=browser_id,
        detail={"reason": reason},
        ip=ip,
        at=now,
    )
    session.flush()
    held = throttled(session, email, ip, policy, browser=browser_id, now=now)
    if held is None:
        return LoginOutcome(user=None)
    return LoginOutcome(user=None, locked_until=held[0], reason=held[1])


@dataclass(frozen=True)
class KnownBrowser:
    """What a browser's sign-in cookie says (verified by its signature): the account it signed
    in to, that account's password fingerprint then, and the browser's own random id.

    OWASP's "device cookie" against online guessing: a browser that signed in to an account
    before keeps signing in to it however many guesses are made elsewhere.
    """

    user_id: int
    fingerprint: str
    browser_id: str

    def id_for(self, user: User) -> str | None:
        """The browser's id if the cookie is this account's, with its current password."""
        if user.id == self.user_id and password_fingerprint(user) == self.fingerprint:
            return self.browser_id
        return None


@transactional
def sign_in(
    session: Session,
    email: str,
    password: str,
    ip: str | None,
    policy: LoginPolicy,
    lifetimes: staff_sessions.SessionLifetimes,
    *,
    browser: KnownBrowser | None = None,
) -> tuple[LoginOutcome, str | None]:
    """:func:`attempt_login`, and a staff session when it lets the account in (one transaction).

    Returns
    -------
    tuple
        The outcome, and the new session's token for the cookie (``None`` when refused).
    """
    outcome = attempt_login(session, email, password, ip, policy, browser=browser)
    if outcome.user is None:
        return outcome, None
    return outcome, staff_sessions.start_session(session, outcome.user, ip, lifetimes)


@transactional
def sign_out(session: Session, token: str | None, actor: Actor) -> None:
    """End the staff session of ``token`` and record the sign-out (one transaction)."""
    staff_sessions.end_session(session, token)
    record_logout(session, actor)


def record_logout(session: Session, actor: Actor) -> None:
    """Record a sign-out (the caller commits)."""
    user = actor.user
    audit.record_action(
        session,
        actor,
        LOGOUT,
        study_id=None if user is None else user.sole_study_id,
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


@transactional
def change_password(
    session: Session,
    actor: Actor,
    current: str,
    new: str,
    confirmation: str,
    *,
    keep_session: str | None = None,
) -> None:
    """Change the signed-in user's password.

    Every other session of the account ends (the one whose token is ``keep_session`` stays):
    whoever else was signed in must sign in again with the new password.

    Raises
    ------
    ServiceError
        Listing every problem: the current password is wrong, the new one is too short, differs
        from its confirmation, or equals the current one. Nothing is changed.
    """
    user = actor.user
    if user is None:
        raise ValueError("a password change needs a signed-in user")
    problems: list[Problem] = []
    if not check_password_hash(user.password_hash, current):
        problems.append(Problem("current", "the current password is not right"))
    weak = accounts.password_problem(new, user.email, noun="the new password")
    if weak:
        problems.append(Problem("new", weak))
    if new != confirmation:
        problems.append(Problem("confirmation", "the new password and its confirmation differ"))
    if new and new == current:
        problems.append(Problem("new", "the new password must differ from the current one"))
    raise_problems(problems)
    user.password_hash = generate_password_hash(new)
    staff_sessions.end_sessions_of(session, user, keep=keep_session)
    accounts.void_reset_links(session, user)
    audit.record_action(
        session,
        actor,
        PASSWORD_CHANGE,
        study_id=user.sole_study_id,
        object_type="user",
        object_id=user.id,
    )
