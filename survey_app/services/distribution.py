"""Survey links without a mail server: a wave's personal links for a mail merge, one link.

Many NHS trusts do not let an application send mail through their servers; evaluators then
send the invitations themselves, by a mail merge in NHSmail/Outlook or in a Teams message.
Handing out a link counts as inviting the person (``sent_at``, with ``sent_via`` saying how),
so tracking's response rates stay true, and every hand-out is audited: a link is the
respondent's credential, shown only to the staff of its study.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from analysis.csv_cells import LINE_END, neutralise_row
from survey_app.models import Invitation, Member, Membership, Team, Wave, utcnow
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.invitations import (
    MailingSettings,
    closed_reason,
    current_membership,
    ensure_invitations,
)
from survey_app.services.transactions import write_transaction
from survey_app.tokens import invitation_token, invitation_url

Who = Literal["everyone", "not_submitted"]
"""Whose links: everyone invited, or (for a reminder by mail merge) only those not submitted."""

CSV_COLUMNS = ("name", "email", "team", "wave", "link")
LINKS_ACTION = "links.export"
LINK_ACTION = "link.show"


@dataclass(frozen=True)
class PersonalLink:
    """One person's survey link for one team in one wave."""

    invitation_id: int
    name: str
    email: str
    team: str
    wave: int
    link: str
    submitted: bool


def _refuse_closed(wave: Wave, settings: MailingSettings, now: datetime) -> None:
    status = wave.status(now)
    if status == "closed":
        raise ServiceError(
            f"no links handed out: {closed_reason(wave, status, settings.timezone)}, so its "
            "links no longer take answers",
            field="wave",
        )


def _links(
    session: Session,
    wave: Wave,
    settings: MailingSettings,
    now: datetime,
    *,
    who: Who = "everyone",
    invitation_id: int | None = None,
) -> list[PersonalLink]:
    """The wave's links of current memberships, by team and name (read in the caller's
    transaction)."""
    query = (
        select(Invitation, Member.name, Member.email, Team.name)
        .join(Membership, Invitation.membership_id == Membership.id)
        .join(Member, Membership.member_id == Member.id)
        .join(Team, Membership.team_id == Team.id)
        .where(Invitation.wave_id == wave.id, current_membership(now.date()))
        .order_by(Team.name, Member.name, Member.email, Invitation.id)
    )
    if who == "not_submitted":
        query = query.where(Invitation.submitted_at.is_(None))
    if invitation_id is not None:
        query = query.where(Invitation.id == invitation_id)
    return [
        PersonalLink(
            invitation_id=invitation.id,
            name=name,
            email=email,
            team=team,
            wave=wave.number,
            link=invitation_url(
                settings.base_url, invitation_token(invitation, settings.secret_key)
            ),
            submitted=invitation.submitted_at is not None,
        )
        for invitation, name, email, team in session.execute(query).all()
    ]


def _hand_out(session: Session, invitation_ids: Sequence[int], now: datetime) -> int:
    """Mark the invitations not yet sent as handed out now; how many were."""
    if not invitation_ids:
        return 0
    result = session.execute(
        update(Invitation)
        .where(Invitation.id.in_(list(invitation_ids)), Invitation.sent_at.is_(None))
        .values(sent_at=now, sent_via="links", send_error=None)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


def export_links(
    session: Session,
    wave: Wave,
    settings: MailingSettings,
    actor: Actor,
    *,
    who: Who = "everyone",
    via: str = "web",
    now: datetime | None = None,
) -> list[PersonalLink]:
    """Every personal link of ``wave``, for a mail merge; committed and audited.

    The missing invitations are created first (one per current membership, as sending does).
    The invitations not yet sent count as sent from now on (``sent_via = "links"``): the
    evaluator hands them out. Audited as ``links.export`` (the wave, how many links, whose,
    how many were new), never with a link.

    Raises
    ------
    survey_app.services.errors.ServiceError
        When the wave has closed (its links would not work); nothing changes.
    """
    now = utcnow() if now is None else now
    _refuse_closed(wave, settings, now)
    wave_id, study_id, number = wave.id, wave.study_id, wave.number
    ensure_invitations(session, wave, settings.secret_key, today=now.date())
    with write_transaction(session):
        current = session.get(Wave, wave_id)
        if current is None:
            raise ServiceError("the wave no longer exists", field="wave")
        links = _links(session, current, settings, now, who=who)
        handed_out = _hand_out(session, [link.invitation_id for link in links], now)
        audit.record_action(
            session,
            actor,
            LINKS_ACTION,
            study_id=study_id,
            object_type="wave",
            object_id=wave_id,
            detail={"wave": number, "links": len(links), "who": who, "new": handed_out, "via": via},
        )
    return links


def show_link(
    session: Session,
    wave: Wave,
    invitation: Invitation,
    settings: MailingSettings,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> PersonalLink:
    """One person's link, to copy into a message; committed and audited as ``link.show``.

    Like a links download, showing it counts as handing it out when it was not sent yet.

    Raises
    ------
    survey_app.services.errors.ServiceError
        When the wave has closed, or the membership has ended.
    """
    now = utcnow() if now is None else now
    _refuse_closed(wave, settings, now)
    invitation_id, wave_id, study_id = invitation.id, wave.id, wave.study_id
    with write_transaction(session):
        current = session.get(Wave, wave_id)
        found = (
            []
            if current is None
            else _links(session, current, settings, now, invitation_id=invitation_id)
        )
        if not found:
            raise ServiceError(
                "this person is no longer a member of the team, so their link is not handed out",
                field="invitation",
            )
        handed_out = _hand_out(session, [invitation_id], now)
        audit.record_action(
            session,
            actor,
            LINK_ACTION,
            study_id=study_id,
            object_type="invitation",
            object_id=invitation_id,
            detail={"wave": found[0].wave, "new": handed_out},
        )
    return found[0]


def links_csv(links: Sequence[PersonalLink]) -> bytes:
    """The links as a CSV file for a mail merge: ``name,email,team,wave,link``.

    UTF-8 with a byte-order mark (so Excel shows accented names rightly), CRLF line ends, and
    every cell a spreadsheet would run as a formula neutralised
    (:func:`analysis.csv_cells.neutralise_row`): a roster name such as ``=HYPERLINK(...)`` stays
    text.

    Examples
    --------
    >>> row = PersonalLink(1, "=Ann", "ann@nhs.net", "Ward 7", 2, "https://x/s/abc", False)
    >>> links_csv([row]).decode("utf-8-sig").splitlines()
    ['name,email,team,wave,link', "'=Ann,ann@nhs.net,Ward 7,2,https://x/s/abc"]
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        neutralise_row((link.name, link.email, link.team, link.wave, link.link)) for link in links
    )
    return buffer.getvalue().encode("utf-8-sig")
