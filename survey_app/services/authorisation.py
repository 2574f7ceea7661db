"""Who may do what to which object: role permissions and study/team scope, checked by every view.

Two outcomes, used the same way everywhere:

- the *role* may not do this at all (a manager opening a set-up page): :class:`AccessDeniedError`,
  shown as 403;
- the *object* is unknown, or outside the user's scope (another study's wave, a team the
  manager does not manage): :class:`NotInScopeError`, shown as 404, so that editing an id in the
  address reveals nothing about what exists elsewhere.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import (
    ROLES,
    Intervention,
    Invitation,
    ManagedTeam,
    Member,
    Membership,
    StaffStudy,
    Study,
    Team,
    Theme,
    User,
    Wave,
)

STAFF = frozenset(ROLES)
STUDY_STAFF = frozenset({"admin", "evaluator"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "study.create": STUDY_STAFF,
    "study.view": STUDY_STAFF,
    "study.edit": STUDY_STAFF,
    "roster.import": STUDY_STAFF,
    "wave.edit": STUDY_STAFF,
    "mail.send": STUDY_STAFF,
    "tracking.view": STAFF,
    "team.view": STAFF,
    "non_responders.view": STUDY_STAFF,
    "links.view": STUDY_STAFF,
    "audit.view": STUDY_STAFF,
    "user.manage": frozenset({"admin"}),
}
"""Each permission and the roles that hold it. Managers only ever see their teams' aggregates."""


class AccessDeniedError(Exception):
    """The user's role does not allow this (HTTP 403)."""


class NotInScopeError(LookupError):
    """No such object, or it lies outside the user's study or teams (HTTP 404)."""


def allowed(user: User, permission: str) -> bool:
    """Whether ``user``'s role holds ``permission``.

    Examples
    --------
    >>> allowed(User(role="manager"), "tracking.view"), allowed(User(role="manager"), "study.edit")
    (True, False)
    """
    try:
        roles = PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"unknown permission {permission!r}") from None
    return user.is_active is not False and user.role in roles


def require(user: User, permission: str) -> None:
    """Raise :class:`AccessDeniedError` unless ``user``'s role holds ``permission``."""
    if not allowed(user, permission):
        raise AccessDeniedError(permission)


def scope_study_ids(session: Session, user: User) -> list[int] | None:
    """The studies ``user`` works on: ``None`` (all) for admins, else those of their account.

    Read from the database on every call (not from the loaded account), so a study given or
    taken away by an administrator counts from the next request on.
    """
    if user.role == "admin":
        return None
    return list(
        session.scalars(
            select(StaffStudy.study_id)
            .where(StaffStudy.user_id == user.id)
            .order_by(StaffStudy.study_id)
        )
    )


def visible_studies(session: Session, user: User) -> list[Study]:
    """The studies ``user`` may open, by name."""
    query = select(Study).order_by(Study.name)
    ids = scope_study_ids(session, user)
    if ids is not None:
        query = query.where(Study.id.in_(ids))
    return list(session.scalars(query))


def managed_team_ids(session: Session, user: User) -> frozenset[int] | None:
    """The teams a manager manages; ``None`` (every team of the study) for other roles."""
    if user.role != "manager":
        return None
    return frozenset(
        session.scalars(select(ManagedTeam.team_id).where(ManagedTeam.user_id == user.id))
    )


def study_in_scope(session: Session, user: User, study_id: int) -> Study:
    """The study ``study_id`` if ``user`` works on it, else :class:`NotInScopeError`."""
    ids = scope_study_ids(session, user)
    if ids is not None and study_id not in ids:
        raise NotInScopeError("study")
    return _found(session.get(Study, study_id), "study")


def team_in_scope(session: Session, user: User, study: Study, team_id: int) -> Team:
    """A team of ``study`` that ``user`` may see (a manager: only the teams they manage)."""
    team = session.scalar(
        select(Team).join(Theme).where(Team.id == team_id, Theme.study_id == study.id)
    )
    team = _found(team, "team")
    managed = managed_team_ids(session, user)
    if managed is not None and team.id not in managed:
        raise NotInScopeError("team")
    return team


def wave_in_scope(session: Session, user: User, study: Study, wave_id: int) -> Wave:
    """A wave of ``study`` (the study already checked against ``user``)."""
    del user  # every role that reached the study sees its waves
    wave = session.get(Wave, wave_id)
    return _belongs(wave, study, "wave")


def member_in_scope(session: Session, user: User, study: Study, member_id: int) -> Member:
    """A member on ``study``'s roster; never for managers (they see no individuals)."""
    require(user, "study.view")
    return _belongs(session.get(Member, member_id), study, "member")


def membership_in_scope(
    session: Session, user: User, study: Study, membership_id: int
) -> Membership:
    """A membership of one of ``study``'s members; never for managers."""
    require(user, "study.view")
    membership = session.get(Membership, membership_id)
    if membership is None or membership.member.study_id != study.id:
        raise NotInScopeError("membership")
    return membership


def invitation_in_scope(session: Session, user: User, wave: Wave, invitation_id: int) -> Invitation:
    """An invitation to ``wave`` (already checked against ``user``); never for managers, who
    see no individual: its link is a respondent's credential."""
    require(user, "links.view")
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.wave_id != wave.id:
        raise NotInScopeError("invitation")
    return invitation


def intervention_in_scope(
    session: Session, user: User, study: Study, intervention_id: int
) -> Intervention:
    """An intervention in one of ``study``'s teams that ``user`` may see."""
    intervention = session.get(Intervention, intervention_id)
    if intervention is None:
        raise NotInScopeError("intervention")
    team_in_scope(session, user, study, intervention.team_id)
    return intervention


def account_in_scope(session: Session, user: User, account_id: int) -> User:
    """The staff account ``account_id``, for someone who manages accounts (admins only)."""
    require(user, "user.manage")
    return _found(session.get(User, account_id), "user")


_T = TypeVar("_T")
_Scoped = TypeVar("_Scoped", Wave, Member)


def _found(thing: _T | None, what: str) -> _T:
    if thing is None:
        raise NotInScopeError(what)
    return thing


def _belongs(thing: _Scoped | None, study: Study, what: str) -> _Scoped:
    if thing is None or thing.study_id != study.id:
        raise NotInScopeError(what)
    return thing
