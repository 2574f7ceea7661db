"""Invitations and reminders: create one per current membership, mail each link exactly once.

A sending run (``copkit send-invitations``, ``send-reminders`` or a button) works in short
transactions so that the database is never locked while the mail server is talked to:

1. create the missing invitations for every current membership of the study's teams;
2. *claim* the invitations to mail (``send_claim`` = this run), so a second run at the same
   moment skips them (a claim left by a crashed run expires after :data:`CLAIM_TIMEOUT`);
3. mail them one by one over one SMTP connection, recording after each message either that it
   was sent or why it failed (``send_error``; it is retried on the next run);
4. release the claims and record the run in the audit trail.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey_app.config import DEFAULTS, setting
from survey_app.localtime import format_moment, zone_from_config
from survey_app.models import (
    Invitation,
    Member,
    Membership,
    Study,
    Team,
    Theme,
    Wave,
    WaveStatus,
    utcnow,
)
from survey_app.services import audit, mail_templates, participant_information
from survey_app.services.audit import Actor
from survey_app.services.mailer import MailError, SmtpSettings, build_message
from survey_app.services.participant_information import ParticipantInformation
from survey_app.services.questionnaire import estimated_minutes, pages_for
from survey_app.services.transactions import write_transaction
from survey_app.tokens import hash_token, invitation_token, invitation_url

CLAIM_TIMEOUT = timedelta(minutes=15)
"""How long a sending run's claim holds; a run that crashed frees its invitations after this."""

ERROR_MAX = 1000

Kind = Literal["invitation", "reminder"]


class Mailer(Protocol):
    """What sending needs from a mailer (:class:`~survey_app.services.mailer.SmtpMailer`)."""

    settings: SmtpSettings

    def send(self, message: Any) -> None:
        """Send one message or raise :class:`~survey_app.services.mailer.MailError`."""


@dataclass(frozen=True)
class MailingSettings:
    """The settings a sending run needs, read from the app's configuration."""

    base_url: str
    secret_key: str
    reminder_limit: int = DEFAULTS["REMINDER_LIMIT"]
    reminder_interval: timedelta = timedelta(hours=DEFAULTS["REMINDER_INTERVAL_HOURS"])
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULTS["TIMEZONE"]))
    help_email: str | None = None
    """The installation's address for respondents' questions, for studies without their own."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailingSettings:
        """From ``BASE_URL``, ``SECRET_KEY``, ``REMINDER_LIMIT``, ``REMINDER_INTERVAL_HOURS`` and
        ``TIMEZONE``; ValueError naming the setting for a bad value."""
        base_url = str(config.get("BASE_URL") or "")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"setting BASE_URL must start with http:// or https://, not {base_url!r}"
            )
        secret_key = config.get("SECRET_KEY")
        if not secret_key:
            raise ValueError("setting SECRET_KEY is empty; invitation links cannot be made")
        numbers: dict[str, int] = {}
        for key in ("REMINDER_LIMIT", "REMINDER_INTERVAL_HOURS"):
            value = setting(config, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"setting {key} must be a whole number >= 0, not {value!r}")
            numbers[key] = value
        return cls(
            base_url=base_url,
            secret_key=str(secret_key),
            reminder_limit=numbers["REMINDER_LIMIT"],
            reminder_interval=timedelta(hours=numbers["REMINDER_INTERVAL_HOURS"]),
            timezone=zone_from_config(config),
            help_email=participant_information.installation_contact(config),
        )


@dataclass(frozen=True)
class SendFailure:
    """A message that was not sent, and why (kept on the invitation and retried next run)."""

    invitation_id: int
    email: str
    error: str


@dataclass
class SendReport:
    """What a sending run did."""

    kind: Kind
    study: str
    wave_number: int
    created: int = 0
    sent: int = 0
    failures: list[SendFailure] = field(default_factory=list)
    skipped_reason: str | None = None
    remaining: int = 0

    def describe(self) -> str:
        """One plain paragraph for the terminal or a flash message."""
        noun = "invitations" if self.kind == "invitation" else "reminders"
        head = f"Wave {self.wave_number} of {self.study}"
        if self.skipped_reason:
            return f"{head}: no {noun} sent: {self.skipped_reason}."
        text = f"{head}: {self.sent} {noun} sent"
        if self.kind == "invitation" and self.created:
            text += f" ({self.created} new invitations created)"
        if self.failures:
            text += (
                f", {len(self.failures)} failed (they will be retried on the next run): "
                + failure_reasons(self.failures)
            )
        if self.remaining:
            text += f"; {self.remaining} more are due: send again to continue"
        elif self.sent == 0 and not self.failures:
            text += (
                f" (nobody is due {'an invitation' if self.kind == 'invitation' else 'a reminder'})"
            )
        return text + "."


def failure_reasons(failures: list[SendFailure]) -> str:
    """The distinct reasons of failed messages, most frequent first, each with its count.

    Examples
    --------
    >>> failure_reasons([SendFailure(1, "a@x.org", "refused"), SendFailure(2, "b@x.org",
    ...     "refused"), SendFailure(3, "c@x.org", "timed out")])
    'refused (2); timed out (1)'
    """
    counts = Counter(failure.error for failure in failures)
    return "; ".join(f"{reason} ({count})" for reason, count in counts.most_common())


@dataclass(frozen=True)
class _Outgoing:
    """Everything needed to write one message, read while the claim is held."""

    invitation_id: int
    name: str
    email: str
    team: str
    token: str
    reminder_number: int


def current_membership(today: date) -> ColumnElement[bool]:
    """SQL condition: the membership holds on ``today``."""
    return and_(
        Membership.joined_on <= today,
        or_(Membership.left_on.is_(None), Membership.left_on >= today),
    )


def _wave_status(session: Session, wave_id: int, now: datetime) -> WaveStatus:
    wave = session.get(Wave, wave_id, populate_existing=True)
    if wave is None:
        return "closed"
    return wave.status(now)


def _uninvited(wave: Wave, today: date) -> Select[Any]:
    """The current memberships of the wave's study that have no invitation to it yet."""
    return (
        select(Membership.id)
        .join(Team)
        .join(Theme)
        .where(
            Theme.study_id == wave.study_id,
            current_membership(today),
            ~select(Invitation.id)
            .where(Invitation.membership_id == Membership.id, Invitation.wave_id == wave.id)
            .exists(),
        )
    )


