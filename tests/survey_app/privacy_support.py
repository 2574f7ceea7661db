"""Test data and page readers for the privacy attacks: one team, chosen respondents per wave.

:func:`build_team_study` makes a study with one team ("Ward 5" in theme "Heart failure"), its
members (handle -> profession), and closed waves in which exactly the chosen members answer.
Each respondent answers every rated item with their own value at each wave (:func:`score_of`). An evaluator and a manager of the team are added.
:func:`add_wave` adds a further (closed or open) wave later, after a correction, say.

:func:`read_page` reads what a manager sees on the team's page, or a team member on their
team's results page: the practice means of the waves in the table, the responses per wave, and
the profession breakdown, as text, so the tests can try the issue's subtractions on exactly
what is shown.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments import load as load_instrument
from survey_app.models import (
    Answer,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Theme,
    Wave,
    utcnow,
)
from survey_app.tokens import hash_token
from tests.survey_app.staff_support import add_user

STUDY_NAME = "Privacy attack study"
TEAM_NAME = "Ward 5"
EVALUATOR = "evaluator@example.org"
MANAGER = "manager@example.org"
WAVE_DAYS = 30


@dataclass
class TeamStudy:
    """Ids of what :func:`build_team_study` made."""

    study_id: int
    team_id: int
    member_ids: dict[str, int] = field(default_factory=dict)
    wave_ids: dict[int, int] = field(default_factory=dict)
    membership_ids: dict[str, int] = field(default_factory=dict)

    def email(self, handle: str) -> str:
        """A member's e-mail address."""
        return f"{handle}@ward5.example.nhs.uk"

    def link(self, handle: str, number: int) -> str:
        """The survey link token of ``handle``'s invitation to wave ``number``."""
        return link_token(handle, number)


def link_token(handle: str, number: int) -> str:
    """A well-formed survey link token for a member's invitation to a wave."""
    return f"privacy-{handle}-w{number}-".ljust(43, "x")


def score_of(handle: str, wave: int) -> float:
    """The value a member gives every rated item at a wave (1 to 7, fixed per person and wave)."""
    return float(1 + int(hashlib.sha256(f"{handle}:{wave}".encode()).hexdigest(), 16) % 7)


def _wave_times(number: int, now: datetime, open_wave: bool) -> tuple[datetime, datetime]:
    if open_wave:
        return now - timedelta(days=2), now + timedelta(days=10)
    opens = now - timedelta(days=WAVE_DAYS * (20 - number))
    return opens, opens + timedelta(days=WAVE_DAYS - 5)


def add_wave(
    session: Session,
    setup: TeamStudy,
    number: int,
    respondents: set[str],
    *,
    invited: set[str] | None = None,
    open_wave: bool = False,
    now: datetime | None = None,
) -> int:
    """Add wave ``number`` (closed unless ``open_wave``) in which ``respondents`` answered.

    Everyone in ``invited`` (default: every member) gets an invitation recording their
    profession and organisation as they are now, as the invitations service does. Commits.
    """
    now = utcnow() if now is None else now
    items = list(load_instrument("cop-health", 1).items)
    study = session.get(Study, setup.study_id)
    if study is None:
        raise LookupError(setup.study_id)
    opens, closes = _wave_times(number, now, open_wave)
    wave = Wave(
        study=study,
        number=number,
        opens=opens,
        closes=closes,
        instrument_id="cop-health",
        instrument_version=1,
    )
    session.add(wave)
    session.flush()
    setup.wave_ids[number] = wave.id
    people = set(setup.member_ids) if invited is None else invited
    for handle in sorted(people | respondents):
        member = session.get(Member, setup.member_ids[handle])
        if member is None:
            raise LookupError(handle)
        invitation = Invitation(
            membership_id=setup.membership_ids[handle],
            wave=wave,
            token_hash=hash_token(link_token(handle, number)),
            sent_at=opens,
            profession=member.profession,
            organisation=member.organisation,
        )
        session.add(invitation)
        if handle not in respondents:
            continue
        moment = opens + timedelta(days=1)
        invitation.submitted_at = moment
        response = Response(invitation=invitation, submitted_at=moment, is_complete=True)
        response.answers.extend(
            Answer(item_id=item, value=score_of(handle, number)) for item in items
        )
        session.add(response)
    session.commit()
    return wave.id


