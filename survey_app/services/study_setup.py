"""Study set-up: studies, themes, teams and interventions, with every change audited."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from survey_app.models import (
    Intervention,
    Invitation,
    Member,
    Membership,
    StaffStudy,
    Study,
    Team,
    Theme,
    Wave,
    utcnow,
)
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, ServiceError, raise_problems
from survey_app.services.transactions import transactional
from survey_app.services.validation import clean, name_problem

NAME_MAX = 200
KIND_MAX = 100
DESCRIPTION_MAX = 2000


def find_study(session: Session, name: str) -> Study | None:
    """The study with exactly this name (surrounding spaces ignored), or None."""
    return session.scalar(select(Study).where(Study.name == clean(name)))


@transactional
def create_study(session: Session, name: str, actor: Actor) -> Study:
    """Create a study; an evaluator creating it works on it from then on.

    Raises
    ------
    ServiceError
        If the name is empty, too long or already used.
    """
    name = clean(name)
    problem = name_problem(name, "study name", NAME_MAX)
    if problem is None and find_study(session, name) is not None:
        problem = f'a study named "{name}" already exists'
    if problem:
        raise ServiceError(problem, field="name")
    study = Study(name=name)
    session.add(study)
    session.flush()
    if actor.user is not None and actor.user.role != "admin":
        session.add(StaffStudy(user_id=actor.user.id, study_id=study.id))
    audit.record_action(
        session,
        actor,
        "study.create",
        study_id=study.id,
        object_type="study",
        object_id=study.id,
        detail={"name": name},
    )
    return study


def list_themes(session: Session, study: Study) -> list[Theme]:
    """The study's themes by name."""
    return list(
        session.scalars(select(Theme).where(Theme.study_id == study.id).order_by(Theme.name))
    )


def find_theme(session: Session, study: Study, name: str) -> Theme | None:
    """The study's theme with exactly this name (surrounding spaces ignored), or None."""
    return session.scalar(
        select(Theme).where(Theme.study_id == study.id, Theme.name == clean(name))
    )


@transactional
def create_theme(session: Session, study: Study, name: str, actor: Actor) -> Theme:
    """Add a theme to ``study``; the name must be new in the study."""
    name = clean(name)
    problem = name_problem(name, "theme name", NAME_MAX)
    if problem is None and session.scalar(
        select(Theme.id).where(Theme.study_id == study.id, Theme.name == name)
    ):
        problem = f'the study already has a theme "{name}"'
    if problem:
        raise ServiceError(problem, field="name")
    theme = Theme(study=study, name=name)
    session.add(theme)
    session.flush()
    audit.record_action(
        session,
        actor,
        "theme.create",
        study_id=study.id,
        object_type="theme",
        object_id=theme.id,
        detail={"name": name},
    )
    return theme


def list_teams(
    session: Session, study: Study, team_ids: Collection[int] | None = None
) -> list[Team]:
    """The study's teams ordered by theme then name (only ``team_ids`` when given)."""
    query = (
        select(Team)
        .join(Theme)
        .options(joinedload(Team.theme))
        .where(Theme.study_id == study.id)
        .order_by(Theme.name, Team.name)
    )
    if team_ids is not None:
        query = query.where(Team.id.in_(list(team_ids)))
    return list(session.scalars(query))


def team_label(team: Team) -> str:
    """``Theme / Team``, the name shown wherever a team is chosen."""
    return f"{team.theme.name} / {team.name}"


@transactional
def create_team(session: Session, study: Study, theme_id: int, name: str, actor: Actor) -> Team:
    """Add a team to one of ``study``'s themes."""
    theme = session.get(Theme, theme_id)
    if theme is None or theme.study_id != study.id:
        raise ServiceError("choose one of the study's themes", field="theme")
    name = clean(name)
    problem = name_problem(name, "team name", NAME_MAX)
    if problem is None and session.scalar(
        select(Team.id).where(Team.theme_id == theme.id, Team.name == name)
    ):
        problem = f'theme "{theme.name}" already has a team "{name}"'
    if problem:
        raise ServiceError(problem, field="name")
    team = Team(theme=theme, name=name)
    session.add(team)
    session.flush()
    audit.record_action(
        session,
        actor,
        "team.create",
        study_id=study.id,
        object_type="team",
        object_id=team.id,
        detail={"theme": theme.name, "name": name},
    )
    return team


