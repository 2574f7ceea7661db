"""Staff accounts: creating users with their role and scope, and loading them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from survey_app.models import ROLES, ManagedTeam, Study, Team, Theme, User
from survey_app.services import audit
from survey_app.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def get_user(session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with this email (case-insensitive), or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def find_study(session: Session, name: str) -> Study | None:
    """The study with exactly this name, or None."""
    return session.scalar(select(Study).where(Study.name == name))


def find_teams(session: Session, study: Study, names: Sequence[str]) -> list[Team]:
    """The study's teams with these names (``Theme/Team`` disambiguates a name used twice).

    Raises
    ------
    ServiceError
        Naming every team that is unknown in the study or ambiguous.
    """
    rows = session.execute(
        select(Team, Theme.name).join(Theme).where(Theme.study_id == study.id)
    ).all()
    problems: list[str] = []
    teams: list[Team] = []
    for wanted in names:
        theme_name, _, team_name = wanted.rpartition("/")
        matches = [
            team
            for team, theme in rows
            if team.name == team_name.strip() and (not theme_name or theme == theme_name.strip())
        ]
        if not matches:
            problems.append(f'no team "{wanted}" in study "{study.name}"')
        elif len(matches) > 1:
            problems.append(f'team name "{wanted}" is used in several themes; write Theme/Team')
        else:
            teams.append(matches[0])
    if problems:
        raise ServiceError("; ".join(problems))
    return teams


def create_user(
    session: Session,
    email: str,
    role: str,
    password: str,
    *,
    study_name: str | None = None,
    team_names: Sequence[str] = (),
    actor: str = "cli",
) -> User:
    """Create a staff account with a hashed password and record it in the audit trail.

    Parameters
    ----------
    session
        The session to add to; the caller commits.
    email
        Login name; stored lowercased and unique.
    role
        ``admin``, ``evaluator`` or ``manager``.
    password
        At least :data:`MIN_PASSWORD_LENGTH` characters; only its hash is stored.
    study_name
        Required for evaluators and managers; an admin may have none.
    team_names
        The teams a manager sees (required for managers, refused for other roles).
    actor
        Who is creating the account, for the audit trail.

    Raises
    ------
    ServiceError
        Listing every problem with the request; nothing is added.
    """
    email = email.strip().lower()
    problems: list[str] = []
    if not _EMAIL.match(email):
        problems.append(f'"{email}" is not an email address')
    elif find_user_by_email(session, email) is not None:
        problems.append(f"a user {email} already exists")
    if role not in ROLES:
        problems.append(f'role must be one of {", ".join(ROLES)}, not "{role}"')
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    study: Study | None = None
    if study_name:
        study = find_study(session, study_name)
        if study is None:
            problems.append(f'no study named "{study_name}"')
    elif role in ("evaluator", "manager"):
        problems.append(f"a {role} needs a study (--study)")
    if role == "manager" and not team_names:
        problems.append("a manager needs the teams they manage (--teams)")
    if role != "manager" and team_names:
        problems.append("only managers have teams")
    teams: list[Team] = []
    if study is not None and team_names and role == "manager":
        try:
            teams = find_teams(session, study, team_names)
        except ServiceError as error:
            problems.append(str(error))
    if problems:
        raise ServiceError("; ".join(problems))
    user = User(
        email=email,
        role=role,
        password_hash=generate_password_hash(password),
        study=study,
        is_active=True,
    )
    user.managed_teams = [ManagedTeam(team=team) for team in teams]
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        actor=actor,
        study_id=None if study is None else study.id,
        object_type="user",
        object_id=user.id,
        detail={"email": email, "role": role, "teams": [team.id for team in teams]},
    )
    return user
