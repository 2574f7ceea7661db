"""Releases: what managers and team members see of closed waves, computed once and frozen.

Whatever an audience has seen it keeps (docs/architecture.md#privacy), so the figures managers
and team members see of a study are published as **releases** (table ``releases``), each
computed once and never changed afterwards:

- **When.** A new release is made only when its *basis* changes: a wave closed, the minimum
  cell or the content's layout changed, or data of the closed waves were removed (an erasure,
  a withdrawal, a purge past the retention period). A correction of a member, a late intervention,
  a renamed team change nothing that was released. The first request that needs the release
  makes it (:func:`publish`; :mod:`survey_app.services.dashboard` makes sure that only one
  server computes it at a time).
- **Checked against every earlier release.** The new figures go through
  :func:`reports.disclosure.check_release` with every earlier release of the study: a figure
  whose respondents differ by 1 to ``MIN_CELL - 1`` people from one shown before is withheld.
  So the figures of a wave re-released after someone's data were erased do not reappear
  without them (the difference would be that person), and a joiner's wave is not shown beside
  the wave before it.
- **Reopening refused.** A wave whose figures were released cannot be reopened or extended
  (:func:`release_refusal`, used by :func:`survey_app.services.waves.update_wave`): a late
  answer would change a figure that people have already seen.
- **Attributes as recorded.** Before releasing, every invitation of the closed waves gets its
  profession and organisation recorded if it has none yet (:mod:`survey_app.services.recorded`).

The stored content is the suppressed manager summaries (``release_content``), keyed by the
team's name in the bundle, with ``team_ids`` mapping each team id to that name. ``published``
holds the published figures with the respondent pseudonyms they rest on: they are read only by
the disclosure check, and an erasure renames the erased person's pseudonym in them
(:func:`forget_respondent`) so nothing in the database still leads to them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.bundle import restrict_to_waves
from reports.disclosure import Release as PublishedRelease
from reports.disclosure import cells_from_records, cells_to_records, rename_respondent
from survey_app.models import Invitation, Release, Response, Study, Wave
from survey_app.services import dashboard_content
from survey_app.services.export import ExportError, export_bundle, team_labels
from survey_app.services.recorded import RECORDED, current_of_invitation
from survey_app.services.transactions import end_read, write_transaction

__all__ = [
    "RELEASE_FORMAT",
    "PublishResult",
    "basis_fingerprint",
    "forget_respondent",
    "latest_release",
    "publish",
    "release_basis",
    "release_history",
    "release_refusal",
    "released_wave_numbers",
]

RELEASE_FORMAT = 1
"""The layout of a release's basis; raising it makes the next request publish anew."""


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` gives: the release now in force, or why there is none.

    Attributes
    ----------
    release : Release or None
        The latest release (made now or before); None when nothing could be released.
    error : str or None
        Why the closed waves could not be analysed (no responses yet, ...), if so.
    made_now : bool
        Whether this call made the release.
    """

    release: Release | None
    error: str | None
    made_now: bool


def _closed_waves(session: Session, study_id: int, now: datetime) -> list[Wave]:
    waves = session.scalars(select(Wave).where(Wave.study_id == study_id).order_by(Wave.number))
    return [w for w in waves if w.status(now) == "closed"]


def release_basis(
    session: Session, study: Study, *, now: datetime, min_cell: int, draw: bool, layout: int
) -> dict[str, Any]:
    """What a release of ``study`` at ``now`` would be made from (JSON-ready).

    The closed waves (number and instrument), the minimum cell, whether figures are drawn, the
    content's layout, and counts and id sums of the closed waves' submitted responses and
    invitations (these change only when data of closed waves are removed or added behind the
    app's back: an erasure, a withdrawal, a purge).
    """
    closed = _closed_waves(session, study.id, now)
    basis: dict[str, Any] = {
        "format": RELEASE_FORMAT,
        "layout": layout,
        "min_cell": min_cell,
        "figures": draw,
        "waves": [[w.number, w.instrument_id, w.instrument_version] for w in closed],
    }
    wave_ids = [w.id for w in closed]
    if wave_ids:
        responses = session.execute(
            select(func.count(Response.id), func.sum(Response.id))
            .join(Invitation, Response.invitation_id == Invitation.id)
            .where(Invitation.wave_id.in_(wave_ids), Response.submitted_at.is_not(None))
        ).one()
        invitations = session.execute(
            select(func.count(Invitation.id), func.sum(Invitation.id)).where(
                Invitation.wave_id.in_(wave_ids)
            )
        ).one()
        basis["responses"] = [int(value or 0) for value in responses]
        basis["invitations"] = [int(value or 0) for value in invitations]
    return basis


def basis_fingerprint(basis: dict[str, Any]) -> str:
    """A SHA-256 hex digest of a basis (the dashboard cache's fingerprint for managers)."""
    text = json.dumps(basis, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_release(session: Session, study_id: int) -> Release | None:
    """The study's release in force (the highest number), or None."""
    return session.scalar(
        select(Release).where(Release.study_id == study_id).order_by(Release.number.desc()).limit(1)
    )


def release_history(session: Session, study_id: int) -> list[PublishedRelease]:
    """Every release of the study as :mod:`reports.disclosure` checks against (oldest first)."""
    rows = session.execute(
        select(Release.number, Release.published)
        .where(Release.study_id == study_id)
        .order_by(Release.number)
    ).all()
    return [
        PublishedRelease(f"release {number}", cells_from_records(published or []))
        for number, published in rows
    ]


def released_wave_numbers(session: Session, study_id: int) -> dict[int, datetime]:
    """The study's waves whose figures were released, with when they first were."""
    first: dict[int, datetime] = {}
    rows = session.execute(
        select(Release.basis, Release.created_at)
        .where(Release.study_id == study_id)
        .order_by(Release.number)
    ).all()
    for basis, created_at in rows:
        for entry in (basis or {}).get("waves", []):
            first.setdefault(int(entry[0]), created_at)
    return first


def release_refusal(session: Session, wave: Wave, closes: datetime) -> str | None:
    """Why ``wave`` may not be given the closing time ``closes``, or None.

    A wave whose figures were released may not close later than it does (reopening or
    extending it would let a late answer change figures people have seen: the difference
    would be that answer).
    """
    released = released_wave_numbers(session, wave.study_id)
    if wave.number not in released or closes <= wave.closes:
        return None
    day = released[wave.number].strftime("%d %B %Y")
    return (
        f"wave {wave.number} cannot be reopened or extended: its figures were released to "
        f"managers and team members on {day}, and an answer arriving now would change figures "
        "they have already seen (the difference would reveal that answer)"
    )


def _record_attributes(session: Session, wave_ids: list[int]) -> None:
    """Record the profession and organisation of every invitation of ``wave_ids`` that has none."""
    with write_transaction(session):
        for name in RECORDED:
            session.execute(
                update(Invitation)
                .where(Invitation.wave_id.in_(wave_ids), getattr(Invitation, name).is_(None))
                .values({name: current_of_invitation(name)})
                .execution_options(synchronize_session=False)
            )


def publish(
    session: Session,
    study: Study,
    *,
    now: datetime,
    min_cell: int,
    draw: bool,
    layout: int,
) -> PublishResult:
    """The study's release in force, making a new one first if its basis changed.

    The new release covers every closed wave, is checked against every earlier release
    (:func:`reports.disclosure.check_release`) and is committed before it is returned. When two
    servers make the same release at once, the first to store it wins (``UNIQUE(study_id,
    number)``) and the other returns it.

    Returns
    -------
    PublishResult
        The release (None with the reason when the closed waves cannot be analysed yet, or
        none has closed).
    """
    study_id = study.id
    basis = release_basis(session, study, now=now, min_cell=min_cell, draw=draw, layout=layout)
    latest = latest_release(session, study_id)
    if latest is not None and basis_fingerprint(latest.basis) == basis_fingerprint(basis):
        end_read(session)
        return PublishResult(latest, None, made_now=False)
    number = 1 if latest is None else latest.number + 1
    closed = [int(entry[0]) for entry in basis["waves"]]
    if not closed:
        end_read(session)
        return PublishResult(latest, "no wave has closed yet", made_now=False)
    wave_ids = [w.id for w in _closed_waves(session, study_id, now)]
    end_read(session)
    _record_attributes(session, wave_ids)
    started = time.perf_counter()
    try:
        bundle = export_bundle(session, study)
        labels = team_labels(session, study)
        history = release_history(session, study_id)
    except ExportError as error:
        end_read(session)
        return PublishResult(latest, str(error), made_now=False)
    end_read(session)  # the data are read: no transaction open while analysing
    try:
        content, published = dashboard_content.release_content(
            restrict_to_waves(bundle, closed),
            min_cell=min_cell,
            draw=draw,
            earlier=history,
        )
    except dashboard_content.ContentError as error:
        return PublishResult(latest, str(error), made_now=False)
    content["team_ids"] = {str(ident): label for ident, label in sorted(labels.items())}
    content["release"] = number
    row = Release(
        study_id=study_id,
        number=number,
        created_at=now,
        compute_seconds=time.perf_counter() - started,
        min_cell=min_cell,
        basis=basis,
        content=content,
        published=cells_to_records(published),
    )
    try:
        with write_transaction(session):
            session.add(row)
    except IntegrityError:  # another server stored this release first: use theirs
        found = latest_release(session, study_id)
        end_read(session)
        return PublishResult(found, None, made_now=False)
    return PublishResult(row, None, made_now=True)


def forget_respondent(session: Session, study_id: int, pseudonym: str) -> int:
    """Rename ``pseudonym`` in every release of the study to a random name (the caller commits).

    After an erasure nothing in the database may still lead to the person; the releases keep
    the shape of their respondent sets (so later releases are still checked against what was
    shown) without the pseudonym.

    Returns
    -------
    int
        How many releases held the pseudonym.
    """
    anonymous = "erased-" + secrets.token_hex(8)
    changed = 0
    for row in session.scalars(select(Release).where(Release.study_id == study_id)):
        kept = PublishedRelease(str(row.number), cells_from_records(row.published or []))
        renamed = rename_respondent(kept, pseudonym, anonymous)
        if renamed != kept:
            row.published = cells_to_records(renamed.cells)
            changed += 1
    return changed