def list_interventions(
    session: Session, study: Study, team_ids: Collection[int] | None = None
) -> list[Intervention]:
    """The interventions in the study's teams (only ``team_ids`` when given), latest first."""
    query = (
        select(Intervention)
        .join(Team)
        .join(Theme)
        .options(joinedload(Intervention.team).joinedload(Team.theme))
        .where(Theme.study_id == study.id)
        .order_by(Intervention.started_on.desc(), Intervention.id.desc())
    )
    if team_ids is not None:
        query = query.where(Intervention.team_id.in_(list(team_ids)))
    return list(session.scalars(query))


@transactional
def add_intervention(
    session: Session,
    study: Study,
    team: Team,
    started_on: date,
    kind: str,
    description: str,
    actor: Actor,
) -> Intervention:
    """Record an intervention in ``team``."""
    if team.study_id != study.id:
        raise ServiceError("choose one of the study's teams", field="team")
    kind = clean(kind)
    description = clean(description)
    problems = [Problem("kind", p) for p in (name_problem(kind, "kind", KIND_MAX),) if p]
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem("description", f"the description is longer than {DESCRIPTION_MAX} characters")
        )
    raise_problems(problems)
    intervention = Intervention(
        team=team, started_on=started_on, kind=kind, description=description
    )
    session.add(intervention)
    session.flush()
    audit.record_action(
        session,
        actor,
        "intervention.create",
        study_id=study.id,
        object_type="intervention",
        object_id=intervention.id,
        detail={
            "team": team_label(team),
            "started_on": started_on.isoformat(),
            "kind": kind,
        },
    )
    return intervention


@transactional
def delete_intervention(
    session: Session, study: Study, intervention: Intervention, actor: Actor
) -> None:
    """Remove an intervention recorded by mistake."""
    detail = {
        "team": team_label(intervention.team),
        "started_on": intervention.started_on.isoformat(),
        "kind": intervention.kind,
    }
    audit.record_action(
        session,
        actor,
        "intervention.delete",
        study_id=study.id,
        object_type="intervention",
        object_id=intervention.id,
        detail=detail,
    )
    session.delete(intervention)


def _closed_waves_surveying(session: Session, team_ids: Collection[int]) -> list[int]:
    """The numbers of the closed waves that surveyed any of ``team_ids`` (their released
    results and exports name those teams and their themes)."""
    if not team_ids:
        return []
    now = utcnow()
    return sorted(
        wave.number
        for wave in session.scalars(
            select(Wave)
            .join(Invitation, Invitation.wave_id == Wave.id)
            .join(Membership, Membership.id == Invitation.membership_id)
            .where(Membership.team_id.in_(list(team_ids)))
            .distinct()
        )
        if wave.status(now) == "closed"
    )


@transactional
def rename_theme(session: Session, study: Study, theme: Theme, name: str, actor: Actor) -> None:
    """Rename a theme (the caller's view commits through :func:`transactional`).

    Refused, with the reason, for an empty or duplicate name in the study, and once a closed
    wave surveyed any of its teams: team labels ("Theme / Team") are part of that wave's
    released results and exports, which must keep naming the same teams.
    """
    name = clean(name)
    problem = name_problem(name, "theme name", NAME_MAX)
    if problem is None and session.scalar(
        select(Theme.id).where(Theme.study_id == study.id, Theme.name == name, Theme.id != theme.id)
    ):
        problem = f'the study already has a theme "{name}"'
    if problem:
        raise ServiceError(problem, field="name")
    _rename(session, study, theme, name, theme_rename_refusal(session, theme), actor)


def theme_rename_refusal(session: Session, theme: Theme) -> str | None:
    """Why ``theme`` cannot be renamed, or None: once a closed wave surveyed any of its teams,
    its name is part of that wave's released results and exports."""
    closed = _closed_waves_surveying(session, [team.id for team in theme.teams])
    if closed:
        return (
            f'theme "{theme.name}" cannot be renamed: its teams were surveyed in closed wave '
            f"{closed[0]}, whose results and exports name them"
        )
    return None


def theme_deletion_refusal(theme: Theme) -> str | None:
    """Why ``theme`` cannot be deleted, or None: only a theme with no teams can go."""
    teams = len(theme.teams)
    if teams:
        return (
            f'theme "{theme.name}" cannot be deleted: {teams} '
            f"{'team belongs' if teams == 1 else 'teams belong'} to it"
        )
    return None


