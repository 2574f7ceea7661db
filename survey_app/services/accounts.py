"""Staff accounts: creating, listing and changing users with their role and scope, audited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.security import generate_password_hash
from zxcvbn import zxcvbn

from survey_app.models import ROLES, ManagedTeam, PasswordReset, Study, Team, Theme, User, utcnow
from survey_app.services import audit, staff_sessions
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, ServiceError
from survey_app.services.transactions import transactional
from survey_app.services.validation import EMAIL_MAX_LENGTH, is_email

MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3
"""zxcvbn's score a password needs (0-4; 3: "safely unguessable", about 10^8 guesses)."""
ZXCVBN_MAX_LENGTH = 72
"""zxcvbn refuses longer input; a longer password is judged by its first 72 characters."""


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
        raise ServiceError([Problem("teams", problem) for problem in problems])
    return teams


class AccountError(ServiceError):
    """A staff account request with problems, each about ``email``, ``role``, ``studies``,
    ``teams`` or ``password``, or (``None``) the account as a whole.

    Examples
    --------
    >>> str(AccountError([("email", "a user a@b.org already exists"), ("role", "x")]))
    'a user a@b.org already exists; x'
    """


@dataclass(frozen=True)
class TeamGroup:
    """A study and its teams (theme, then team name), to choose a manager's teams from."""

    study: Study
    teams: list[Team]


