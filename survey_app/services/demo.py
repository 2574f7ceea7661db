"""The demo study: a simulated CLAHRC collaboration loaded into the database as real rows."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from analysis.bundle import Bundle
from analysis.simulate import SimulatedStudy, simulate_study
from instruments import load
from survey_app.models import (
    Answer,
    Comment,
    Invitation,
    ManagedTeam,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Tie,
    User,
    Wave,
)
from survey_app.services.audit import CLI_ACTOR, Actor, record
from survey_app.services.members import (
    MemberDetails,
    add_membership,
    create_member,
    end_membership,
)
from survey_app.services.study_setup import (
    add_intervention,
    create_study,
    create_team,
    create_theme,
)
from survey_app.services.transactions import transactional
from survey_app.services.waves import WaveDetails, create_wave
from survey_app.tokens import hash_token, invitation_token, invitation_url

DEMO_STUDY = "Greater Manchester CLAHRC (demo)"
STAFF = {
    "admin": "admin@example.org",
    "evaluator": "evaluator@example.org",
    "manager": "manager@example.org",
}
DEMO_INFORMATION = {
    "respondent_title": "Greater Manchester CLAHRC team survey",
    "sponsor": "The University of Manchester, hosted by Salford Royal NHS Foundation Trust",
    "chief_investigator": "Dr Helen Marsh, Alliance Manchester Business School",
    "ethics_reference": "IRAS 298411; NHS R&D ref. SRFT/2025/117",
    "privacy_notice_url": "https://clahrc-gm.example.org/privacy",
    "contact_email": "cop-survey@clahrc-gm.example.org",
}
"""The demo study's participant information: realistic, and never a default (a demo of a
survey people trust must show who is asking). The people, addresses and references are made
up; ``.example.org`` addresses reach nobody."""
#: The instrument (id, version) the demo study's waves use.
DEMO_INSTRUMENT = ("cop-health", 2)
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


def simulate_demo(teams: int, seed: int, *, members: int = 10, waves: int = 6) -> SimulatedStudy:
    """The demo's simulated study: cop-health version 2 (:data:`DEMO_INSTRUMENT`), so the demo
    shows the interconnection block, value creation and roster roles, and every proposition of
    the report is tested on it (the propositions' mechanisms are off: the kinds alone decide)."""
    return simulate_study(
        teams=teams,
        members=members,
        waves=waves,
        seed=seed,
        instrument=load(*DEMO_INSTRUMENT),
    )


def find_demo(session: Session) -> Study | None:
    """The demo study, if it was loaded before."""
    return session.scalar(select(Study).where(Study.name == DEMO_STUDY))


@transactional
def remove_demo(session: Session) -> None:
    """Delete the demo study (everything in it cascades) and the demo staff accounts (committed)."""
    study = find_demo(session)
    if study is not None:
        session.delete(study)
    for email in STAFF.values():
        user = session.scalar(select(User).where(User.email == email))
        if user is not None:
            session.delete(user)
    session.flush()


def fill_information(study: Study) -> bool:
    """Give a demo study loaded before participant information existed the demo's details
    (nothing an evaluator has set is changed); whether anything was filled in."""
    empty = [name for name in DEMO_INFORMATION if not getattr(study, name)]
    for name in empty:
        setattr(study, name, DEMO_INFORMATION[name])
    return bool(empty)


@transactional
def refresh_demo(session: Session, password: str | None) -> None:
    """Bring a demo study loaded before up to date (committed): participant information it
    lacks (:func:`fill_information`), and ``password`` for the staff accounts when one is chosen
    (COPKIT_DEMO_PASSWORD on a re-run)."""
    study = find_demo(session)
    if study is not None:
        fill_information(study)
    if password:
        set_staff_passwords(session, password)


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


@transactional
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

    The study, themes, teams, members, memberships, waves and interventions are made by the
    services an evaluator uses (:mod:`~survey_app.services.study_setup`,
    :mod:`~survey_app.services.members`, :mod:`~survey_app.services.waves`), so they pass the
    same checks and leave the same audit trail (actor ``cli``). Invitations and responses are
    written directly: they are history (sent and answered weeks ago, some answers missing),
    which the mailer and the survey services, made for a respondent answering now, do not
    write. The staff accounts are too: their password is whatever the demo was given.

    All waves but the last are closed and answered as simulated; the last wave is open and
    only about ``open_wave_share`` of its simulated respondents have submitted yet, so the
    others have working links; their tokens derive from ``secret_key`` (the app's
    ``SECRET_KEY``), as the mailer's do. Everything is one write transaction, committed when
    the demo is loaded (the services called join it).
    """
    rng = np.random.default_rng(seed)
    actor = Actor.cli()
    bundle = study.bundle
    dates = _wave_dates(len(bundle.waves), now)
    row = create_study(session, DEMO_STUDY, actor)
    fill_information(row)
    teams = _create_teams(session, row, study.teams, actor)
    members = _create_members(session, row, study.people, bundle.roster, actor)
    wave_rows = _create_waves(session, row, bundle, dates, actor)
    memberships = _create_memberships(
        session, row, study.memberships, members, teams, wave_rows, actor
    )
    open_number = bundle.waves[-1]
    invitations = _answered_invitations(
        session,
        bundle,
        memberships,
        members,
        wave_rows,
        rng,
        now=now,
        open_wave_share=open_wave_share,
    )
    session.add_all(invitations)
    session.flush()
    for invitation in invitations:  # the derived token needs the id, known after the flush
        invitation.token_hash = hash_token(invitation_token(invitation, secret_key))
    _add_interventions(session, row, bundle.interventions, teams, wave_rows, dates, actor)
    _add_staff(session, row, teams, passwords)
    record(
        session,
        "demo.load",
        actor=CLI_ACTOR,
        study_id=row.id,
        object_type="study",
        object_id=row.id,
        detail={"teams": len(teams), "waves": len(bundle.waves), "seed": study.seed},
    )
    return DemoStudy(
        study_id=row.id, created=True, open_wave=open_number, passwords=dict(passwords)
    )


def _create_teams(
    session: Session, study: Study, frame: pd.DataFrame, actor: Actor
) -> dict[str, Team]:
    """The themes (by name) and the teams (in the simulated order), by team name."""
    themes = {
        name: create_theme(session, study, name, actor) for name in sorted(frame["theme"].unique())
    }
    return {
        str(t["team"]): create_team(
            session, study, themes[str(t["theme"])].id, str(t["team"]), actor
        )
        for t in _rows(frame)
    }


def _roles(roster: pd.DataFrame) -> dict[str, str]:
    """Each simulated person's role (KTA, clinical lead; cop-health version 2 rosters): the one
    of their first team-wave with a role, since a member holds one role in the study."""
    if "role" not in roster.columns:
        return {}
    held = roster[roster["role"].fillna("").astype(str) != ""].sort_values(["wave", "team"])
    first = held.drop_duplicates("respondent")
    return dict(zip(first["respondent"].astype(str), first["role"].astype(str), strict=True))


def _create_members(
    session: Session, study: Study, people: pd.DataFrame, roster: pd.DataFrame, actor: Actor
) -> dict[str, Member]:
    """The simulated directory as the study's members (with their roles), by pseudonym."""
    roles = _roles(roster)
    return {
        str(p["respondent"]): create_member(
            session,
            study,
            MemberDetails.of(
                str(p["name"]),
                str(p["email"]),
                str(p["profession"]),
                str(p["organisation"]),
                str(p["organisation_type"]),
                roles.get(str(p["respondent"])),
            ),
            None,
            actor,
        )
        for p in _rows(people)
    }


def _create_waves(
    session: Session,
    study: Study,
    bundle: Bundle,
    dates: list[tuple[datetime, datetime]],
    actor: Actor,
) -> dict[int, Wave]:
    """One wave per simulated wave, on the quarterly dates, all with the bundle's instrument."""
    return {
        number: create_wave(
            session,
            study,
            WaveDetails(
                number=number,
                opens=opens,
                closes=closes,
                instrument_id=bundle.instrument.id,
                instrument_version=bundle.instrument.version,
            ),
            actor,
        )
        for number, (opens, closes) in zip(bundle.waves, dates, strict=True)
    }


def _create_memberships(
    session: Session,
    study: Study,
    frame: pd.DataFrame,
    members: dict[str, Member],
    teams: dict[str, Team],
    wave_rows: dict[int, Wave],
    actor: Actor,
) -> dict[tuple[str, str], Membership]:
    """Each member joins two weeks before their first wave and leaves the day before the
    first wave they are no longer on the roster of; by (pseudonym, team name)."""
    memberships: dict[tuple[str, str], Membership] = {}
    for m in _rows(frame):
        respondent, team = str(m["respondent"]), str(m["team"])
        joined = wave_rows[int(m["joined_wave"])].opens.date() - timedelta(days=14)
        membership = add_membership(session, study, members[respondent], teams[team], joined, actor)
        left_wave = m["left_wave"]
        if isinstance(left_wave, float) and not math.isnan(left_wave):
            left = wave_rows[int(left_wave)].opens.date() - timedelta(days=1)
            end_membership(session, study, membership, left, actor)
        memberships[(respondent, team)] = membership
    return memberships


def _answered_invitations(
    session: Session,
    bundle: Bundle,
    memberships: dict[tuple[str, str], Membership],
    members: dict[str, Member],
    wave_rows: dict[int, Wave],
    rng: np.random.Generator,
    *,
    now: datetime,
    open_wave_share: float,
) -> list[Invitation]:
    """An invitation per roster row; a submitted response where the simulated person answered
    (in the open wave only about ``open_wave_share`` of them, so far)."""
    open_number = bundle.waves[-1]
    content = _ResponseContent(bundle, members)
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
        content.fill(response, (number, team, respondent))
        session.add(response)
    return invitations


class _ResponseContent:
    """The simulated answers, ties and comments of each (wave, team, respondent)."""

    def __init__(self, bundle: Bundle, members: dict[str, Member]) -> None:
        self.answers = bundle.responses.groupby(["wave", "team", "respondent"])
        self.ties = bundle.ties.groupby(["wave", "team", "source"])
        self.comments = bundle.comments.groupby(["wave", "team", "respondent"])
        self.members = members

    def fill(self, response: Response, key: tuple[int, str, str]) -> None:
        """Add the answers (missing as None), ties and comments of ``key`` to ``response``."""
        if key in self.answers.groups:
            for a in _rows(self.answers.get_group(key)):
                value = a["value"]
                missing = isinstance(value, float) and math.isnan(value)
                response.answers.append(
                    Answer(item_id=str(a["item"]), value=None if missing else float(value))
                )
        if key in self.ties.groups:
            for t in _rows(self.ties.get_group(key)):
                response.ties.append(Tie(alter_member=self.members[str(t["target"])]))
        if key in self.comments.groups:
            for c in _rows(self.comments.get_group(key)):
                response.comments.append(Comment(item_id=str(c["item"]), text=str(c["text"])))


def _add_interventions(
    session: Session,
    study: Study,
    frame: pd.DataFrame,
    teams: dict[str, Team],
    wave_rows: dict[int, Wave],
    dates: list[tuple[datetime, datetime]],
    actor: Actor,
) -> None:
    """Each intervention began halfway between the wave before its first post wave and it."""
    for i in _rows(frame):
        number = int(i["wave"])
        before = (
            wave_rows[number - 1].closes if number - 1 in wave_rows else dates[0][0] - WAVE_SPACING
        )
        started = before + (wave_rows[number].opens - before) / 2
        add_intervention(
            session,
            study,
            teams[str(i["team"])],
            started.date(),
            str(i["kind"]),
            str(i["description"]),
            actor,
        )


def _add_staff(
    session: Session, study: Study, teams: dict[str, Team], passwords: dict[str, str]
) -> None:
    """The three demo accounts; the manager manages the first two teams by name."""
    managed = [teams[t] for t in sorted(teams)[:2]]
    for role, email in STAFF.items():
        user = User(
            email=email,
            role=role,
            studies=[] if role == "admin" else [study],
            password_hash=generate_password_hash(passwords[role]),
        )
        if role == "manager":
            user.managed_teams = [ManagedTeam(team=t) for t in managed]
        session.add(user)
    session.flush()


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