def _create_missing(session: Session, wave_id: int, secret_key: str, today: date) -> int:
    """Add an invitation for every current membership in the wave's study that has none."""
    wave = session.get(Wave, wave_id)
    if wave is None:
        return 0
    missing = session.execute(
        _uninvited(wave, today)
        .add_columns(Member.profession, Member.organisation)
        .join(Member, Membership.member_id == Member.id)
        .order_by(Membership.id)
    ).all()
    created = [
        # A random placeholder until the id (part of the token) is known, a moment later; the
        # member's profession and organisation as recorded for this wave (services/recorded.py).
        Invitation(
            membership_id=membership_id,
            wave_id=wave_id,
            token_hash=secrets.token_hex(32),
            profession=profession,
            organisation=organisation,
        )
        for membership_id, profession, organisation in missing
    ]
    session.add_all(created)
    session.flush()
    for invitation in created:
        invitation.token_hash = hash_token(invitation_token(invitation, secret_key))
    return len(created)


def ensure_invitations(
    session: Session, wave: Wave, secret_key: str, *, today: date | None = None
) -> int:
    """Create the invitations a wave is missing, in its own write transaction (committed).

    One invitation per current membership of the study's teams (a member of two teams gets two,
    each naming its team). Running it again creates nothing new.

    Returns
    -------
    int
        How many invitations were created.
    """
    today = utcnow().date() if today is None else today
    wave_id = wave.id
    for attempt in range(2):
        try:
            with write_transaction(session):
                return _create_missing(session, wave_id, secret_key, today)
        except IntegrityError:  # another run created some at the same moment: look again
            if attempt == 1:
                raise
    return 0