def list_users(session: Session) -> list[User]:
    """Every staff account by email, with its studies and managed teams loaded."""
    query = (
        select(User)
        .options(
            selectinload(User.studies),
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


def password_problem(password: str, email: str, *, noun: str = "the password") -> str | None:
    """Why ``password`` may not protect the account ``email``, or None if it may.

    Refused: fewer than :data:`MIN_PASSWORD_LENGTH` characters; the account's e-mail address
    inside it, or its name part with only digits or signs added (``ann.smith2024!``); and anything zxcvbn (Dropbox's strength estimator, which knows
    common passwords, names, dictionary words, keyboard runs, repeats, dates and l33t
    substitutions, and runs offline) scores below :data:`MIN_PASSWORD_SCORE`, i.e. guessable in
    fewer than about 10^8 tries. The message repeats zxcvbn's warning and suggestion.

    Examples
    --------
    >>> password_problem("aaaaaaaaaa", "ann@nhs.net")
    'the password is too easy to guess: repeats like "aaa" are easy to guess. Add another word...'
    >>> password_problem("1234567890", "ann@nhs.net")
    'the password is too easy to guess: this is a top-100 common password. Add another word or two. Uncommon words are better.'
    >>> password_problem("ann@nhs.net", "ann@nhs.net")
    "the password must not contain the account's e-mail address"
    >>> password_problem("Ann.Smith-2024!", "ann.smith@nhs.net")
    "the password must not contain the account's e-mail address"
    >>> password_problem("correct horse battery", "ann@nhs.net") is None
    True
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"{noun} must have at least {MIN_PASSWORD_LENGTH} characters"
    address = email.strip().lower()
    name = address.partition("@")[0]
    letters = "".join(filter(str.isalpha, password.lower()))
    if address and (address in password.lower() or letters == "".join(filter(str.isalpha, name))):
        return f"{noun} must not contain the account's e-mail address"
    user_inputs = [address, name, *name.replace(".", " ").replace("-", " ").split(), "copkit"]
    estimate = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=user_inputs)
    if int(estimate["score"]) >= MIN_PASSWORD_SCORE:
        return None
    feedback = estimate["feedback"]
    advice = [str(feedback.get("warning") or ""), *map(str, feedback.get("suggestions") or [])]
    said = " ".join(part.rstrip(".") + "." for part in advice if part)
    said = said[:1].lower() + said[1:] if said else "choose a longer, less common one."
    return f"{noun} is too easy to guess: {said}"


def void_reset_links(session: Session, user: User, *, now: datetime | None = None) -> None:
    """Make every unused "forgot password" link of ``user`` void: its password was just set."""
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow() if now is None else now)
    )


def _email_problem(session: Session, email: str) -> str | None:
    if len(email) > EMAIL_MAX_LENGTH:
        return f"the email address is longer than {EMAIL_MAX_LENGTH} characters"
    if not is_email(email):
        return f'"{email}" is not an email address'
    if find_user_by_email(session, email) is not None:
        return f"a user {email} already exists"
    return None


def _teams_by_id(
    session: Session,
    studies: Sequence[Study],
    team_ids: Collection[int],
    problems: list[Problem],
) -> list[Team]:
    """The teams with these ids, each of which must be in one of ``studies`` (else a problem)."""
    found = {
        team.id: team
        for team in session.scalars(
            select(Team).options(joinedload(Team.theme)).where(Team.id.in_(list(team_ids)))
        )
    }
    allowed = {study.id for study in studies}
    teams: list[Team] = []
    for team_id in dict.fromkeys(team_ids):
        team = found.get(team_id)
        if team is None:
            problems.append(Problem("teams", f"there is no team {team_id}"))
        elif team.theme.study_id not in allowed:
            problems.append(
                Problem(
                    "teams",
                    f'team "{team_label(team)}" is not in the account\'s studies: a manager '
                    "manages teams of their own studies only",
                )
            )
        else:
            teams.append(team)
    return teams


def _studies(
    session: Session,
    study_names: Sequence[str],
    study_ids: Collection[int],
    problems: list[Problem],
) -> list[Study]:
    """The studies named or given by id (each once, by name); a problem for each unknown one."""
    found: dict[int, Study] = {}
    for name in dict.fromkeys(study_names):
        study = find_study(session, name)
        if study is None:
            problems.append(Problem("studies", f'no study named "{name}"'))
        else:
            found[study.id] = study
    for study_id in dict.fromkeys(study_ids):
        study = session.get(Study, study_id)
        if study is None:
            problems.append(Problem("studies", f"there is no study {study_id}"))
        else:
            found[study.id] = study
    return sorted(found.values(), key=lambda study: study.name)


def _managed_teams(
    session: Session,
    studies: Sequence[Study],
    team_names: Sequence[str],
    team_ids: Collection[int],
    problems: list[Problem],
) -> list[Team]:
    """A manager's teams, named (in any of ``studies``) or by id (each in one of them)."""
    teams: list[Team] = []
    for name in team_names:
        matches: list[Team] = []
        reasons: list[Problem] = []
        for study in studies:
            try:
                matches.extend(find_teams(session, study, [name]))
            except ServiceError as error:
                reasons.extend(error.problems)
        if len(matches) == 1:
            teams.append(matches[0])
        elif matches:
            problems.append(Problem("teams", f'team name "{name}" is used in several studies'))
        else:
            problems.extend(reasons)
    teams.extend(_teams_by_id(session, studies, team_ids, problems))
    return list({team.id: team for team in teams}.values())


def _scope(
    session: Session,
    role: str,
    *,
    study_names: Sequence[str] = (),
    study_ids: Collection[int] = (),
    team_names: Sequence[str] = (),
    team_ids: Collection[int] = (),
) -> tuple[list[Study], list[Team], list[Problem]]:
    """Check a role with its studies and teams: the studies, the teams and every problem found.

    The studies are named (the CLI) or given by id (the pages); so are the teams. An evaluator
    may work on no study yet (they create their own); a manager needs a study and teams in it.
    """
    problems: list[Problem] = []
    if role not in ROLES:
        problems.append(Problem("role", f'role must be one of {", ".join(ROLES)}, not "{role}"'))
    studies = _studies(session, study_names, study_ids, problems)
    if role == "manager" and not studies and not any(p.field == "studies" for p in problems):
        problems.append(Problem("studies", "a manager needs a study"))
    wants_teams = bool(team_names) or bool(team_ids)
    if role == "manager" and not wants_teams:
        problems.append(Problem("teams", "a manager needs the teams they manage"))
    if role != "manager" and wants_teams:
        problems.append(Problem("teams", "only managers have teams"))
    teams: list[Team] = []
    if studies and role == "manager" and wants_teams:
        teams = _managed_teams(session, studies, team_names, team_ids, problems)
    return studies, teams, problems


@transactional
def create_user(
    session: Session,
    email: str,
    role: str,
    password: str,
    *,
    study_names: Sequence[str] = (),
    team_names: Sequence[str] = (),
    study_ids: Collection[int] = (),
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
    study_names, study_ids
        The studies the account works on, by name (the CLI) or id (the pages): any number for
        an evaluator (none yet: they create their own), at least one for a manager; an
        administrator sees every study whatever is given.
    team_names, team_ids
        The teams a manager sees, by name (``Theme/Team`` where a name is used twice) or id;
        required for managers, each in one of the account's studies, refused for other roles.
    actor
        Who is creating the account, for the audit trail (``cli`` when omitted).

    Raises
    ------
    AccountError
        Listing every problem with the request, each with its field; nothing is added.
    """
    actor = actor or Actor.cli()
    email = email.strip().lower()
    problems: list[Problem] = []
    email_problem = _email_problem(session, email)
    if email_problem:
        problems.append(Problem("email", email_problem))
    studies, teams, scope_problems = _scope(
        session,
        role,
        study_names=study_names,
        study_ids=study_ids,
        team_names=team_names,
        team_ids=team_ids,
    )
    problems.extend(scope_problems)
    weak = password_problem(password, email)
    if weak:
        problems.append(Problem("password", weak))
    if problems:
        raise AccountError(problems)
    user = User(
        email=email,
        role=role,
        password_hash=generate_password_hash(password),
        is_active=True,
    )
    user.studies = list(studies)
    user.managed_teams = [ManagedTeam(team=team) for team in teams]
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same email created at the same moment elsewhere
        raise AccountError(f"a user {email} already exists", field="email") from None
    audit.record_action(
        session,
        actor,
        "user.create",
        study_id=user.sole_study_id,
        object_type="user",
        object_id=user.id,
        detail={
            "email": email,
            "role": role,
            "studies": [study.id for study in studies],
            "teams": [team.id for team in teams],
        },
    )
    return user


def _is_self(actor: Actor, user: User) -> bool:
    return actor.user is not None and actor.user.id == user.id


@transactional
def update_user(
    session: Session,
    user: User,
    role: str,
    *,
    study_ids: Collection[int],
    team_ids: Collection[int],
    actor: Actor,
) -> dict[str, list[object]]:
    """Change an account's role, studies and managed teams, audited as ``user.update``.

    Parameters
    ----------
    session
        The session ``user`` belongs to; the caller commits.
    user
        The account to change.
    role, study_ids, team_ids
        The new role and scope, checked as :func:`create_user` checks them.
    actor
        Who is changing it; an administrator may not change their own role.

    Returns
    -------
    dict
        What changed, ``{"role": [old, new], "studies": [old ids, new ids], "teams": [old
        ids, new ids]}`` (only the entries that changed; empty when nothing did, and then nothing
        is recorded).

    Raises
    ------
    AccountError
        Listing every problem; nothing is changed.
    """
    studies, teams, problems = _scope(session, role, study_ids=study_ids, team_ids=team_ids)
    if _is_self(actor, user) and role != user.role:
        problems.insert(
            0,
            Problem(
                "role",
                "you cannot change your own role; another administrator can, if it must change",
            ),
        )
    if problems:
        raise AccountError(problems)
    old_teams = sorted(link.team_id for link in user.managed_teams)
    new_teams = sorted(team.id for team in teams)
    old_studies = sorted(study.id for study in user.studies)
    new_studies = sorted(study.id for study in studies)
    changes: dict[str, list[object]] = {}
    if role != user.role:
        changes["role"] = [user.role, role]
    if new_studies != old_studies:
        changes["studies"] = [old_studies, new_studies]
    if new_teams != old_teams:
        changes["teams"] = [old_teams, new_teams]
    if not changes:
        return changes
    user.role = role
    user.studies = list(studies)
    kept = [link for link in user.managed_teams if link.team_id in new_teams]
    user.managed_teams = kept + [
        ManagedTeam(team=team) for team in teams if team.id not in old_teams
    ]
    session.flush()
    audit.record_action(
        session,
        actor,
        "user.update",
        study_id=user.sole_study_id,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email, "changes": changes},
    )
    return changes


@transactional
def set_active(session: Session, user: User, active: bool, actor: Actor) -> None:
    """Deactivate an account (its sessions end at once, and no sign-in) or reactivate it.

    Audited as ``user.deactivate`` or ``user.reactivate``; the caller commits.

    Raises
    ------
    AccountError
        If the account already is so, or an administrator tries to deactivate themselves.
    """
    if not active and _is_self(actor, user):
        raise AccountError("you cannot deactivate your own account; another administrator can")
    if user.is_active == active:
        state = "active" if active else "deactivated"
        raise AccountError(f"the account {user.email} is already {state}")
    user.is_active = active
    if not active:
        staff_sessions.end_sessions_of(session, user)
    audit.record_action(
        session,
        actor,
        "user.reactivate" if active else "user.deactivate",
        study_id=user.sole_study_id,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email},
    )


@transactional
def reset_password(session: Session, user: User, password: str, actor: Actor) -> None:
    """Give an account a new password typed by an administrator, audited as ``user.password_reset``.

    The account's open sessions end at once (their rows are deleted). Only the hash is stored, and the password is never recorded. The caller commits.

    Raises
    ------
    AccountError
        If the password is too short or too easy to guess (:func:`password_problem`), or the
        administrator resets their own (they change it on
        the password page, which asks for the current one).
    """
    problems: list[Problem] = []
    if _is_self(actor, user):
        problems.append(
            Problem("password", "to change your own password, use the Change password page")
        )
    problem = password_problem(password, user.email)
    if problem:
        problems.append(Problem("password", problem))
    if problems:
        raise AccountError(problems)
    user.password_hash = generate_password_hash(password)
    staff_sessions.end_sessions_of(session, user)
    void_reset_links(session, user)
    audit.record_action(
        session,
        actor,
        "user.password_reset",
        study_id=user.sole_study_id,
        object_type="user",
        object_id=user.id,
        detail={"email": user.email},
    )