@transactional
def delete_theme(session: Session, study: Study, theme: Theme, actor: Actor) -> None:
    """Delete a theme added by mistake (the caller commits); refused with the reason unless
    :func:`theme_deletion_refusal` finds nothing depending on it."""
    refusal = theme_deletion_refusal(theme)
    if refusal:
        raise ServiceError(refusal)
    audit.record_action(
        session,
        actor,
        "theme.delete",
        study_id=study.id,
        object_type="theme",
        object_id=theme.id,
        detail={"name": theme.name},
    )
    session.delete(theme)


def get_theme(session: Session, study: Study, theme_id: int) -> Theme | None:
    """The study's theme with this id, or None (a theme of another study is not found)."""
    theme = session.get(Theme, theme_id)
    return theme if theme is not None and theme.study_id == study.id else None


@transactional
def rename_team(session: Session, study: Study, team: Team, name: str, actor: Actor) -> None:
    """Rename a team (the caller's view commits through :func:`transactional`).

    Refused, with the reason, for an empty or duplicate name (in its theme), and for a team
    surveyed in a wave that has closed: its name is part of that wave's released results and
    exports, which must keep naming the same team.
    """
    name = clean(name)
    problem = name_problem(name, "team name", NAME_MAX)
    if problem is None and session.scalar(
        select(Team.id).where(Team.theme_id == team.theme_id, Team.name == name, Team.id != team.id)
    ):
        problem = f'theme "{team.theme.name}" already has a team "{name}"'
    if problem:
        raise ServiceError(problem, field="name")
    _rename(session, study, team, name, team_rename_refusal(session, team), actor)


def _rename(
    session: Session,
    study: Study,
    item: Theme | Team,
    name: str,
    refusal: str | None,
    actor: Actor,
) -> None:
    """Give a theme or team its checked new name, audited; refused with ``refusal`` if any."""
    if refusal:
        raise ServiceError(refusal, field="name")
    if name == item.name:
        return
    kind = "theme" if isinstance(item, Theme) else "team"
    audit.record_action(
        session,
        actor,
        f"{kind}.rename",
        study_id=study.id,
        object_type=kind,
        object_id=item.id,
        detail={"from": item.name, "to": name},
    )
    item.name = name


def team_rename_refusal(session: Session, team: Team) -> str | None:
    """Why ``team`` cannot be renamed, or None: once a closed wave surveyed it, its name is
    part of that wave's released results and exports."""
    closed = _closed_waves_surveying(session, [team.id])
    if closed:
        return (
            f'team "{team.name}" cannot be renamed: it was surveyed in closed wave '
            f"{closed[0]}, whose results and exports name it"
        )
    return None


def team_deletion_refusal(session: Session, team: Team) -> str | None:
    """Why ``team`` cannot be deleted, or None: only a team with no members (current or
    former), so no invitations or answers, and no interventions."""
    people = session.scalar(select(func.count(Membership.id)).where(Membership.team_id == team.id))
    if people:
        return (
            f'team "{team.name}" cannot be deleted: {people} '
            f"{'person belongs' if people == 1 else 'people belong'} or belonged to it; "
            "its members' answers and invitations depend on it"
        )
    interventions = session.scalar(
        select(func.count(Intervention.id)).where(Intervention.team_id == team.id)
    )
    if interventions:
        return (
            f'team "{team.name}" cannot be deleted: {interventions} '
            f"{'intervention is' if interventions == 1 else 'interventions are'} recorded for it"
        )
    return None


@transactional
def delete_team(session: Session, study: Study, team: Team, actor: Actor) -> None:
    """Delete a team added by mistake (the caller commits); refused with the reason unless
    :func:`team_deletion_refusal` finds nothing depending on it."""
    refusal = team_deletion_refusal(session, team)
    if refusal:
        raise ServiceError(refusal)
    audit.record_action(
        session,
        actor,
        "team.delete",
        study_id=study.id,
        object_type="team",
        object_id=team.id,
        detail={"theme": team.theme.name, "name": team.name},
    )
    session.delete(team)


@dataclass(frozen=True)
class StudyOverview:
    """What a study's home page shows."""

    study: Study
    themes: list[Theme]
    teams: list[Team]
    member_count: int
    waves: list[Wave]


def study_overview(session: Session, study: Study) -> StudyOverview:
    """The study's themes, teams, number of members and waves."""
    members = session.scalar(select(func.count(Member.id)).where(Member.study_id == study.id))
    waves = list(
        session.scalars(select(Wave).where(Wave.study_id == study.id).order_by(Wave.number))
    )
    return StudyOverview(
        study=study,
        themes=list_themes(session, study),
        teams=list_teams(session, study),
        member_count=int(members or 0),
        waves=waves,
    )