def build_team_study(
    session: Session,
    members: dict[str, str],
    waves: dict[int, set[str]],
    *,
    invited: dict[int, set[str]] | None = None,
    now: datetime | None = None,
) -> TeamStudy:
    """The study (see the module docstring): ``members`` handle -> profession, ``waves`` number
    -> who answered (every wave closed); ``invited`` narrows who was invited to a wave."""
    study = Study(name=STUDY_NAME, secret="privacy-attack-secret")
    theme = Theme(study=study, name="Heart failure")
    team = Team(theme=theme, name=TEAM_NAME)
    session.add_all([study, theme, team])
    setup = TeamStudy(study_id=0, team_id=0)
    for handle, profession in members.items():
        member = Member(
            study=study,
            name=f"Person {handle.upper()}",
            email=setup.email(handle),
            profession=profession,
            organisation="Salford Royal",
            organisation_type="acute trust",
        )
        membership = Membership(member=member, team=team, joined_on=date(2020, 1, 1))
        session.add_all([member, membership])
        session.flush()
        setup.member_ids[handle] = member.id
        setup.membership_ids[handle] = membership.id
    setup.study_id, setup.team_id = study.id, team.id
    add_user(session, EVALUATOR, "evaluator", study=study)
    add_user(session, MANAGER, "manager", study=study, teams=[team])
    session.commit()
    for number, respondents in sorted(waves.items()):
        people = None if invited is None else invited.get(number)
        add_wave(session, setup, number, respondents, invited=people, now=now)
    return setup


def find_wave(session: Session, setup: TeamStudy, number: int) -> Wave:
    """The study's wave ``number``."""
    wave = session.scalar(
        select(Wave).where(Wave.study_id == setup.study_id, Wave.number == number)
    )
    if wave is None:
        raise LookupError(number)
    return wave


@dataclass(frozen=True)
class ManagerPage:
    """What a manager reads on the team page (texts as shown)."""

    html: str
    practice: dict[int, str]
    """The practice-overall mean by wave, for the waves in the means table."""
    responded: dict[int, int]
    """Responses per closed wave."""
    professions: dict[str, tuple[str, int]]
    """The profession breakdown (latest wave): profession -> (mean text, n)."""
    latest_wave: int | None

    @property
    def tables(self) -> list[str]:
        """Every table of the page as shown (to compare two looks at it)."""
        return re.findall(r"<table.*?</table>", self.html, re.S)

    def shown(self, wave: int) -> float | None:
        """The practice mean of ``wave`` as a number, or None when it is not shown."""
        text = self.practice.get(wave, "")
        return float(text) if re.fullmatch(r"\d+\.\d", text) else None


_CELL = re.compile(r"<t([hd])([^>]*)>([^<]*)</t[hd]>")


def _table(html: str, caption_id: str) -> list[list[tuple[str, str, str]]]:
    """The rows of the table captioned ``caption_id``: cells as (th/td, attributes, text)."""
    if f'id="{caption_id}"' not in html:
        return []
    start = html.index(f'id="{caption_id}"')
    body = html[start : html.index("</table>", start)]
    return [_CELL.findall(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def read_manager_page(client: FlaskClient, team_id: int) -> ManagerPage:
    """Open the team's manager page and read its figures (asserting it is shown)."""
    return read_page(client, f"/dashboard/team/{team_id}")


def read_page(client: FlaskClient, path: str) -> ManagerPage:
    """Open a team results page (a manager's, or a team member's ``/s/<token>/results``) and
    read its figures (asserting it is shown)."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    rows = _table(html, "means-caption")
    practice: dict[int, str] = {}
    latest: int | None = None
    if rows:
        header = [text for _, _, text in rows[0]]
        columns = [int(h.split()[-1]) if h.split()[-1].isdigit() else None for h in header[1:3]]
        latest = columns[1]
        for row in rows[1:]:
            if row and row[0][2].startswith("Practice overall"):
                cells = row[1:]
                if len(cells) == 1:  # both waves withheld: one cell spans the row
                    cells = [cells[0], cells[0]]
                for wave, cell in zip(columns, cells[:2], strict=True):
                    if wave is not None:
                        practice[wave] = cell[2].strip()
    responded = {
        int(row[0][2]): int(row[2][2]) for row in _table(html, "responses-caption")[1:] if row
    }
    professions = {
        row[0][2]: (row[1][2], int(row[2][2]))
        for row in _table(html, "professions-caption")[1:]
        if len(row) == 3
    }
    return ManagerPage(html, practice, responded, professions, latest)


def submit_late(session: Session, setup: TeamStudy, handle: str, number: int) -> None:
    """Store ``handle``'s answers to wave ``number`` after it closed (as a reopened link, or a
    hand-made change of the database, would). Commits."""
    wave = find_wave(session, setup, number)
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.wave_id == wave.id,
            Invitation.membership_id == setup.membership_ids[handle],
        )
    )
    if invitation is None:
        raise LookupError((handle, number))
    moment = wave.closes + timedelta(hours=1)
    invitation.submitted_at = moment
    response = Response(invitation=invitation, submitted_at=moment, is_complete=True)
    items = list(load_instrument("cop-health", 1).items)
    response.answers.extend(Answer(item_id=item, value=score_of(handle, number)) for item in items)
    session.add(response)
    session.commit()
