"""Study set-up: studies, themes, teams and interventions, with every change audited."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from survey_app.models import Intervention, Member, Study, Team, Theme, Wave
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.validation import clean, name_problem

NAME_MAX = 200
KIND_MAX = 100
DESCRIPTION_MAX = 2000


def find_study(session: Session, name: str) -> Study | None:
    """The study with exactly this name (surrounding spaces ignored), or None."""
    return session.scalar(select(Study).where(Study.name == clean(name)))


def create_study(session: Session, name: str, actor: Actor) -> Study:
    """Create a study (the caller commits).

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
        raise ServiceError(problem)
    study = Study(name=name)
    session.add(study)
    session.flush()
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


def create_theme(session: Session, study: Study, name: str, actor: Actor) -> Theme:
    """Add a theme to ``study`` (the caller commits); the name must be new in the study."""
    name = clean(name)
    problem = name_problem(name, "theme name", NAME_MAX)
    if problem is None and session.scalar(
        select(Theme.id).where(Theme.study_id == study.id, Theme.name == name)
    ):
        problem = f'the study already has a theme "{name}"'
    if problem:
        raise ServiceError(problem)
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


def create_team(session: Session, study: Study, theme_id: int, name: str, actor: Actor) -> Team:
    """Add a team to one of ``study``'s themes (the caller commits)."""
    theme = session.get(Theme, theme_id)
    if theme is None or theme.study_id != study.id:
        raise ServiceError("choose one of the study's themes")
    name = clean(name)
    problem = name_problem(name, "team name", NAME_MAX)
    if problem is None and session.scalar(
        select(Team.id).where(Team.theme_id == theme.id, Team.name == name)
    ):
        problem = f'theme "{theme.name}" already has a team "{name}"'
    if problem:
        raise ServiceError(problem)
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


def add_intervention(
    session: Session,
    study: Study,
    team: Team,
    started_on: date,
    kind: str,
    description: str,
    actor: Actor,
) -> Intervention:
    """Record an intervention in ``team`` (the caller commits)."""
    if team.study_id != study.id:
        raise ServiceError("choose one of the study's teams")
    kind = clean(kind)
    description = clean(description)
    problems = [p for p in (name_problem(kind, "kind", KIND_MAX),) if p]
    if len(description) > DESCRIPTION_MAX:
        problems.append(f"the description is longer than {DESCRIPTION_MAX} characters")
    if problems:
        raise ServiceError("; ".join(problems))
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


def delete_intervention(
    session: Session, study: Study, intervention: Intervention, actor: Actor
) -> None:
    """Remove an intervention recorded by mistake (the caller commits)."""
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
