"""Test data for the dashboards: a small study built to test small-cell suppression.

Two closed waves and one open wave, four teams (the first two in theme "Heart failure", the
others in "Renal"):

- ``Trio``: three nurses (every team figure rests on 3 respondents);
- ``Ward`` (Heart failure): six members, nurses p1-p3 and GPs p4-p6;
- ``Ward`` (Renal): five of those six (p1-p5), so the two teams differ by one person and the
  two names are written ``Heart failure/Ward`` and ``Renal/Ward`` in the bundle;
- ``Five``: three nurses and two GPs (a 3/2 split by profession).

Everyone responds in waves 1 and 2; in the open wave 3 only some have. Every response names
two teammates as knowledge ties, and one carries a distinctive free-text comment.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from instruments import load as load_instrument
from survey_app.models import (
    Answer,
    Comment,
    Intervention,
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

STUDY_NAME = "Dashboard suppression study"
COMMENT_TEXT = "Only Nadia-Quill knows: the huddle moved to Thursdays"
TEAM_MEMBERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Heart failure", "Trio"): ("t1", "t2", "t3"),
    ("Heart failure", "Ward"): ("p1", "p2", "p3", "p4", "p5", "p6"),
    ("Renal", "Ward"): ("p1", "p2", "p3", "p4", "p5"),
    ("Renal", "Five"): ("f1", "f2", "f3", "f4", "f5"),
}
GPS = {"p4", "p5", "p6", "f4", "f5"}
OPEN_WAVE_RESPONDENTS = {"p1", "p2", "f1"}
"""Who has already answered the open wave 3 (in every team they belong to)."""


@dataclass
class DashboardStudy:
    """Ids and names of what :func:`build_dashboard_study` made."""

    study_id: int
    team_ids: dict[str, int] = field(default_factory=dict)
    """By bundle label (``Trio``, ``Heart failure/Ward``, ``Renal/Ward``, ``Five``)."""
    member_ids: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    open_wave_id: int = 0
    pending: dict[tuple[str, str], int] = field(default_factory=dict)
    """Invitations of the open wave without a response yet, by (team label, handle)."""


def bundle_label(theme: str, team: str) -> str:
    """The team's name in the bundle (``Theme/Team`` for the name two themes share)."""
    return f"{theme}/{team}" if team == "Ward" else team


def _answers(rng: random.Random, response: Response, items: list[str], lean: int) -> None:
    for item in items:
        value = min(7, max(1, lean + rng.randint(-1, 1)))
        response.answers.append(Answer(item_id=item, value=float(value)))


def build_dashboard_study(
    session: Session, *, name: str = STUDY_NAME, now: datetime | None = None
) -> DashboardStudy:
    """Create the suppression test study (see the module docstring) and commit it."""
    now = utcnow() if now is None else now
    rng = random.Random(7)
    items = list(load_instrument("cop-health", 1).items)
    study = Study(name=name, secret="dashboard-test-secret")
    themes = {t: Theme(study=study, name=t) for t in ("Heart failure", "Renal")}
    teams = {key: Team(theme=themes[key[0]], name=key[1]) for key in TEAM_MEMBERS}
    handles = sorted({h for members in TEAM_MEMBERS.values() for h in members})
    members = {
        h: Member(
            study=study,
            name=f"Nadia-Quill {h.upper()}son",
            email=f"{h}.quill@example.nhs.uk",
            profession="GP" if h in GPS else "nurse",
            organisation="Salford Royal",
            organisation_type="acute trust",
        )
        for h in handles
    }
    starts = [now - timedelta(days=200), now - timedelta(days=100), now - timedelta(days=2)]
    waves = [
        Wave(
            study=study,
            number=number,
            opens=opens,
            closes=opens + timedelta(days=(9 if number == 3 else 28)),
            instrument_id="cop-health",
            instrument_version=1,
        )
        for number, opens in enumerate(starts, start=1)
    ]
    session.add_all([study, *themes.values(), *teams.values(), *members.values(), *waves])
    memberships = {
        (key, h): Membership(member=members[h], team=teams[key], joined_on=date(2020, 1, 1))
        for key, team_members in TEAM_MEMBERS.items()
        for h in team_members
    }
    session.add_all(memberships.values())
    session.add(
        Intervention(
            team=teams[("Heart failure", "Ward")],
            started_on=(starts[0] + timedelta(days=50)).date(),
            kind="facilitated workshop",
            description="Two half days on shared goals",
        )
    )
    session.flush()
    setup = DashboardStudy(
        study_id=study.id,
        team_ids={bundle_label(*key): team.id for key, team in teams.items()},
        member_ids={h: m.id for h, m in members.items()},
        names=[m.name for m in members.values()],
        emails=[m.email for m in members.values()],
        open_wave_id=waves[2].id,
    )
    for wave in waves:
        for key, team_members in TEAM_MEMBERS.items():
            for position, h in enumerate(team_members):
                invitation = Invitation(
                    membership=memberships[(key, h)],
                    wave=wave,
                    token_hash=hashlib.sha256(f"dash-{key}-{h}-{wave.number}".encode()).hexdigest(),
                    sent_at=wave.opens,
                )
                session.add(invitation)
                if wave.number == 3 and h not in OPEN_WAVE_RESPONDENTS:
                    session.flush()
                    setup.pending[(bundle_label(*key), h)] = invitation.id
                    continue
                submitted = wave.opens + timedelta(hours=5 + position)
                invitation.submitted_at = submitted
                response = Response(invitation=invitation, submitted_at=submitted, is_complete=True)
                lean = 3 + wave.number + (1 if h in GPS else 0)
                _answers(rng, response, items, min(lean, 6))
                for step in (1, 2):
                    alter = team_members[(position + step) % len(team_members)]
                    response.ties.append(Tie(alter_member=members[alter]))
                if h == "p3" and wave.number == 2 and key == ("Heart failure", "Ward"):
                    response.comments.append(Comment(item_id="helped", text=COMMENT_TEXT))
                session.add(response)
    session.commit()
    return setup


def submit_pending(session: Session, invitation_id: int, *, at: datetime | None = None) -> None:
    """Submit a response (every item answered 5) to a pending invitation, and commit."""
    items = list(load_instrument("cop-health", 1).items)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise LookupError(invitation_id)
    moment = utcnow() if at is None else at
    invitation.submitted_at = moment
    response = Response(invitation=invitation, submitted_at=moment, is_complete=True)
    response.answers.extend(Answer(item_id=item, value=5.0) for item in items)
    session.add(response)
    session.commit()
