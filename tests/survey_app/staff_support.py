"""Helpers for the staff-side tests: accounts, a small study, signing in and posting with CSRF."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from survey_app.extensions import db
from survey_app.models import (
    AuditEvent,
    Intervention,
    ManagedTeam,
    Member,
    Membership,
    Study,
    Team,
    Theme,
    User,
    Wave,
    utcnow,
)

PASSWORD = "correct horse battery"
FAST_HASH = "pbkdf2:sha256:1000"  # tests only: the app itself uses werkzeug's default (scrypt)
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def add_user(
    session: Session,
    email: str,
    role: str,
    *,
    study: Study | None = None,
    teams: Sequence[Team] = (),
    password: str = PASSWORD,
    active: bool = True,
    studies: Sequence[Study] = (),
) -> User:
    """A staff account with a quickly checked password hash, working on ``study`` (and
    ``studies``)."""
    user = User(
        email=email,
        role=role,
        password_hash=generate_password_hash(password, method=FAST_HASH),
        is_active=active,
    )
    user.studies = ([] if study is None else [study]) + list(studies)
    user.managed_teams = [ManagedTeam(team=team) for team in teams]
    session.add(user)
    session.flush()
    return user


@dataclass
class StudyFixture:
    """Ids of a small study: two themes, three teams, members, a wave, an intervention."""

    study_id: int
    team_ids: dict[str, int]
    member_ids: dict[str, int]
    membership_ids: dict[tuple[str, str], int]
    wave_id: int
    intervention_id: int
    extra: dict[str, Any] = field(default_factory=dict)


def build_study(
    session: Session,
    name: str,
    *,
    opens: datetime | None = None,
    closes: datetime | None = None,
    people: Mapping[str, Sequence[str]] | None = None,
) -> StudyFixture:
    """A study with themes HF (teams Ward 7, Community) and CKD (team Renal), and wave 1.

    ``people`` maps an email to the teams the person belongs to (default: three people, one of
    them in two teams). The wave is open from yesterday for a week unless told otherwise.
    """
    now = utcnow()
    study = Study(name=name)
    heart = Theme(study=study, name="Heart failure")
    kidney = Theme(study=study, name="CKD")
    teams = {
        "Ward 7": Team(theme=heart, name="Ward 7"),
        "Community": Team(theme=heart, name="Community"),
        "Renal": Team(theme=kidney, name="Renal"),
    }
    session.add_all([study, heart, kidney, *teams.values()])
    people = people or {
        "ann@example.org": ["Ward 7", "Community"],
        "bob@example.org": ["Ward 7"],
        "cat@example.org": ["Renal"],
    }
    members: dict[str, Member] = {}
    memberships: dict[tuple[str, str], Membership] = {}
    for email, team_names in people.items():
        local = email.split("@")[0]
        member = Member(
            study=study,
            name=f"{local.title()} Tester",
            email=email,
            profession="nurse",
            organisation="Trust A",
            organisation_type="acute trust",
        )
        members[email] = member
        for team_name in team_names:
            memberships[(email, team_name)] = Membership(
                member=member, team=teams[team_name], joined_on=date(2020, 1, 1)
            )
    wave = Wave(
        study=study,
        number=1,
        opens=opens or now - timedelta(days=1),
        closes=closes or now + timedelta(days=7),
        instrument_id="cop-health",
        instrument_version=1,
    )
    intervention = Intervention(
        team=teams["Ward 7"], started_on=date(2024, 5, 1), kind="workshop", description="Day one"
    )
    session.add_all([*members.values(), *memberships.values(), wave, intervention])
    session.flush()
    return StudyFixture(
        study_id=study.id,
        team_ids={name: team.id for name, team in teams.items()},
        member_ids={email: member.id for email, member in members.items()},
        membership_ids={key: m.id for key, m in memberships.items()},
        wave_id=wave.id,
        intervention_id=intervention.id,
    )


def csrf_token(client: FlaskClient, path: str = "/auth/") -> str:
    """The CSRF token of the client's session, read from a page with a form."""
    response = client.get(path)
    match = _TOKEN.search(response.get_data(as_text=True))
    if match is None:
        raise AssertionError(f"no CSRF token on {path} (status {response.status_code})")
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns a CSRF token for the new session."""
    token = csrf_token(client)
    response = client.post(
        "/auth/", data={"csrf_token": token, "email": email, "password": password}
    )
    if response.status_code != 302:
        raise AssertionError(f"sign-in as {email} failed: {response.status_code}")
    return csrf_token(client, "/auth/password")


def post(
    client: FlaskClient, path: str, token: str, data: Mapping[str, Any] | None = None, **kwargs: Any
) -> TestResponse:
    """POST a form with the CSRF token."""
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def count(app: Flask, model: type[Any]) -> int:
    """Rows of ``model`` in the app's database."""
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def audit_actions(app: Flask) -> list[str]:
    """The recorded audit actions, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def text_of(response: TestResponse) -> str:
    """A response's body as text."""
    return response.get_data(as_text=True)
