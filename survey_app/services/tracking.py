"""Response tracking per wave and team (invited, started, submitted, rate) and who has not replied."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from survey_app.models import Invitation, Member, Membership, Study, Team, Theme, Wave, utcnow
from survey_app.services.invitations import current_membership
from survey_app.services.study_setup import list_teams, team_label


@dataclass(frozen=True)
class TeamCounts:
    """How far a team (or, with ``team_id`` None, the whole study) has got in one wave.

    ``invited`` counts invitations mailed; ``unsent`` those created but not (yet) mailed, of
    which ``failed`` had their last attempt fail.

    Examples
    --------
    >>> TeamCounts(None, "All teams", 10, 8, 0, 0, 6, 4).response_rate
    0.5
    >>> TeamCounts(None, "All teams", 3, 0, 3, 0, 0, 0).response_rate is None
    True
    """

    team_id: int | None
    label: str
    members: int
    invited: int
    unsent: int
    failed: int
    started: int
    submitted: int

    @property
    def response_rate(self) -> float | None:
        """submitted / invited, or None before anyone is invited."""
        return self.submitted / self.invited if self.invited else None


@dataclass(frozen=True)
class WaveTracking:
    """A wave's counts per team and in total (over the teams shown)."""

    wave: Wave
    teams: list[TeamCounts] = field(default_factory=list)
    total: TeamCounts | None = None


def _counts(
    session: Session, wave_ids: Collection[int], team_ids: Collection[int]
) -> dict[tuple[int, int], tuple[int, int, int, int, int]]:
    """(wave, team) -> (invited, unsent, failed, started, submitted)."""
    sent = Invitation.sent_at.is_not(None)
    rows = session.execute(
        select(
            Invitation.wave_id,
            Membership.team_id,
            func.sum(case((sent, 1), else_=0)),
            func.sum(case((sent, 0), else_=1)),
            func.sum(
                case(
                    (Invitation.sent_at.is_(None) & Invitation.send_error.is_not(None), 1), else_=0
                )
            ),
            func.sum(case((sent & Invitation.started_at.is_not(None), 1), else_=0)),
            func.sum(case((sent & Invitation.submitted_at.is_not(None), 1), else_=0)),
        )
        .join(Membership, Invitation.membership_id == Membership.id)
        .where(Invitation.wave_id.in_(list(wave_ids)), Membership.team_id.in_(list(team_ids)))
        .group_by(Invitation.wave_id, Membership.team_id)
    ).all()
    return {
        (w, t): (int(a or 0), int(b or 0), int(c or 0), int(d or 0), int(e or 0))
        for w, t, a, b, c, d, e in rows
    }


def member_counts(session: Session, team_ids: Collection[int], today: date) -> dict[int, int]:
    """Current members on ``today`` per team id (teams without members are left out)."""
    rows = session.execute(
        select(Membership.team_id, func.count(Membership.id))
        .where(Membership.team_id.in_(list(team_ids)), current_membership(today))
        .group_by(Membership.team_id)
    ).all()
    return {team_id: int(count) for team_id, count in rows}


def _total(label: str, rows: list[TeamCounts]) -> TeamCounts:
    return TeamCounts(
        team_id=None,
        label=label,
        members=sum(r.members for r in rows),
        invited=sum(r.invited for r in rows),
        unsent=sum(r.unsent for r in rows),
        failed=sum(r.failed for r in rows),
        started=sum(r.started for r in rows),
        submitted=sum(r.submitted for r in rows),
    )


def wave_tracking(
    session: Session,
    study: Study,
    wave: Wave,
    team_ids: Collection[int] | None = None,
    *,
    today: date | None = None,
) -> WaveTracking:
    """Counts per team for ``wave`` (only ``team_ids`` when given, e.g. a manager's teams).

    ``members`` counts the team's current memberships on ``today``.
    """
    today = utcnow().date() if today is None else today
    teams = list_teams(session, study, team_ids)
    ids = [team.id for team in teams]
    counts = _counts(session, [wave.id], ids)
    members = member_counts(session, ids, today)
    rows = [
        TeamCounts(
            team.id,
            team_label(team),
            members.get(team.id, 0),
            *counts.get((wave.id, team.id), (0, 0, 0, 0, 0)),
        )
        for team in teams
    ]
    return WaveTracking(wave=wave, teams=rows, total=_total("All teams shown", rows))


def team_history(
    session: Session, study: Study, team: Team, *, today: date | None = None
) -> list[tuple[Wave, TeamCounts]]:
    """A team's counts in every wave of the study, by wave number."""
    today = utcnow().date() if today is None else today
    waves = list(
        session.scalars(select(Wave).where(Wave.study_id == study.id).order_by(Wave.number))
    )
    counts = _counts(session, [wave.id for wave in waves], [team.id])
    members = member_counts(session, [team.id], today).get(team.id, 0)
    return [
        (
            wave,
            TeamCounts(
                team.id, team_label(team), members, *counts.get((wave.id, team.id), (0, 0, 0, 0, 0))
            ),
        )
        for wave in waves
    ]


@dataclass(frozen=True)
class NonResponder:
    """Someone invited to a wave who has not submitted (for evaluators, never managers)."""

    invitation_id: int
    name: str
    email: str
    team: str
    sent_at: datetime | None
    started: bool
    reminded_count: int
    last_reminded_at: datetime | None
    send_error: str | None

    @property
    def status(self) -> str:
        """``not sent``, ``sending failed``, ``invited`` or ``started``."""
        if self.sent_at is None:
            return "sending failed" if self.send_error else "not sent"
        return "started" if self.started else "invited"


def non_responders(session: Session, wave: Wave) -> list[NonResponder]:
    """Everyone with an invitation to ``wave`` and no submission, by team then name."""
    rows = session.execute(
        select(Invitation, Member.name, Member.email, Theme.name, Team.name)
        .join(Membership, Invitation.membership_id == Membership.id)
        .join(Member, Membership.member_id == Member.id)
        .join(Team, Membership.team_id == Team.id)
        .join(Theme, Team.theme_id == Theme.id)
        .where(Invitation.wave_id == wave.id, Invitation.submitted_at.is_(None))
        .order_by(Theme.name, Team.name, Member.name, Member.email)
    ).all()
    return [
        NonResponder(
            invitation_id=invitation.id,
            name=name,
            email=email,
            team=f"{theme} / {team}",
            sent_at=invitation.sent_at,
            started=invitation.started_at is not None,
            reminded_count=invitation.reminded_count,
            last_reminded_at=invitation.last_reminded_at,
            send_error=invitation.send_error,
        )
        for invitation, name, email, theme, team in rows
    ]


@dataclass(frozen=True)
class SendFailureSummary:
    """Invitations of a wave whose last e-mail failed for one reason, and how many."""

    reason: str
    count: int


def send_failures(session: Session, wave: Wave) -> list[SendFailureSummary]:
    """Why the wave's unsent invitations failed to be e-mailed, most frequent reason first."""
    rows = session.execute(
        select(Invitation.send_error, func.count(Invitation.id))
        .where(
            Invitation.wave_id == wave.id,
            Invitation.sent_at.is_(None),
            Invitation.send_error.is_not(None),
        )
        .group_by(Invitation.send_error)
        .order_by(func.count(Invitation.id).desc(), Invitation.send_error)
    ).all()
    return [SendFailureSummary(str(reason), int(count)) for reason, count in rows]
