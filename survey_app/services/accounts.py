"""Staff accounts: creating, listing and changing users with their role and scope, audited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.security import generate_password_hash

from survey_app.models import ROLES, ManagedTeam, Study, Team, Theme, User
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.validation import EMAIL_MAX_LENGTH, is_email

MIN_PASSWORD_LENGTH = 10


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


class AccountError(ServiceError):
    """An account request with problems; ``problems`` pairs each message with its field.

    The fields are ``email``, ``role``, ``study``, ``teams``, ``password`` and ``account`` (the
    account as a whole). ``str(error)`` joins the messages with ``"; "``, as the CLI shows them.

    Examples
    --------
    >>> str(AccountError([("email", "a user a@b.org already exists"), ("role", "x")]))
    'a user a@b.org already exists; x'
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(message for _, message in self.problems))


@dataclass(frozen=True)
class TeamGroup:
    """A study and its teams (theme, then team name), to choose a manager's teams from."""

    study: Study
    teams: list[Team]


def list_users(session: Session) -> list[User]:
    """Every staff account by email, with its study and managed teams loaded."""
    query = (
        select(User)
        .options(
            joinedload(User.study),
            selectinload(User.managed_teams).joinedload(ManagedTeam.team).joinedload(Team.theme),
        )
        .order_by(User.email)
    )
    return list(session.scalars(query).unique())


def list_studies(session: Session) -> list[Study]:
    """Every study by name (the studies an account may be given)."""
    return list(session.scalars(select(Study).order_by(Study.name)))


def team_groups(session: Session) -> list[TeamGroup]:
    """Every study with its teams, ordered by study, theme and team name."""
    rows = session.scalars(
        select(Team)
        .join(Theme)
        .join(Study)
        .options(joinedload(Team.theme).joinedload(Theme.study))
        .order_by(Study.name, Theme.name, Team.name)
    )
    groups: dict[int, TeamGroup] = {}
    for team in rows:
        study = team.theme.study
        groups.setdefault(study.id, TeamGroup(study=study, teams=[])).teams.append(team)
    return list(groups.values())


def team_label(team: Team) -> str:
    """``Theme / Team``, as teams are named wherever one is chosen."""
    return f"{team.theme.name} / {team.name}"


def _password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    return None


def _email_problem(session: Session, email: str) -> str | None:
    if len(email) > EMAIL_MAX_LENGTH:
        return f"the email address is longer than {EMAIL_MAX_LENGTH} characters"
    if not is_email(email):
        return f'"{email}" is not an email address'
    if find_user_by_email(session, email) is not None:
        return f"a user {email} already exists"
    return None


def _teams_by_id(
    session: Session, study: Study, team_ids: Collection[int], problems: list[tuple[str, str]]
) -> list[Team]:
    """The teams with these ids, each of which must be ``study``'s (else a problem is added)."""
    found = {
        team.id: team
        for team in session.scalars(
            select(Team).options(joinedload(Team.theme)).where(Team.id.in_(list(team_ids)))
        )
    }
    teams: list[Team] = []
    for team_id in dict.fromkeys(team_ids):
        team = found.get(team_id)
        if team is None:
            problems.append(("teams", f"there is no team {team_id}"))
        elif team.theme.study_id != study.id:
            problems.append(
                (
                    "teams",
                    f'team "{team_label(team)}" is not in study "{study.name}": a manager '
                    "manages teams of their own study only",
                )
            )
        else:
            teams.append(team)
    return teams


def _scope(
    session: Session,
    role: str,
    *,
    study_name: str | None = None,
    study_id: int | None = None,
    team_names: Sequence[str] = (),
    team_ids: Collection[int] = (),
) -> tuple[Study | None, list[Team], list[tuple[str, str]]]:
    """Check a role with its study and teams: the study, the teams and every problem found.

    The study is named (the CLI) or given by id (the pages); so are the teams.
    """
    problems: list[tuple[str, str]] = []
    if role not in ROLES:
        problems.append(("role", f'role must be one of {", ".join(ROLES)}, not "{role}"'))
    study: Study | None = None
    if study_name:
        study = find_study(session, study_name)
        if study is None:
            problems.append(("study", f'no study named "{study_name}"'))
    elif study_id is not None:
        study = session.get(Study, study_id)
        if study is None:
            problems.append(("study", f"there is no study {study_id}"))
    elif role in ("evaluator", "manager"):
        article = "an" if role == "evaluator" else "a"
        problems.append(("study", f"{article} {role} needs a study"))
    wants_teams = bool(team_names) or bool(team_ids)
    if role == "manager" and not wants_teams:
        problems.append(("teams", "a manager needs the teams they manage"))
    if role != "manager" and wants_teams:
        problems.append(("teams", "only managers have teams"))
    teams: list[Team] = []
    if study is not None and role == "manager" and wants_teams:
        if team_names:
            try:
                teams = find_teams(session, study, team_names)
            except ServiceError as error:
                problems.append(("teams", str(error)))
        teams.extend(_teams_by_id(session, study, team_ids, problems))
    return study, teams, problems


