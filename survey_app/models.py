"""The copkit data model (docs/architecture.md#domain-model) as typed SQLAlchemy 2 mappings."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.sql.expression import true
from sqlalchemy.types import TypeDecorator

ROLES: tuple[str, ...] = ("admin", "evaluator", "manager")
"""Staff roles: admins run the installation, evaluators a study, managers see their teams."""

WaveStatus = Literal["scheduled", "open", "closed"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (UTC), on every database.

    Naive datetimes are refused: a time without a zone is a bug waiting for the clocks to change.
    SQLite has no time-zone type, so the UTC wall time is stored there.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on SQLite); refuse naive ones."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: copkit stores timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base: named constraints (so migrations can drop them) and UTC timestamps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Study(Base):
    """One collaboration (e.g. a CLAHRC programme); its secret keys the respondent pseudonyms.

    The respondent-facing details (title, sponsor, chief investigator, ethics or R&D
    reference, privacy notice, contact) are what people answering see in the survey's header,
    on its consent page and in its e-mails, so that they can tell who is asking.

    ``retention_days``: how long personal data are kept after the study's last wave closed
    (None: the configured ``RETENTION_DAYS``); ``share_results``: whether team members may open
    their team's released results from their survey link.
    """

    __tablename__ = "studies"
    __table_args__ = (
        CheckConstraint(
            "retention_days IS NULL OR retention_days >= 1", name="retention_days_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    secret: Mapped[str] = mapped_column(String(128), default=lambda: secrets.token_hex(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    respondent_title: Mapped[str | None] = mapped_column(String(200))
    sponsor: Mapped[str | None] = mapped_column(String(300))
    chief_investigator: Mapped[str | None] = mapped_column(String(200))
    ethics_reference: Mapped[str | None] = mapped_column(String(200))
    privacy_notice_url: Mapped[str | None] = mapped_column(String(500))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    share_results: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    themes: Mapped[list[Theme]] = relationship(
        back_populates="study", cascade="all, delete-orphan", passive_deletes=True
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="study", cascade="all, delete-orphan", passive_deletes=True
    )
    waves: Mapped[list[Wave]] = relationship(
        back_populates="study",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Wave.number",
    )

    def __repr__(self) -> str:
        return f"Study(id={self.id!r}, name={self.name!r})"


class Theme(Base):
    """A clinical theme of a study (e.g. Heart Failure); teams belong to a theme."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("study_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    study: Mapped[Study] = relationship(back_populates="themes")
    teams: Mapped[list[Team]] = relationship(
        back_populates="theme", cascade="all, delete-orphan", passive_deletes=True
    )


class Team(Base):
    """An engineered community of practice; its study is its theme's study."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("theme_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    theme: Mapped[Theme] = relationship(back_populates="teams")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def study_id(self) -> int:
        """The study the team belongs to (through its theme)."""
        return self.theme.study_id


class Member(Base):
    """A person on a study's roster; the email (stored lowercased) is unique within the study."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("study_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    profession: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200))
    organisation_type: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100), default="", server_default="")
    """The member's role in the study (KTA, facilitator, clinical lead ...); empty when none."""

    study: Mapped[Study] = relationship(back_populates="members")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _lowercase_email(self, key: str, value: str) -> str:
        return value.strip().lower()


