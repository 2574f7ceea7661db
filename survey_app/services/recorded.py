"""Professions and organisations as recorded at each wave (docs/architecture.md#bundle).

Every invitation carries the member's profession and organisation for its wave. They are
copied when the invitation is made, kept up to date while the wave is not yet closed (a
correction of the member, the member's submission) and frozen once it closes: correcting
someone from GP to consultant today changes the waves still to come, never the past ones, in
every view and export. Otherwise the correction would move one person between two published
profession figures of a past wave, and the difference of the figures before and after it would
be their answers (issue 15).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, or_, select, update
from sqlalchemy.orm import Session

from survey_app.models import Invitation, Member, Membership, Wave, utcnow

__all__ = ["RECORDED", "current_of_invitation", "refresh_unclosed_waves", "wave_not_closed"]

RECORDED = ("profession", "organisation")
"""The member attributes recorded per invitation (same names on both tables)."""


def current_of_invitation(attribute: str) -> ScalarSelect[Any]:
    """SQL: the member's current ``attribute`` for the invitation row of the statement.

    Correlated with ``invitations``, for ``UPDATE invitations SET profession = (...)``.
    """
    if attribute not in RECORDED:
        raise ValueError(f"{attribute!r} is not a recorded attribute; one of {RECORDED}")
    return (
        select(getattr(Member, attribute))
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.id == Invitation.membership_id)
        .scalar_subquery()
    )


def wave_not_closed(now: datetime) -> ColumnElement[bool]:
    """SQL over ``waves``: the wave is scheduled or open at ``now`` (see ``Wave.status``)."""
    return and_(
        Wave.closes > now,
        or_(Wave.closed_early_at.is_(None), Wave.closed_early_at > now),
    )


def refresh_unclosed_waves(
    session: Session, member_ids: Collection[int], *, now: datetime | None = None
) -> int:
    """Record the members' current attributes on their invitations to waves not yet closed.

    Called after a member's details were corrected (the caller commits); invitations to closed
    waves keep what was recorded for them.

    Returns
    -------
    int
        How many invitations were updated.
    """
    if not member_ids:
        return 0
    now = utcnow() if now is None else now
    unclosed = select(Wave.id).where(wave_not_closed(now))
    theirs = select(Membership.id).where(Membership.member_id.in_(list(member_ids)))
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.wave_id.in_(unclosed.scalar_subquery()),
            Invitation.membership_id.in_(theirs.scalar_subquery()),
        )
        .values({name: current_of_invitation(name) for name in RECORDED})
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
