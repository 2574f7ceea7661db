"""The demo study: a simulated CLAHRC collaboration loaded into the database as real rows."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from analysis.simulate import SimulatedStudy
from survey_app.models import (
    Answer,
    Comment,
    Intervention,
    Invitation,
    ManagedTeam,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Theme,
    Tie,
    User,
    Wave,
)
from survey_app.services.audit import CLI_ACTOR, record
from survey_app.tokens import hash_token, invitation_token, invitation_url

DEMO_STUDY = "Greater Manchester CLAHRC (demo)"
STAFF = {
    "admin": "admin@example.org",
    "evaluator": "evaluator@example.org",
    "manager": "manager@example.org",
}
WAVE_SPACING = timedelta(days=91)
WAVE_LENGTH = timedelta(days=28)


@dataclass(frozen=True)
class DemoLink:
    """A working survey link of the open wave for someone who has not yet submitted."""

    member: str
    team: str
    wave: int
    url: str


@dataclass
class DemoStudy:
    """What the demo loader made (or found): the study, the open wave, passwords if set."""

    study_id: int
    created: bool
    open_wave: int
    passwords: dict[str, str] = field(default_factory=dict)


def find_demo(session: Session) -> Study | None:
    """The demo study, if it was loaded before."""
    return session.scalar(select(Study).where(Study.name == DEMO_STUDY))


def remove_demo(session: Session) -> None:
    """Delete the demo study (everything in it cascades) and the demo staff accounts."""
    study = find_demo(session)
    if study is not None:
        session.delete(study)
    for email in STAFF.values():
        user = session.scalar(select(User).where(User.email == email))
        if user is not None:
            session.delete(user)
    session.flush()


def set_staff_passwords(session: Session, password: str) -> None:
    """Give the three demo staff accounts ``password`` (COPKIT_DEMO_PASSWORD on a re-run)."""
    for email in STAFF.values():
        user = session.scalar(select(User).where(User.email == email))
        if user is not None:
            user.password_hash = generate_password_hash(password)


def _wave_dates(waves: int, now: datetime) -> list[tuple[datetime, datetime]]:
    """Quarterly waves of four weeks; the last opened a week ago and is still open."""
    last_opens = (now - timedelta(days=7)).replace(hour=8, minute=0, second=0, microsecond=0)
    dates = []
    for number in range(1, waves + 1):
        opens = last_opens - WAVE_SPACING * (waves - number)
        dates.append((opens, opens + WAVE_LENGTH))
    return dates


def _rows(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    for record_ in frame.to_dict(orient="records"):
        yield {str(k): v for k, v in record_.items()}


def load_demo(
    session: Session,
    study: SimulatedStudy,
    *,
    now: datetime,
    passwords: dict[str, str],
    secret_key: str,
    open_wave_share: float = 0.6,
    seed: int = 0,
) -> DemoStudy:
    """Load ``study`` as real rows: study, themes, teams, members, memberships, waves,
    invitations, submitted responses with answers, ties and comments, interventions, staff.

    All waves but the last are closed and answered as simulated; the last wave is open and
    only about ``open_wave_share`` of its simulated respondents have submitted yet, so the
    others have working links; their tokens derive from ``secret_key`` (the app's
    ``SECRET_KEY``), as the mailer's do. The caller commits.
    """
    rng = np.random.default_rng(seed)
    bundle = study.bundle
    waves = bundle.waves
    dates = _wave_dates(len(waves), now)
    row = Study(name=DEMO_STUDY)
    session.add(row)
    themes = {name: Theme(study=row, name=name) for name in sorted(study.teams["theme"].unique())}
    teams = {
        str(t["team"]): Team(theme=themes[str(t["theme"])], name=str(t["team"]))
        for t in _rows(study.teams)
    }
    members = {
        str(p["respondent"]): Member(
            study=row,
            name=str(p["name"]),
            email=str(p["email"]),
            profession=str(p["profession"]),
            organisation=str(p["organisation"]),
            organisation_type=str(p["organisation_type"]),
        )
        for p in _rows(study.people)
    }
    wave_rows = {
        number: Wave(
            study=row,
            number=number,
            opens=opens,
            closes=closes,
            instrument_id=bundle.instrument.id,
            instrument_version=bundle.instrument.version,
        )
        for number, (opens, closes) in zip(waves, dates, strict=True)
    }
    memberships: dict[tuple[str, str], Membership] = {}
    for m in _rows(study.memberships):
        joined = wave_rows[int(m["joined_wave"])].opens.date() - timedelta(days=14)
        left_wave = m["left_wave"]
        left: date | None = None
        if isinstance(left_wave, float) and not math.isnan(left_wave):
            left = wave_rows[int(left_wave)].opens.date() - timedelta(days=1)
        memberships[(str(m["respondent"]), str(m["team"]))] = Membership(
            member=members[str(m["respondent"])],
            team=teams[str(m["team"])],
            joined_on=joined,
            left_on=left,
        )
    session.add_all([*themes.values(), *teams.values(), *members.values(), *wave_rows.values()])
    session.add_all(memberships.values())

    open_number = waves[-1]
    answers = bundle.responses.groupby(["wave", "team", "respondent"])
    ties = bundle.ties.groupby(["wave", "team", "source"])
    comments = bundle.comments.groupby(["wave", "team", "respondent"])
    invitations: list[Invitation] = []
    for r in _rows(bundle.roster):
        number, team, respondent = int(r["wave"]), str(r["team"]), str(r["respondent"])
        wave = wave_rows[number]
        invitation = Invitation(
            membership=memberships[(respondent, team)],
            wave=wave,
            token_hash=secrets.token_hex(32),
            sent_at=wave.opens,
        )
        invitations.append(invitation)
        submits = bool(r["responded"]) and (number != open_number or rng.random() < open_wave_share)
        if not submits:
            continue
        submitted = wave.opens + timedelta(
            days=float(rng.uniform(0.5, 20)), minutes=float(rng.uniform(0, 600))
        )
        if number == open_number:
            submitted = min(submitted, now - timedelta(minutes=30))
        invitation.consented_at = invitation.started_at = submitted - timedelta(minutes=7)
        invitation.submitted_at = submitted
        response = Response(
            invitation=invitation,
            created_at=invitation.started_at,
            updated_at=submitted,
            submitted_at=submitted,
            is_complete=True,
        )
        key = (number, team, respondent)
        if key in answers.groups:
            for a in _rows(answers.get_group(key)):
                value = a["value"]
                response.answers.append(
                    Answer(
                        item_id=str(a["item"]),
                        value=None
                        if isinstance(value, float) and math.isnan(value)
                        else float(value),
                    )
                )
        if key in ties.groups:
            for t in _rows(ties.get_group(key)):
                response.ties.append(Tie(alter_member=members[str(t["target"])]))
        if key in comments.groups:
            for c in _rows(comments.get_group(key)):
                response.comments.append(Comment(item_id=str(c["item"]), text=str(c["text"])))
        session.add(response)
    session.add_all(invitations)
    session.flush()
    for invitation in invitations:  # the derived token needs the id, known after the flush
        invitation.token_hash = hash_token(invitation_token(invitation, secret_key))

    for i in _rows(bundle.interventions):
        number = int(i["wave"])
        before = (
            wave_rows[number - 1].closes if number - 1 in wave_rows else dates[0][0] - WAVE_SPACING
        )
        started = before + (wave_rows[number].opens - before) / 2
        session.add(
            Intervention(
                team=teams[str(i["team"])],
                started_on=started.date(),
                kind=str(i["kind"]),
                description=str(i["description"]),
            )
        )

    managed = [teams[t] for t in sorted(teams)[:2]]
    for role, email in STAFF.items():
        user = User(
            email=email,
            role=role,
            study=None if role == "admin" else row,
            password_hash=generate_password_hash(passwords[role]),
        )
        if role == "manager":
            user.managed_teams = [ManagedTeam(team=t) for t in managed]
        session.add(user)
    session.flush()
    record(
        session,
        "demo.load",
        actor=CLI_ACTOR,
        study_id=row.id,
        object_type="study",
        object_id=row.id,
        detail={"teams": len(teams), "waves": len(waves), "seed": study.seed},
    )
    return DemoStudy(
        study_id=row.id, created=True, open_wave=open_number, passwords=dict(passwords)
    )


def open_links(
    session: Session, study_id: int, *, secret_key: str, base_url: str
) -> list[DemoLink]:
    """Survey links of the open wave for invited members who have not yet submitted."""
    now = datetime.now(UTC)
    query = (
        select(Invitation, Member.name, Team.name, Wave.number)
        .join(Wave, Invitation.wave_id == Wave.id)
        .join(Membership, Invitation.membership_id == Membership.id)
        .join(Member, Membership.member_id == Member.id)
        .join(Team, Membership.team_id == Team.id)
        .where(Wave.study_id == study_id, Invitation.submitted_at.is_(None))
        .order_by(Team.name, Member.name)
    )
    links = []
    for invitation, member, team, number in session.execute(query):
        if invitation.wave.status(now) != "open":
            continue
        url = invitation_url(base_url, invitation_token(invitation, secret_key))
        links.append(DemoLink(member=member, team=team, wave=number, url=url))
    return links