class Membership(Base):
    """A member's place in a team (members may belong to several teams)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("member_id", "team_id"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    joined_on: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date())
    left_on: Mapped[date | None] = mapped_column(Date)

    member: Mapped[Member] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", passive_deletes=True
    )

    def is_current(self, on: date) -> bool:
        """Whether the member belonged to the team on the given day."""
        return self.joined_on <= on and (self.left_on is None or on <= self.left_on)


class Wave(Base):
    """One round of the survey in a study; its status follows from its dates (no scheduler)."""

    __tablename__ = "waves"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("closes > opens", name="closes_after_opens"),
        CheckConstraint("instrument_version >= 1", name="instrument_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    opens: Mapped[datetime]
    closes: Mapped[datetime]
    closed_early_at: Mapped[datetime | None]
    instrument_id: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[int] = mapped_column(Integer)

    study: Mapped[Study] = relationship(back_populates="waves")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="wave", cascade="all, delete-orphan", passive_deletes=True
    )

    def status(self, now: datetime | None = None) -> WaveStatus:
        """``"scheduled"`` before it opens, ``"open"``, or ``"closed"`` (at closing or early close).

        Parameters
        ----------
        now
            A timezone-aware time; the current time when omitted.

        Examples
        --------
        >>> from datetime import datetime, UTC
        >>> wave = Wave(opens=datetime(2024, 3, 1, tzinfo=UTC), closes=datetime(2024, 3, 15, tzinfo=UTC))
        >>> [wave.status(datetime(2024, 3, d, tzinfo=UTC)) for d in (1, 14, 15)]
        ['open', 'open', 'closed']
        >>> wave.status(datetime(2024, 2, 29, tzinfo=UTC))
        'scheduled'
        """
        return wave_status(self.opens, self.closes, self.closed_early_at, now)


def wave_status(
    opens: datetime, closes: datetime, closed_early_at: datetime | None, now: datetime | None = None
) -> WaveStatus:
    """A wave's status from its dates (see :meth:`Wave.status`), for callers holding only them.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> wave_status(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 15, tzinfo=UTC),
    ...             datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC))
    'closed'
    """
    now = utcnow() if now is None else now
    if now.tzinfo is None:
        raise ValueError("status() needs a timezone-aware time")
    if closed_early_at is not None and now >= closed_early_at:
        return "closed"
    if now < opens:
        return "scheduled"
    if now >= closes:
        return "closed"
    return "open"


class Invitation(Base):
    """One per (membership, wave); the link token is stored only as its SHA-256 hex digest.

    The token is derived from the app's secret key, the id and ``token_salt`` (see
    :func:`survey_app.tokens.invitation_token`), so reminders can resend the same link.
    ``send_claim`` marks the invitations a sending run has taken, so that two runs at once never
    mail the same person twice. ``profession`` and ``organisation`` are the member's as recorded
    for this wave: copied when the invitation is made, kept up to date while the wave is open
    (a correction, a submission), frozen once it closes, so a later correction never rewrites a
    past wave (None: not recorded, the member's current value is used).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("membership_id", "wave_id"),
        CheckConstraint("reminded_count >= 0", name="reminded_count_nonnegative"),
        CheckConstraint("current_page >= 0", name="current_page_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    send_claim: Mapped[str | None] = mapped_column(String(32))
    send_claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_via: Mapped[str | None] = mapped_column(String(10))
    """How the link was first handed out: ``email``, or ``links`` (a links download or one
    link shown to staff, for a mail merge or a message); None before it was."""
    reminded_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime | None]
    send_error: Mapped[str | None] = mapped_column(Text)
    consented_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    profession: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))

    membership: Mapped[Membership] = relationship(back_populates="invitations")
    wave: Mapped[Wave] = relationship(back_populates="invitations")
    response: Mapped[Response | None] = relationship(
        back_populates="invitation", cascade="all, delete-orphan", passive_deletes=True
    )


class Response(Base):
    """A respondent's answers to one invitation: a draft until ``submitted_at`` is set.

    ``invitation_id`` is unique, so however many tabs submit, one row exists per invitation.
    """

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    is_complete: Mapped[bool] = mapped_column(Boolean, default=False)

    invitation: Mapped[Invitation] = relationship(back_populates="response")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )
    ties: Mapped[list[Tie]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """A scored answer: the item id from the instrument and a numeric value (null = skipped)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float)

    response: Mapped[Response] = relationship(back_populates="answers")


class Tie(Base):
    """A knowledge tie named in the roster question: the respondent exchanged work knowledge with
    ``alter_member``."""

    __tablename__ = "ties"
    __table_args__ = (UniqueConstraint("response_id", "alter_member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    alter_member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )

    response: Mapped[Response] = relationship(back_populates="ties")
    alter_member: Mapped[Member] = relationship()


class Comment(Base):
    """Free text, kept apart from scored answers and shown to evaluators only."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("response_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="comments")


class Intervention(Base):
    """Something done to help a team form (workshop, knowledge transfer associate, ...)."""

    __tablename__ = "interventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")

    team: Mapped[Team] = relationship(back_populates="interventions")


