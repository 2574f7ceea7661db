"""Load-test data: one open wave with N invitations (known tokens) and each respondent's answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from survey_app.models import Invitation, Member, Membership, Study, Team, Theme, Wave, utcnow
from survey_app.tokens import hash_token
from tests.survey_app.survey_fixtures import PAGES, token

TEAM_SIZE = 8
"""Respondents per team; each one's roster page lists the other seven."""

RATED_ITEMS: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
    (question.id, tuple(value for value, _ in question.options))
    for page in PAGES
    if page.kind == "rated"
    for question in page.questions
)
"""Every rated item of the questionnaire with its allowed values, in page order."""


@dataclass(frozen=True)
class LoadStudy:
    """Ids and tokens of the load-test study (see :func:`build_load_study`).

    ``tokens[i]``, ``invitation_ids[i]`` and ``teammates[i]`` belong to respondent ``i``;
    ``teammates[i]`` are the member ids of the others in respondent ``i``'s team.
    """

    wave_id: int
    tokens: list[str] = field(default_factory=list)
    invitation_ids: list[int] = field(default_factory=list)
    teammates: list[list[int]] = field(default_factory=list)


def respondent_token(index: int) -> str:
    """The link token of respondent ``index`` (well formed, 43 characters)."""
    return token(f"load{index:04d}")


def build_load_study(session: Session, respondents: int) -> LoadStudy:
    """Create a study whose open wave (cop-health v1) invites ``respondents`` people; commits.

    Respondents are grouped into teams of :data:`TEAM_SIZE`, every one of them invited, so
    the roster question lists the team's other members.
    """
    if respondents < 1:
        raise ValueError("respondents must be at least 1")
    moment = utcnow()
    study = Study(name="Load test CLAHRC")
    theme = Theme(study=study, name="Integrated care")
    wave = Wave(
        study=study,
        number=1,
        opens=moment - timedelta(days=1),
        closes=moment + timedelta(days=13),
        instrument_id="cop-health",
        instrument_version=1,
    )
    teams: list[Team] = []
    members: list[Member] = []
    invitations: list[Invitation] = []
    for index in range(respondents):
        if index % TEAM_SIZE == 0:
            teams.append(Team(theme=theme, name=f"Team {len(teams) + 1}"))
        member = Member(
            study=study,
            name=f"Respondent {index:04d}",
            email=f"r{index:04d}@example.nhs.uk",
            profession="nurse",
            organisation="Salford Royal",
            organisation_type="acute trust",
        )
        membership = Membership(member=member, team=teams[-1], joined_on=date(2020, 1, 1))
        invitation = Invitation(membership=membership, wave=wave)
        invitation.token_hash = hash_token(respondent_token(index))
        members.append(member)
        invitations.append(invitation)
    session.add_all([study, wave, *invitations])
    session.commit()
    member_ids = [member.id for member in members]
    teammates = []
    for index in range(respondents):
        start = index - index % TEAM_SIZE
        team = member_ids[start : start + TEAM_SIZE]
        teammates.append([member_id for member_id in team if member_id != member_ids[index]])
    return LoadStudy(
        wave_id=wave.id,
        tokens=[respondent_token(index) for index in range(respondents)],
        invitation_ids=[invitation.id for invitation in invitations],
        teammates=teammates,
    )


@dataclass(frozen=True)
class PlannedAnswers:
    """What one respondent sends: a value per rated item, the people named, one comment."""

    rated: dict[str, int]
    ties: frozenset[int]
    comment: str


def planned_answers(index: int, teammates: list[int], comment_suffix: str = "") -> PlannedAnswers:
    """Respondent ``index``'s answers: values cycle through each scale from an offset of
    ``index``, even respondents name their first teammate (odd ones "None of these"), and the
    comment names the respondent (with HTML and non-ASCII text in it)."""
    rated = {
        item: values[(index + position) % len(values)]
        for position, (item, values) in enumerate(RATED_ITEMS)
    }
    ties = frozenset(teammates[:1]) if index % 2 == 0 and teammates else frozenset()
    comment = f"Respondent {index}: the <b>huddles</b> helped — café{comment_suffix}"
    return PlannedAnswers(rated, ties, comment)