def _eligible(kind: Kind, settings: MailingSettings, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions for an invitation due a message of ``kind`` at ``now``."""
    if kind == "invitation":
        return [Invitation.sent_at.is_(None)]
    last_contact = func.coalesce(Invitation.last_reminded_at, Invitation.sent_at)
    return [
        Invitation.sent_at.is_not(None),
        Invitation.submitted_at.is_(None),
        Invitation.reminded_count < settings.reminder_limit,
        last_contact <= now - settings.reminder_interval,
    ]


def _due(
    wave_id: int, kind: Kind, settings: MailingSettings, now: datetime
) -> list[ColumnElement[bool]]:
    """SQL conditions: the wave's invitations due a message of ``kind`` and free to claim."""
    current = select(Membership.id).where(current_membership(now.date()))
    return [
        Invitation.wave_id == wave_id,
        Invitation.membership_id.in_(current.scalar_subquery()),
        or_(Invitation.send_claim.is_(None), Invitation.send_claimed_at < now - CLAIM_TIMEOUT),
        *_eligible(kind, settings, now),
    ]


def count_due(
    session: Session, wave: Wave, kind: Kind, settings: MailingSettings, now: datetime | None = None
) -> int:
    """How many messages of ``kind`` the wave is due now (invitations: including those of
    current memberships not yet invited)."""
    now = utcnow() if now is None else now
    if wave.status(now) != "open":
        return 0
    conditions = _due(wave.id, kind, settings, now)
    due = int(session.scalar(select(func.count(Invitation.id)).where(*conditions)) or 0)
    if kind == "invitation":  # those still to be created are due too
        uninvited = _uninvited(wave, now.date()).subquery()
        due += int(session.scalar(select(func.count()).select_from(uninvited)) or 0)
    return due


def _claim(
    session: Session,
    wave_id: int,
    kind: Kind,
    run: str,
    settings: MailingSettings,
    now: datetime,
    limit: int | None,
) -> list[_Outgoing]:
    """Claim the wave's invitations due a message (at most ``limit``), and read what the
    messages need."""
    with write_transaction(session):
        conditions = _due(wave_id, kind, settings, now)
        if limit is not None:
            chosen = select(Invitation.id).where(*conditions).order_by(Invitation.id).limit(limit)
            conditions.append(Invitation.id.in_(list(session.scalars(chosen))))
        session.execute(
            update(Invitation)
            .where(*conditions)
            .values(send_claim=run, send_claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(Invitation, Member.name, Member.email, Team.name)
            .join(Membership, Invitation.membership_id == Membership.id)
            .join(Member, Membership.member_id == Member.id)
            .join(Team, Membership.team_id == Team.id)
            .where(Invitation.wave_id == wave_id, Invitation.send_claim == run)
            .order_by(Invitation.id)
        ).all()
        return [
            _Outgoing(
                invitation_id=invitation.id,
                name=name,
                email=email,
                team=team,
                token=invitation_token(invitation, settings.secret_key),
                reminder_number=invitation.reminded_count + 1,
            )
            for invitation, name, email, team in rows
        ]


def _release(session: Session, run: str) -> None:
    with write_transaction(session):
        session.execute(
            update(Invitation)
            .where(Invitation.send_claim == run)
            .values(send_claim=None, send_claimed_at=None)
            .execution_options(synchronize_session=False)
        )


def _still_due(
    session: Session, kind: Kind, outgoing: _Outgoing, wave_id: int, now: datetime
) -> bool:
    """Whether the wave is still open and (for a reminder) the person has still not submitted."""
    if _wave_status(session, wave_id, now) != "open":
        return False
    if kind == "reminder":
        submitted = session.scalar(
            select(Invitation.submitted_at).where(Invitation.id == outgoing.invitation_id)
        )
        return submitted is None
    return True


@dataclass(frozen=True)
class Letter:
    """What every message of a study says besides the person's details: its template, who is
    asking (participant information) and whom to write to."""

    template: mail_templates.Template
    information: ParticipantInformation
    contact: str | None

    @classmethod
    def of(cls, session: Session, study: Study, kind: Kind, settings: MailingSettings) -> Letter:
        """The study's letter of ``kind``."""
        information = participant_information.of_study(study)
        return cls(
            mail_templates.study_template(session, study, kind),
            information,
            information.contact(settings.help_email),
        )


def _compose(
    outgoing: _Outgoing,
    wave: Wave,
    settings: MailingSettings,
    mail: SmtpSettings,
    letter: Letter,
) -> Any:
    """The message for one invitation or reminder, from the study's template.

    Every message's fixed footer carries the link to withdraw from the study and, when the study
    shares results with team members and an earlier wave has closed, the link to the team's
    results (issue 15 and 16: evaluators cannot remove them).
    """
    _, pages = pages_for(wave.instrument_id, wave.instrument_version)
    link = invitation_url(settings.base_url, outgoing.token)
    values = {
        "name": outgoing.name,
        "team": outgoing.team,
        "closes": format_moment(wave.closes, settings.timezone),
        "minutes": str(estimated_minutes(pages)),
        "link": link,
    }
    message = mail_templates.compose(
        letter.template,
        values,
        letter.information,
        letter.contact,
        withdraw_link=f"{link}/withdraw",
        results_link=f"{link}/results" if _results_to_show(wave) else None,
    )
    return build_message(
        mail,
        to_name=outgoing.name,
        to_email=outgoing.email,
        subject=message.subject,
        text=message.text,
        html=message.html,
    )


def _results_to_show(wave: Wave) -> bool:
    """Whether the wave's study shares results with team members and has an earlier wave closed."""
    study = wave.study
    now = utcnow()
    return study.share_results and any(
        earlier.number < wave.number and earlier.status(now) == "closed" for earlier in study.waves
    )


def _record_result(
    session: Session, kind: Kind, outgoing: _Outgoing, run: str, now: datetime, error: str | None
) -> None:
    values: dict[str, Any] = {"send_claim": None, "send_claimed_at": None, "send_error": error}
    if error is None and kind == "invitation":
        values["sent_at"] = now
        values["sent_via"] = "email"
    elif error is None:
        values["reminded_count"] = Invitation.reminded_count + 1
        values["last_reminded_at"] = now
    with write_transaction(session):
        session.execute(
            update(Invitation)
            .where(Invitation.id == outgoing.invitation_id, Invitation.send_claim == run)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _send(
    session: Session,
    kind: Kind,
    wave: Wave,
    mailer: Mailer,
    settings: MailingSettings,
    actor: Actor,
    clock: Callable[[], datetime],
    limit: int | None,
) -> SendReport:
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    wave_id, study_id, number = wave.id, wave.study_id, wave.number
    study = session.get(Study, study_id)
    study_name = "" if study is None else study.name
    report = SendReport(kind=kind, study=study_name, wave_number=number)
    if study is None:
        report.skipped_reason = "the study no longer exists"
        return report
    letter = Letter.of(session, study, kind, settings)
    now = clock()
    status = wave.status(now)
    if status != "open":
        report.skipped_reason = closed_reason(wave, status, settings.timezone)
        return report
    if kind == "reminder" and settings.reminder_limit == 0:
        report.skipped_reason = "reminders are switched off (REMINDER_LIMIT is 0)"
        return report
    if kind == "invitation":
        report.created = ensure_invitations(session, wave, settings.secret_key, today=now.date())
    run = secrets.token_hex(16)
    try:
        for outgoing in _claim(session, wave_id, kind, run, settings, now, limit):
            if not _deliver(
                session, kind, outgoing, wave_id, run, mailer, settings, letter, clock, report
            ):
                break
    finally:
        _release(session, run)
    if limit is not None:
        current_wave = session.get(Wave, wave_id)
        if current_wave is not None:
            due = count_due(session, current_wave, kind, settings, clock())
            report.remaining = max(0, due - len(report.failures))  # failures are due again
    if report.created or report.sent or report.failures:
        _audit_run(session, actor, report, study_id, wave_id)
    return report


def _deliver(
    session: Session,
    kind: Kind,
    outgoing: _Outgoing,
    wave_id: int,
    run: str,
    mailer: Mailer,
    settings: MailingSettings,
    letter: Letter,
    clock: Callable[[], datetime],
    report: SendReport,
) -> bool:
    """Mail one claimed message if it is still due, recording the outcome on its invitation
    and in ``report``; False when the wave is gone and the run should stop."""
    moment = clock()
    if not _still_due(session, kind, outgoing, wave_id, moment):
        return True  # released at the end; the wave closed or the person submitted meanwhile
    message_wave = session.get(Wave, wave_id)
    if message_wave is None:
        return False
    try:
        mailer.send(_compose(outgoing, message_wave, settings, mailer.settings, letter))
    except (MailError, ValueError) as error:
        reason = str(error)[:ERROR_MAX] or type(error).__name__
        _record_result(session, kind, outgoing, run, moment, reason)
        report.failures.append(SendFailure(outgoing.invitation_id, outgoing.email, reason))
    else:
        _record_result(session, kind, outgoing, run, moment, None)
        report.sent += 1
    return True


def _audit_run(
    session: Session, actor: Actor, report: SendReport, study_id: int, wave_id: int
) -> None:
    with write_transaction(session):
        audit.record_action(
            session,
            actor,
            "invitations.send" if report.kind == "invitation" else "reminders.send",
            study_id=study_id,
            object_type="wave",
            object_id=wave_id,
            detail={
                "wave": report.wave_number,
                "created": report.created,
                "sent": report.sent,
                "failed": [
                    {"invitation": failure.invitation_id, "error": failure.error}
                    for failure in report.failures
                ],
            },
        )


def closed_reason(wave: Wave, status: WaveStatus, zone: ZoneInfo) -> str:
    """Why a wave that is not open takes no answers: when it opens, or when it closed."""
    if status == "scheduled":
        return f"the wave opens on {format_moment(wave.opens, zone)}"
    closed_at = wave.closed_early_at if wave.closed_early_at is not None else wave.closes
    return f"the wave closed on {format_moment(min(closed_at, wave.closes), zone)}"


def send_invitations(
    session: Session,
    wave: Wave,
    mailer: Mailer,
    settings: MailingSettings,
    actor: Actor,
    *,
    clock: Callable[[], datetime] = utcnow,
    limit: int | None = None,
) -> SendReport:
    """Create the wave's missing invitations and mail every one not yet sent.

    Only while the wave is open. Each invitation is mailed once; a failed message is recorded
    on the invitation (``send_error``) and retried on the next run, and never stops the others.
    The session must have no uncommitted changes; this commits as it goes. With ``limit``, at
    most that many are mailed (a web request stays short) and ``remaining`` says how many wait.
    """
    return _send(session, "invitation", wave, mailer, settings, actor, clock, limit)


def send_reminders(
    session: Session,
    wave: Wave,
    mailer: Mailer,
    settings: MailingSettings,
    actor: Actor,
    *,
    clock: Callable[[], datetime] = utcnow,
    limit: int | None = None,
) -> SendReport:
    """Remind everyone invited who has not submitted, while the wave is open.

    At most ``reminder_limit`` reminders per invitation, at least ``reminder_interval`` after
    the invitation or the previous reminder; none before the wave opens or after it closes.
    A failed reminder is recorded and retried on the next run.
    """
    return _send(session, "reminder", wave, mailer, settings, actor, clock, limit)


def resend(
    session: Session,
    wave: Wave,
    invitation_id: int,
    mailer: Mailer,
    settings: MailingSettings,
    actor: Actor,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> SendReport:
    """Mail one person's invitation again now (a lost or deleted e-mail), with the same link.

    Only while the wave is open and the person is still a member of the team; the message is
    the invitation, not a reminder, and does not count against the reminder limit. Audited as
    ``invitation.resend``; a failure is kept on the invitation (``send_error``) and reported.
    """
    report = SendReport(kind="invitation", study="", wave_number=wave.number)
    now = clock()
    status = wave.status(now)
    study = session.get(Study, wave.study_id)
    if study is None:
        report.skipped_reason = "the study no longer exists"
        return report
    report.study = study.name
    letter = Letter.of(session, study, "invitation", settings)
    if status != "open":
        report.skipped_reason = closed_reason(wave, status, settings.timezone)
        return report
    wave_id, study_id, number = wave.id, wave.study_id, wave.number
    with write_transaction(session):
        row = session.execute(
            select(Invitation, Member.name, Member.email, Team.name)
            .join(Membership, Invitation.membership_id == Membership.id)
            .join(Member, Membership.member_id == Member.id)
            .join(Team, Membership.team_id == Team.id)
            .where(
                Invitation.id == invitation_id,
                Invitation.wave_id == wave_id,
                current_membership(now.date()),
            )
        ).one_or_none()
        if row is None:
            report.skipped_reason = "this person is no longer a member of the team"
            return report
        invitation, name, email, team = row
        outgoing = _Outgoing(
            invitation_id, name, email, team, invitation_token(invitation, settings.secret_key), 1
        )
    current = session.get(Wave, wave_id)
    if current is None:
        report.skipped_reason = "the wave no longer exists"
        return report
    error: str | None = None
    try:
        mailer.send(_compose(outgoing, current, settings, mailer.settings, letter))
    except (MailError, ValueError) as failure:
        error = str(failure)[:ERROR_MAX] or type(failure).__name__
        report.failures.append(SendFailure(invitation_id, email, error))
    else:
        report.sent = 1
    values: dict[str, Any] = {"send_error": error}
    with write_transaction(session):
        if error is None:
            session.execute(
                update(Invitation)
                .where(Invitation.id == invitation_id, Invitation.sent_at.is_(None))
                .values(sent_at=now, sent_via="email")
                .execution_options(synchronize_session=False)
            )
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        audit.record_action(
            session,
            actor,
            "invitation.resend",
            study_id=study_id,
            object_type="invitation",
            object_id=invitation_id,
            detail={"wave": number, "sent": error is None, "error": error},
        )
    return report