class StaffStudy(Base):
    """A study a staff account works on: evaluators and managers may work on several studies,
    and are scoped to each exactly as to one (admins see every study without a row here)."""

    __tablename__ = "staff_studies"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    study_id: Mapped[int] = mapped_column(
        ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class User(Base):
    """A staff account. Evaluators and managers work on the studies in ``studies``.

    Provides the attributes Flask-Login needs (``get_id``, ``is_authenticated``, ...).
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'evaluator', 'manager')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    studies: Mapped[list[Study]] = relationship(
        secondary="staff_studies", order_by="Study.name", passive_deletes=True
    )
    managed_teams: Mapped[list[ManagedTeam]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _lowercase_email(self, key: str, value: str) -> str:
        return value.strip().lower()

    @property
    def sole_study_id(self) -> int | None:
        """The account's study when it works on exactly one, else None (audit events about
        the account are filed under it, so that study's evaluators see them)."""
        return self.studies[0].id if len(self.studies) == 1 else None

    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a loaded user is authenticated."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: a loaded user is not anonymous."""
        return False

    def get_id(self) -> str:
        """Flask-Login: the id stored in the session cookie."""
        return str(self.id)


class ManagedTeam(Base):
    """A team a manager may see (aggregates only)."""

    __tablename__ = "managed_teams"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    user: Mapped[User] = relationship(back_populates="managed_teams")
    team: Mapped[Team] = relationship()


class StaffSession(Base):
    """A signed-in staff session, kept on the server: signing out deletes it.

    The session cookie carries a random token; only its SHA-256 hex digest is stored here.
    A session is valid while its row exists, its account is active, it has been used within the
    idle lifetime (``last_seen_at``) and it began within the absolute lifetime (``created_at``),
    see :mod:`survey_app.services.staff_sessions`.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))


class PasswordReset(Base):
    """A "forgot password" link sent by e-mail: single use, until ``expires_at``.

    Only the SHA-256 hex digest of the link's token is stored; ``used_at`` is set when the link
    sets a password (or when a newer link, a password change or a reset by an administrator
    makes it void).
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class MailTemplate(Base):
    """A study's own invitation or reminder e-mail (subject and plain-text body with
    placeholders); a study without one sends copkit's default text."""

    __tablename__ = "mail_templates"
    __table_args__ = (
        UniqueConstraint("study_id", "kind"),
        CheckConstraint("kind IN ('invitation', 'reminder')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what to which object, when: every login, admin change, import, send and export."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    study_id: Mapped[int | None] = mapped_column(
        ForeignKey("studies.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User | None] = relationship()


class DashboardSnapshot(Base):
    """A study's computed dashboard for one audience, reused while the study's data is unchanged.

    ``fingerprint`` summarises the data the content was computed from (see
    :func:`survey_app.services.dashboard.data_fingerprint`); a request whose fingerprint differs
    recomputes. ``claim``/``claimed_at`` mark the one request computing it now, so that several
    app servers never analyse the same study at once. ``content`` is plain JSON (the evaluator
    report's sections, or the suppressed manager summaries); ``report_html`` and ``report_pdf``
    are the evaluator report for download (the PDF made on first request).
    """

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (
        UniqueConstraint("study_id", "audience"),
        CheckConstraint("audience IN ('evaluator', 'manager')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime | None]
    compute_seconds: Mapped[float | None] = mapped_column(Float)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    report_html: Mapped[str | None] = mapped_column(Text)
    report_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]


class Release(Base):
    """What managers and team members were shown of a study's closed waves, frozen.

    One row per release, numbered from 1 per study and never changed afterwards (except that an
    erasure renames the erased person's pseudonym in ``published``). ``basis`` says what the
    release was made from (closed waves, minimum cell, data counts): a new release is made only
    when it changes. ``content`` is the suppressed manager summaries as shown; ``published`` the
    figures shown, each with the respondent pseudonyms it rests on (for the disclosure check
    of later releases, :mod:`reports.disclosure`; never shown to anyone).
    """

    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    compute_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    min_cell: Mapped[int] = mapped_column(Integer)
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[list[Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
