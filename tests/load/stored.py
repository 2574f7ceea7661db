"""What the database holds after a load test, read straight from it (not through the app)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from survey_app.database import make_engine
from survey_app.models import Invitation, Response
from tests.load.load_fixtures import RATED_ITEMS, PlannedAnswers


@dataclass(frozen=True)
class StoredResponse:
    """One Response row with everything hanging off it."""

    response_id: int
    invitation_id: int
    submitted_at: datetime | None
    is_complete: bool
    rated: dict[str, float | None]
    ties: frozenset[int]
    comments: dict[str, str]

    @property
    def missing_items(self) -> set[str]:
        """Rated items without an answer row."""
        return {item for item, _ in RATED_ITEMS} - set(self.rated)

    def differences(self, planned: PlannedAnswers) -> list[str]:
        """How the stored answers differ from what the respondent sent (empty when equal)."""
        problems = [f"missing {item}" for item in sorted(self.missing_items)]
        problems += [
            f"{item}={self.rated[item]} (sent {value})"
            for item, value in planned.rated.items()
            if item in self.rated and self.rated[item] != float(value)
        ]
        if self.ties != planned.ties:
            problems.append(f"ties {sorted(self.ties)} (sent {sorted(planned.ties)})")
        if self.comments != {"helped": planned.comment}:
            problems.append(f"comments {self.comments!r} (sent {planned.comment!r})")
        return problems


@dataclass(frozen=True)
class StoredState:
    """Every response of the wave, grouped by invitation, and which invitations are submitted."""

    responses: dict[int, list[StoredResponse]]
    invitation_submitted: dict[int, datetime | None]

    def submitted(self) -> dict[int, StoredResponse]:
        """Invitation id to its submitted response (the first, if there were ever several)."""
        return {
            invitation: rows[0]
            for invitation, rows in self.responses.items()
            if rows and rows[0].submitted_at is not None
        }

    def duplicates(self) -> dict[int, int]:
        """Invitations with more than one Response row, and how many they have."""
        return {key: len(rows) for key, rows in self.responses.items() if len(rows) > 1}

    def half_stored(self) -> dict[int, list[str]]:
        """Problems with submitted responses: items missing, flags disagreeing.

        A submitted response must hold an answer row for every rated item, be marked complete,
        and its invitation must be marked submitted too (and the other way round).
        """
        problems: dict[int, list[str]] = {}
        for invitation, marked in self.invitation_submitted.items():
            rows = self.responses.get(invitation, [])
            found: list[str] = []
            submitted = [row for row in rows if row.submitted_at is not None]
            if marked is not None and not submitted:
                found.append("invitation submitted without a submitted response")
            for row in submitted:
                if marked is None:
                    found.append("response submitted, invitation not")
                if not row.is_complete:
                    found.append("submitted but not marked complete")
                if row.missing_items:
                    found.append(f"missing {sorted(row.missing_items)}")
            if found:
                problems[invitation] = found
        return problems


def read_state(database_url: str, wave_id: int) -> StoredState:
    """Read every invitation and response of ``wave_id`` (once the clients have finished)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            invitations = session.execute(
                select(Invitation.id, Invitation.submitted_at).where(Invitation.wave_id == wave_id)
            ).all()
            rows = session.scalars(
                select(Response)
                .join(Invitation, Invitation.id == Response.invitation_id)
                .where(Invitation.wave_id == wave_id)
                .options(
                    selectinload(Response.answers),
                    selectinload(Response.ties),
                    selectinload(Response.comments),
                )
                .order_by(Response.id)
            ).all()
            responses: dict[int, list[StoredResponse]] = defaultdict(list)
            for row in rows:
                responses[row.invitation_id].append(
                    StoredResponse(
                        response_id=row.id,
                        invitation_id=row.invitation_id,
                        submitted_at=row.submitted_at,
                        is_complete=row.is_complete,
                        rated={answer.item_id: answer.value for answer in row.answers},
                        ties=frozenset(tie.alter_member_id for tie in row.ties),
                        comments={comment.item_id: comment.text for comment in row.comments},
                    )
                )
            marked = {invitation_id: submitted_at for invitation_id, submitted_at in invitations}
            return StoredState(dict(responses), marked)
    finally:
        engine.dispose()
