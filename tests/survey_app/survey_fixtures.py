"""Test data for the participant survey: a study, two teams, three waves and known link tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

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
from survey_app.services.questionnaire import pages_for
from survey_app.tokens import hash_token

TEAM_NAME = "Heart failure community team"
OTHER_TEAM_NAME = "CKD <b>early</b> & late"


def token(name: str) -> str:
    """A fixed, well-formed link token for the invitation called ``name`` in the fixture."""
    return f"test-{name}-".ljust(43, "x")


@dataclass
class SurveySetup:
    """Ids and tokens of the survey test data (see :func:`build_survey`)."""

    study_id: int
    team_id: int
    other_team_id: int
    open_wave_id: int
    members: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    invitations: dict[str, int] = field(default_factory=dict)


def _member(study: Study, name: str, profession: str) -> Member:
    handle = name.split()[0].lower().strip("<>&")
    return Member(
        study=study,
        name=name,
        email=f"{handle}@example.nhs.uk",
        profession=profession,
        organisation="Salford Royal",
        organisation_type="acute trust",
    )


def _wave(study: Study, number: int, opens: datetime, closes: datetime) -> Wave:
    return Wave(
        study=study,
        number=number,
        opens=opens,
        closes=closes,
        instrument_id="cop-health",
        instrument_version=1,
    )


def build_survey(session: Session, *, now: datetime | None = None) -> SurveySetup:
    """Create the test study and commit.

    Team "Heart failure community team": Asha (nurse, the respondent), Ben (GP, with HTML in
    his name), Chloé (pharmacist), Dev (academic; already submitted) and Fay, who is a member
    but not invited this wave (so not in the roster). Team "CKD <b>early</b> & late": Asha
    again and Eve. Waves: 1 closed, 2 open (now), 3 scheduled, 4 closed early.

    Invitations, by token name: ``open`` (Asha, team, wave 2), ``other_team`` (Asha, CKD
    team, wave 2), ``ben``, ``chloe``, ``eve`` (wave 2), ``submitted`` (Dev, wave 2, with a
    submitted response), ``closed`` (Asha, wave 1), ``scheduled`` (Asha, wave 3) and
    ``closed_early`` (Asha, wave 4).
    """
    moment = utcnow() if now is None else now
    study = Study(name="Test CLAHRC")
    theme = Theme(study=study, name="Heart Failure")
    team = Team(theme=theme, name=TEAM_NAME)
    other_team = Team(theme=theme, name=OTHER_TEAM_NAME)
    people = {
        "asha": _member(study, "Asha Patel", "nurse"),
        "ben": _member(study, "Ben <i>Okafor</i>", "GP"),
        "chloe": _member(study, "Chloé Martin", "pharmacist"),
        "dev": _member(study, "Dev Shah", "academic"),
        "fay": _member(study, "Fay Jones", "manager"),
        "eve": _member(study, "Eve Clark", "nurse"),
    }
    joined = date(2020, 1, 1)
    memberships = {
        name: Membership(member=people[name], team=team, joined_on=joined)
        for name in ("asha", "ben", "chloe", "dev", "fay")
    }
    other = {
        name: Membership(member=people[name], team=other_team, joined_on=joined)
        for name in ("asha", "eve")
    }
    day = timedelta(days=1)
    closed = _wave(study, 1, moment - 60 * day, moment - 30 * day)
    open_wave = _wave(study, 2, moment - day, moment + 13 * day)
    scheduled = _wave(study, 3, moment + 30 * day, moment + 44 * day)
    closed_early = _wave(study, 4, moment - 2 * day, moment + 12 * day)
    closed_early.closed_early_at = moment - day / 2
    invitations = {
        "open": Invitation(membership=memberships["asha"], wave=open_wave),
        "other_team": Invitation(membership=other["asha"], wave=open_wave),
        "ben": Invitation(membership=memberships["ben"], wave=open_wave),
        "chloe": Invitation(membership=memberships["chloe"], wave=open_wave),
        "submitted": Invitation(
            membership=memberships["dev"],
            wave=open_wave,
            consented_at=moment - day,
            started_at=moment - day,
            submitted_at=moment - day / 2,
            current_page=9,
        ),
        "eve": Invitation(membership=other["eve"], wave=open_wave),
        "closed": Invitation(membership=memberships["asha"], wave=closed),
        "scheduled": Invitation(membership=memberships["asha"], wave=scheduled),
        "closed_early": Invitation(membership=memberships["asha"], wave=closed_early),
    }
    for name, invitation in invitations.items():
        invitation.token_hash = hash_token(token(name))
    submitted = Response(
        invitation=invitations["submitted"],
        submitted_at=moment - day / 2,
        is_complete=True,
        answers=[Answer(item_id="me1", value=5.0)],
    )
    session.add_all([study, *memberships.values(), *other.values(), *invitations.values()])
    session.add(submitted)
    session.commit()
    return SurveySetup(
        study_id=study.id,
        team_id=team.id,
        other_team_id=other_team.id,
        open_wave_id=open_wave.id,
        members={name: member.id for name, member in people.items()},
        tokens={name: token(name) for name in invitations},
        invitations={name: invitation.id for name, invitation in invitations.items()},
    )


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PAGES = pages_for("cop-health", 1)[1]
ROSTER_PAGE = next(page.number for page in PAGES if page.kind == "network")
LAST_PAGE = len(PAGES)


def csrf_token(html: str) -> str:
    """The CSRF token of the form in ``html``."""
    match = CSRF_FIELD.search(html)
    if match is None:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


def rated_answers(number: int, value: str = "4") -> dict[str, str]:
    """Answer every question of rated page ``number`` with ``value``."""
    return {question.id: value for question in PAGES[number - 1].questions}


class Respondent:
    """A respondent's browser: a test client that follows one invitation link."""

    def __init__(self, client: FlaskClient, link_token: str) -> None:
        self.client = client
        self.token = link_token
        self._csrf: str | None = None

    def url(self, suffix: str = "") -> str:
        """The link, with an optional suffix (``/consent``, ``/page/2``)."""
        return f"/s/{self.token}{suffix}"

    def get(self, suffix: str = "") -> TestResponse:
        """GET a page of the link."""
        return self.client.get(self.url(suffix))

    def csrf(self) -> str:
        """A CSRF token of this browser's session."""
        if self._csrf is None:
            self._csrf = csrf_token(self.get("/consent").text)
        return self._csrf

    def post(self, suffix: str, data: Mapping[str, Any] | MultiDict[str, Any]) -> TestResponse:
        """POST a form with this session's CSRF token added."""
        form = MultiDict(data)
        form.setdefault("csrf_token", self.csrf())
        return self.client.post(self.url(suffix), data=form)

    def consent(self) -> TestResponse:
        """Agree to take part."""
        return self.post("/consent", {"agree": "y"})

    def page(
        self, number: int, data: Mapping[str, Any] | MultiDict[str, Any], action: str = "next"
    ) -> TestResponse:
        """Send page ``number`` with ``data`` and the button ``action`` (next or back)."""
        form = MultiDict(data)
        form.setdefault("action", action)
        return self.post(f"/page/{number}", form)

    def walk_to(self, number: int, value: str = "4") -> None:
        """Consent and answer every page before ``number`` (ticking "None of these")."""
        self.consent()
        for page in PAGES[: number - 1]:
            if page.kind == "rated":
                data: dict[str, Any] = rated_answers(page.number, value)
            elif page.kind == "network":
                data = {"knowledge_ties": "none"}
            else:
                data = {}
            response = self.page(page.number, data)
            if response.status_code != 303:
                raise AssertionError(f"page {page.number} was refused: {response.status_code}")