def create_user(
    session: Session,
    email: str,
    role: str,
    password: str,
    *,
    study_name: str | None = None,
    team_names: Sequence[str] = (),
    study_id: int | None = None,
    team_ids: Collection[int] = (),
    actor: Actor | None = None,
) -> User:
    """Create a staff account with a hashed password and record it in the audit trail.

    ``copkit create-user`` and the administration page both create accounts here, so both
    check the same rules and say the same things.

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
    study_name, study_id
        The study, by name (the CLI) or id (the pages); required for evaluators and managers,
        optional for an admin.
    team_names, team_ids
        The teams a manager sees, by name (``Theme/Team`` where a name is used twice) or id;
        required for managers, all of the account's study, refused for other roles.
    actor
        Who is creating the account, for the audit trail (``cli`` when omitted).

    Raises
    ------
    AccountError
        Listing every problem with the request, each with its field; nothing is added.
    """
    actor = actor or Actor.cli()
    email = email.strip().lower()
    problems: list[tuple[str, str]] = []
    email_problem = _email_problem(session, email)
    if email_problem:
        problems.append(("email", email_problem))
    study, teams, scope_problems = _scope(
        session,
        role,
        study_name=study_name,
        study_id=study_id,
        team_names=team_names,
        team_ids=team_ids,
    )
    problems.extend(scope_problems)
    password_problem = _password_problem(password)
    if password_problem:
        problems.append(("password", password_problem))
    if problems:
        raise AccountError(problems)
    user = User(
        email=email,
        role=role,
        password_hash=generate_password_hash(password),
        study=study,
        is_active=True,
    )
    user.managed_teams = [ManagedTeam(team=team) for team in teams]
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same email created at the same moment elsewhere
        raise AccountError([("email", f"a user {email} already exists")]) from None
    audit.record_action(
        session,
        actor,
        "user.create",
        study_id=None if study is None else study.id,
        object_type="user",
        object_id=user.id,
        detail={
            "email": email,
            "role": role,
            "study": None if study is None else study.id,
            "teams": [team.id for team in teams],
        },
    )
    return user


def _is_self(actor: Actor, user: User) -> bool:
    return actor.user is not None and actor.user.id == user.id


def update_user(
    session: Session,
    user: User,
    role: str,
    *,
    study_id: int | None,
    team_ids: Collection[int],
    actor: Actor,
) -> dict[str, list[object]]:
    """Change an account's role, study and managed teams, audited as ``user.update``.

    Parameters
    ----------
    session
        The session ``user`` belongs to; the caller commits.
    user
        The account to change.
    role, study_id, team_ids
        The new role and scope, checked as :func:`create_user` checks them.
    actor
        Who is changing it; an administrator may not change their own role.

    Returns
    -------
    dict
        What changed, ``{"role": [old, new], "study": [old id, new id], "teams": [old ids,
        new ids]}`` (only the entries that changed; empty when nothing did, and then nothing
        is recorded).

    Raises
    ------
    AccountError
        Listing every problem; nothing is changed.
    """
    study, teams, problems = _scope(session, role, study_id=study_id, team_ids=team_ids)
    if _is_self(actor, user) and role != user.role:
        problems.insert(
            0,
            (
                "role",
                "you cannot change your own role; another administrator can, if it must change",
            ),
        )
    if problems:
        raise AccountError(problems)
    old_teams = sorted(link.team_id for link in user.managed_teams)
    new_teams = sorted(team.id for team in teams)
    new_study = None if study is None else study.id
    changes: dict[str, list[object]] = {}
    if role != user.role:
        changes["role"] = [user.role, role]
    if new_study != user.study_id:
        changes["study"] = [user.study_id, new_study]
    if new_teams != old_teams:
        changes["teams"] = [old_teams, new_teams]
    if not changes:
        return changes
    user.role = role
    user.study = study
    kept = [link for link in user.managed_teams if link.team_id in new_teams]
    user.managed_teams = kept + [
        ManagedTeam(team=team) for team in teams if team.id not in old_teams
    ]
    session.flush()
    audit.record_action(
        session,
        actor,
        "user.update",
        study_id=new_study,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email, "changes": changes},
    )
    return changes


def set_active(session: Session, user: User, active: bool, actor: Actor) -> None:
    """Deactivate an account (signed out at its next request, and no sign-in) or reactivate it.

    Audited as ``user.deactivate`` or ``user.reactivate``; the caller commits.

    Raises
    ------
    AccountError
        If the account already is so, or an administrator tries to deactivate themselves.
    """
    if not active and _is_self(actor, user):
        raise AccountError(
            [("account", "you cannot deactivate your own account; another administrator can")]
        )
    if user.is_active == active:
        state = "active" if active else "deactivated"
        raise AccountError([("account", f"the account {user.email} is already {state}")])
    user.is_active = active
    audit.record_action(
        session,
        actor,
        "user.reactivate" if active else "user.deactivate",
        study_id=user.study_id,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email},
    )


def reset_password(session: Session, user: User, password: str, actor: Actor) -> None:
    """Give an account a new password typed by an administrator, audited as ``user.password_reset``.

    The account's open sessions end at their next request (their password fingerprint no longer
    matches). Only the hash is stored, and the password is never recorded. The caller commits.

    Raises
    ------
    AccountError
        If the password is too short, or the administrator resets their own (they change it on
        the password page, which asks for the current one).
    """
    problems: list[tuple[str, str]] = []
    if _is_self(actor, user):
        problems.append(("password", "to change your own password, use the Change password page"))
    problem = _password_problem(password)
    if problem:
        problems.append(("password", problem))
    if problems:
        raise AccountError(problems)
    user.password_hash = generate_password_hash(password)
    audit.record_action(
        session,
        actor,
        "user.password_reset",
        study_id=user.study_id,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email},
    )
