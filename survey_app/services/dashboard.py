"""Dashboard data: what a user may open, and each study's computed dashboard, cached in the database.

A full analysis of a study takes seconds, and the app runs as several stateless servers, so
the computed dashboards live in the ``dashboard_snapshots`` table, one row per study and
audience, and are reused until the study's data changes:

- **Fingerprint.** :func:`data_fingerprint` hashes what the content depends on: the waves
  (number, status, instrument), the count and latest times of submitted responses, the
  invitations, the teams, the members' professions and organisations, the interventions,
  and the settings (minimum cell, figures, :data:`SNAPSHOT_FORMAT`). A stored snapshot with
  the same fingerprint is shown as it is; otherwise it is recomputed during the request and
  the page says when it was computed.
- **One computation at a time.** The request that recomputes first *claims* the row (an
  atomic ``UPDATE ... WHERE claim IS NULL``, on SQLite and PostgreSQL alike). Others meanwhile
  show the previous snapshot marked as being updated, or, when there is none yet, wait up
  to ``wait_seconds`` for it. A claim older than ``lease_seconds`` (a server that died
  mid-way) is taken over.
- **Closed waves only; managers see releases of them.** A wave still open changes as people
  respond: no verdict may rest on it (the evaluator view counts what the report counts,
  :func:`analysis.pipeline.analyse_bundle` leaves open waves out), and two looks at it whose ``n`` differ by fewer than
  ``MIN_CELL`` would reveal the late respondents' answers by subtraction (see
  :mod:`reports.suppression`). What managers (and team members) see is the study's latest
  *release* (:mod:`survey_app.services.releases`): closed waves only, computed once, frozen,
  and checked against every earlier release. The manager snapshot's fingerprint is the
  release's basis, so neither a response to an open wave nor a correction of a member
  recomputes any manager page; a wave closing (or an erasure) makes the next release. Every
  team of the study is suppressed jointly, so no two manager pages, whoever looks at them,
  can be subtracted from each other either; a team's verdict is withheld when figures it
  rests on are (a derived cell in :mod:`reports.suppression`, as in the printed brief); a
  stale manager snapshot (an earlier release, already seen) is shown while the next one is
  made only if it was made with at least the current minimum cell.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reports import DEFAULT_MIN_CELL, brief_html
from reports.pdf import html_to_pdf
from survey_app.config import DEFAULTS, setting
from survey_app.models import (
    DashboardSnapshot,
    Intervention,
    Invitation,
    Member,
    Response,
    Study,
    Team,
    Theme,
    User,
    Wave,
    WaveStatus,
    utcnow,
)
from survey_app.services import authorisation, dashboard_content, releases
from survey_app.services.audit import Actor, record_action
from survey_app.services.errors import ServiceError
from survey_app.services.export import export_bundle
from survey_app.services.transactions import end_read, write_transaction

__all__ = [
    "AUDIENCES",
    "REPORT_ACTION",
    "REPORT_FORMATS",
    "SNAPSHOT_FORMAT",
    "DashboardError",
    "DashboardSettings",
    "ReportFile",
    "Runner",
    "Snapshot",
    "StudyDashboard",
    "StudyEntry",
    "TeamDashboard",
    "TeamEntry",
    "TeamResults",
    "WaveState",
    "dashboard_team",
    "data_fingerprint",
    "evaluator_snapshot",
    "manager_snapshot",
    "manager_team_entries",
    "prepare_dashboards",
    "prepare_later",
    "released_brief",
    "report_file",
    "settings_from_config",
    "study_dashboard",
    "study_entries",
    "team_dashboard",
    "team_label",
    "team_results",
    "wave_states",
]

logger = logging.getLogger(__name__)

AUDIENCES = ("evaluator", "manager")
SNAPSHOT_FORMAT = 4
"""The layout of stored content; raising it makes every stored snapshot stale."""
REPORT_ACTION = "study.report"
BRIEF_ACTION = "team.brief"
"""The audit action of a report download (as for ``copkit report``)."""
REPORT_FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
"""The report's download formats and their content types."""


class DashboardError(ServiceError):
    """A dashboard or report cannot be given as asked; the message says why."""


@dataclass(frozen=True)
class DashboardSettings:
    """How dashboards are computed and cached (from the app's configuration).

    Attributes
    ----------
    min_cell : int
        ``MIN_CELL``: the smallest number of respondents a manager figure may rest on.
    figures : bool
        ``DASHBOARD_FIGURES``: draw the report's figures (the slow part of a computation).
    wait_seconds : float
        ``DASHBOARD_WAIT_SECONDS``: how long a request waits for another server's first
        computation of a study before showing "being prepared".
    lease_seconds : float
        ``DASHBOARD_LEASE_SECONDS``: after this long a computation is presumed dead and
        another request may take it over.
    poll_seconds : float
        How often a waiting request looks again.
    background : bool
        ``DASHBOARD_BACKGROUND``: a page whose dashboard must be computed starts the
        computation in the background (when the caller gives a runner) and shows the previous
        dashboard, or "being prepared", at once, instead of computing during the request.
    pdf : bool
        ``DASHBOARD_PDF``: an evaluator dashboard computed outside a request (in the
        background, or when a wave closes) also renders its report as PDF and keeps it, so
        that the first download does not wait for it.
    """

    min_cell: int = DEFAULT_MIN_CELL
    figures: bool = DEFAULTS["DASHBOARD_FIGURES"]
    wait_seconds: float = DEFAULTS["DASHBOARD_WAIT_SECONDS"]
    lease_seconds: float = DEFAULTS["DASHBOARD_LEASE_SECONDS"]
    poll_seconds: float = 0.25
    background: bool = False
    pdf: bool = DEFAULTS["DASHBOARD_PDF"]

    def __post_init__(self) -> None:
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, int):
            raise ValueError(f"min_cell must be a whole number, not {self.min_cell!r}")
        if self.min_cell < 1:
            raise ValueError(f"min_cell must be at least 1, not {self.min_cell}")
        for name in ("wait_seconds", "lease_seconds", "poll_seconds"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must not be negative")


def settings_from_config(config: Mapping[str, Any]) -> DashboardSettings:
    """The dashboard settings of an app's configuration (``MIN_CELL``, ``DASHBOARD_*``)."""
    return DashboardSettings(
        min_cell=int(setting(config, "MIN_CELL")),
        figures=bool(setting(config, "DASHBOARD_FIGURES")),
        wait_seconds=float(setting(config, "DASHBOARD_WAIT_SECONDS")),
        lease_seconds=float(setting(config, "DASHBOARD_LEASE_SECONDS")),
        background=bool(setting(config, "DASHBOARD_BACKGROUND")),
        pdf=bool(setting(config, "DASHBOARD_PDF")),
    )


@dataclass(frozen=True)
class WaveState:
    """A wave's number, dates and status at the time asked."""

    number: int
    status: WaveStatus
    opens: datetime
    closes: datetime


@dataclass(frozen=True)
class TeamEntry:
    """A team as listed on the dashboard home page."""

    id: int
    name: str
    theme: str
    study_id: int
    study_name: str


@dataclass(frozen=True)
class StudyEntry:
    """A study as listed on the dashboard home page, with its waves and teams."""

    id: int
    name: str
    waves: list[WaveState]
    teams: list[TeamEntry]


@dataclass(frozen=True)
class Snapshot:
    """A computed dashboard as stored.

    Attributes
    ----------
    audience : str
        ``"evaluator"`` or ``"manager"``.
    computed_at : datetime
        When the data it was computed from were read.
    compute_seconds : float
        How long the computation took.
    content : dict
        The JSON content (:func:`survey_app.services.dashboard_content.evaluator_content` or
        :func:`~survey_app.services.dashboard_content.manager_content`); empty on error.
    error : str or None
        Why the data could not be analysed, if so.
    fresh : bool
        Whether it reflects the data as they are now (False: being updated by another
        request).
    computed_now : bool
        Whether this request computed it.
    """

    audience: str
    computed_at: datetime
    compute_seconds: float
    content: dict[str, Any]
    error: str | None
    fresh: bool
    computed_now: bool


@dataclass(frozen=True)
class StudyDashboard:
    """What the evaluator page of a study shows."""

    study_id: int
    study_name: str
    snapshot: Snapshot
    waves: list[WaveState]


@dataclass(frozen=True)
class TeamDashboard:
    """What a team's manager page shows: that team's summary only.

    ``summary`` is None when the team has no data in a closed wave yet.
    """

    team_id: int
    team_name: str
    study_name: str
    snapshot: Snapshot
    summary: dict[str, Any] | None
    chart: str | None
    min_cell: int
    closed_waves: list[int]
    open_waves: list[int]
    release: int | None = None
    released_at: datetime | None = None


@dataclass(frozen=True)
class ReportFile:
    """The evaluator report ready to download."""

    filename: str
    mimetype: str
    data: bytes


@dataclass(frozen=True)
class _State:
    id: int
    fingerprint: str | None
    computed_at: datetime | None
    compute_seconds: float | None
    error: str | None
    claim: str | None


_STATE_COLUMNS = (
    DashboardSnapshot.id,
    DashboardSnapshot.fingerprint,
    DashboardSnapshot.computed_at,
    DashboardSnapshot.compute_seconds,
    DashboardSnapshot.error,
    DashboardSnapshot.claim,
)


def _check_audience(audience: str) -> None:
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")


# --- what a user may open ---------------------------------------------------------------


def wave_states(session: Session, study_id: int, now: datetime) -> list[WaveState]:
    """The study's waves in order, each with its status at ``now``."""
    waves = session.scalars(select(Wave).where(Wave.study_id == study_id).order_by(Wave.number))
    return [WaveState(w.number, w.status(now), w.opens, w.closes) for w in waves]


def _team_entries(session: Session, query: Any) -> list[TeamEntry]:
    rows = session.execute(
        query.join(Theme, Team.theme_id == Theme.id)
        .join(Study, Theme.study_id == Study.id)
        .order_by(Study.name, Theme.name, Team.name)
    ).all()
    return [TeamEntry(*row) for row in rows]


def _team_columns() -> Any:
    return select(Team.id, Team.name, Theme.name, Study.id, Study.name)


def study_entries(session: Session, user: User, *, now: datetime) -> list[StudyEntry]:
    """The studies ``user`` may open (admins: all), with their waves and teams."""
    studies = authorisation.visible_studies(session, user)
    if not studies:
        return []
    teams = _team_entries(session, _team_columns().where(Study.id.in_([s.id for s in studies])))
    return [
        StudyEntry(
            id=study.id,
            name=study.name,
            waves=wave_states(session, study.id, now),
            teams=[t for t in teams if t.study_id == study.id],
        )
        for study in studies
    ]


def manager_team_entries(session: Session, user: User) -> list[TeamEntry]:
    """The teams a manager manages (in their studies), by theme and name."""
    managed = authorisation.managed_team_ids(session, user)
    studies = authorisation.scope_study_ids(session, user)
    if not managed or not studies:
        return []
    query = _team_columns().where(Team.id.in_(sorted(managed)), Study.id.in_(studies))
    return _team_entries(session, query)


def dashboard_team(session: Session, user: User, team_id: int) -> tuple[Study, Team]:
    """The team ``team_id`` and its study, if ``user`` may see it.

    Raises
    ------
    survey_app.services.authorisation.NotInScopeError
        For an unknown team, another study's team, or (for a manager) a team they do not
        manage.
    """
    study_id = session.scalar(
        select(Theme.study_id).join(Team, Team.theme_id == Theme.id).where(Team.id == team_id)
    )
    if study_id is None:
        raise authorisation.NotInScopeError("team")
    study = authorisation.study_in_scope(session, user, study_id)
    return study, authorisation.team_in_scope(session, user, study, team_id)


def team_label(session: Session, team: Team) -> str:
    """The team's name in the study bundle: ``Theme/Team`` when two themes share the name."""
    same_name = session.scalar(
        select(func.count(Team.id))
        .join(Theme, Team.theme_id == Theme.id)
        .where(Theme.study_id == team.theme.study_id, Team.name == team.name)
    )
    return team.name if (same_name or 0) <= 1 else f"{team.theme.name}/{team.name}"


# --- the cache --------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def data_fingerprint(
    session: Session,
    study: Study,
    audience: str,
    *,
    now: datetime,
    settings: DashboardSettings,
) -> str:
    """A hash of everything the study's dashboard for ``audience`` is computed from.

    For managers it is the fingerprint of the next release's basis
    (:func:`survey_app.services.releases.release_basis`): closed waves, the minimum cell, and
    counts of the closed waves' data, so responses to an open wave and corrections of members
    leave it unchanged; a wave's closing changes it. For evaluators every closed wave counts
    (as in the report), with every change of its data; an open wave changes nothing.

    Returns
    -------
    str
        64 hexadecimal digits (SHA-256).
    """
    _check_audience(audience)
    if audience == "manager":
        basis = releases.release_basis(
            session,
            study,
            now=now,
            min_cell=settings.min_cell,
            draw=settings.figures,
            layout=SNAPSHOT_FORMAT,
        )
        return releases.basis_fingerprint(basis)
    waves = [  # closed waves only: the evaluator view counts what the report counts
        wave
        for wave in session.scalars(
            select(Wave).where(Wave.study_id == study.id).order_by(Wave.number)
        )
        if wave.status(now) == "closed"
    ]
    parts: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "audience": audience,
        "study": study.name,
        "figures": settings.figures,
        "min_cell": None,
        "waves": [[w.number, w.status(now), w.instrument_id, w.instrument_version] for w in waves],
    }
    wave_ids = [w.id for w in waves]
    if wave_ids:
        responses = session.execute(
            select(
                func.count(Response.id),
                func.max(Response.submitted_at),
                func.max(Response.updated_at),
            )
            .join(Invitation, Response.invitation_id == Invitation.id)
            .where(Invitation.wave_id.in_(wave_ids), Response.submitted_at.is_not(None))
        ).one()
        invitations = session.execute(
            select(
                func.count(Invitation.id),
                func.sum(Invitation.id),
                func.sum(Invitation.membership_id),
            ).where(Invitation.wave_id.in_(wave_ids))
        ).one()
        parts["responses"] = [int(responses[0]), _iso(responses[1]), _iso(responses[2])]
        parts["invitations"] = [int(value or 0) for value in invitations]
    parts["teams"] = [
        list(row)
        for row in session.execute(
            select(Team.id, Team.name, Theme.name)
            .join(Theme, Team.theme_id == Theme.id)
            .where(Theme.study_id == study.id)
            .order_by(Team.id)
        )
    ]
    parts["members"] = [
        list(row)
        for row in session.execute(
            select(Member.id, Member.profession, Member.organisation)
            .where(Member.study_id == study.id)
            .order_by(Member.id)
        )
    ]
    parts["interventions"] = [
        [ident, team, started.isoformat(), kind, description]
        for ident, team, started, kind, description in session.execute(
            select(
                Intervention.id,
                Intervention.team_id,
                Intervention.started_on,
                Intervention.kind,
                Intervention.description,
            )
            .join(Team, Intervention.team_id == Team.id)
            .join(Theme, Team.theme_id == Theme.id)
            .where(Theme.study_id == study.id)
            .order_by(Intervention.id)
        )
    ]
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _state(session: Session, study_id: int, audience: str) -> _State | None:
    row = session.execute(
        select(*_STATE_COLUMNS).where(
            DashboardSnapshot.study_id == study_id, DashboardSnapshot.audience == audience
        )
    ).one_or_none()
    return None if row is None else _State(*row)


def _state_by_id(session: Session, row_id: int) -> _State:
    row = session.execute(select(*_STATE_COLUMNS).where(DashboardSnapshot.id == row_id)).one()
    return _State(*row)


def _load(session: Session, state: _State, audience: str, *, fresh: bool) -> Snapshot:
    content = session.scalar(
        select(DashboardSnapshot.content).where(DashboardSnapshot.id == state.id)
    )
    if state.computed_at is None:
        raise RuntimeError("a snapshot that was never computed cannot be loaded")
    return Snapshot(
        audience=audience,
        computed_at=state.computed_at,
        compute_seconds=float(state.compute_seconds or 0.0),
        content=dict(content or {}),
        error=state.error,
        fresh=fresh,
        computed_now=False,
    )


def _create(session: Session, study_id: int, audience: str) -> int:
    """The id of the study's snapshot row for ``audience``, inserting an empty one if need be."""
    where = (DashboardSnapshot.study_id == study_id, DashboardSnapshot.audience == audience)
    try:
        with write_transaction(session):
            existing = session.scalar(select(DashboardSnapshot.id).where(*where))
            if existing is None:
                row = DashboardSnapshot(study_id=study_id, audience=audience)
                session.add(row)
                session.flush()
                existing = row.id
        return existing
    except IntegrityError:  # another server inserted it at the same moment (PostgreSQL)
        row_id = session.execute(select(DashboardSnapshot.id).where(*where)).scalar_one()
        end_read(session)
        return row_id


def _claim(session: Session, row_id: int, settings: DashboardSettings) -> str | None:
    """Claim the row for computing (atomically); the claim token, or None if taken."""
    token = secrets.token_hex(16)
    now = utcnow()
    expired = now - timedelta(seconds=settings.lease_seconds)
    with write_transaction(session):
        result = session.execute(
            update(DashboardSnapshot)
            .where(
                DashboardSnapshot.id == row_id,
                or_(DashboardSnapshot.claim.is_(None), DashboardSnapshot.claimed_at < expired),
            )
            .values(claim=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    claimed = cast(CursorResult[Any], result).rowcount == 1
    return token if claimed else None


def _release(session: Session, row_id: int, token: str) -> None:
    with write_transaction(session):
        session.execute(
            update(DashboardSnapshot)
            .where(DashboardSnapshot.id == row_id, DashboardSnapshot.claim == token)
            .values(claim=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )


def _empty_content(audience: str, settings: DashboardSettings) -> dict[str, Any]:
    if audience == "manager":
        return {"teams": {}, "charts": {}, "notes": [], "waves": [], "min_cell": settings.min_cell}
    return {"sections": [], "notes": [], "waves": [], "open_waves": []}


def _compute(
    session: Session,
    study: Study,
    audience: str,
    row_id: int,
    token: str,
    settings: DashboardSettings,
    now: datetime,
) -> Snapshot:
    """Compute the snapshot (the row is claimed by ``token``), store it and release the claim."""
    fingerprint = data_fingerprint(session, study, audience, now=now, settings=settings)
    started = time.perf_counter()
    if audience == "evaluator":
        content, report_html, error = _evaluator_content(session, study, settings, now)
    else:
        content, error = _release_content(session, study, settings, now)
        report_html = None
    if error is not None:
        logger.info("dashboard of study %s (%s) not computed: %s", study.id, audience, error)
        content = _empty_content(audience, settings)
    seconds = time.perf_counter() - started
    with write_transaction(session):
        session.execute(
            update(DashboardSnapshot)
            .where(DashboardSnapshot.id == row_id, DashboardSnapshot.claim == token)
            .values(
                fingerprint=fingerprint,
                computed_at=now,
                compute_seconds=seconds,
                content=content,
                error=error,
                report_html=report_html,
                report_pdf=None,
                claim=None,
                claimed_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    return Snapshot(audience, now, seconds, content, error, fresh=True, computed_now=True)


def _evaluator_content(
    session: Session, study: Study, settings: DashboardSettings, now: datetime
) -> tuple[dict[str, Any], str | None, str | None]:
    """The evaluator dashboard of closed waves, as the report counts them:
    ``(content, report_html, error)``."""
    name = study.name
    try:
        bundle = export_bundle(session, study, now=now)
    except ServiceError as exc:
        end_read(session)
        return _empty_content("evaluator", settings), None, str(exc)
    end_read(session)  # the data are read: hold no transaction open while analysing
    try:
        content, report_html = dashboard_content.evaluator_content(
            bundle, study_name=name, draw=settings.figures
        )
    except dashboard_content.ContentError as exc:
        return _empty_content("evaluator", settings), None, str(exc)
    return content, report_html, None


def _release_content(
    session: Session, study: Study, settings: DashboardSettings, now: datetime
) -> tuple[dict[str, Any], str | None]:
    """The study's release in force (made now if its basis changed): ``(content, error)``."""
    result = releases.publish(
        session,
        study,
        now=now,
        min_cell=settings.min_cell,
        draw=settings.figures,
        layout=SNAPSHOT_FORMAT,
    )
    if result.release is None:
        return _empty_content("manager", settings), result.error
    content = dict(result.release.content)
    content["released_at"] = result.release.created_at.isoformat()
    return content, None


def _usable_stale(snapshot: Snapshot, settings: DashboardSettings) -> bool:
    """Whether an out-of-date snapshot may still be shown while a new one is computed."""
    if snapshot.audience != "manager":
        return True
    return int(snapshot.content.get("min_cell", 0)) >= settings.min_cell


def _await_other(
    session: Session,
    row_id: int,
    fingerprint: str,
    audience: str,
    settings: DashboardSettings,
) -> Snapshot | None:
    """Another request is computing: the previous snapshot, or wait for the first one."""
    deadline = time.monotonic() + settings.wait_seconds
    while True:
        state = _state_by_id(session, row_id)
        snapshot: Snapshot | None = None
        if state.computed_at is not None:
            fresh = state.fingerprint == fingerprint
            snapshot = _load(session, state, audience, fresh=fresh)
            if not fresh and not _usable_stale(snapshot, settings):
                snapshot = None
        end_read(session)
        if snapshot is not None:
            return snapshot
        if time.monotonic() >= deadline:
            return None
        time.sleep(settings.poll_seconds)


Job = Callable[[Session], None]
Runner = Callable[[Job], None]
"""Runs a job later, outside the request, with a database session of its own (the web app
gives one that starts a thread in the app's context; see :data:`DashboardSettings.background`)."""


def _snapshot(
    session: Session,
    study: Study,
    audience: str,
    settings: DashboardSettings,
    now: datetime | None,
    later: Runner | None = None,
) -> Snapshot | None:
    _check_audience(audience)
    now = utcnow() if now is None else now
    fingerprint = data_fingerprint(session, study, audience, now=now, settings=settings)
    state = _state(session, study.id, audience)
    if state is not None and state.computed_at is not None and state.fingerprint == fingerprint:
        snapshot = _load(session, state, audience, fresh=True)
        end_read(session)
        return snapshot
    end_read(session)
    in_background = later is not None and settings.background
    if in_background:  # nobody waits: look once at what another computation left
        settings = dataclasses.replace(settings, wait_seconds=0.0)
    row_id = state.id if state is not None else _create(session, study.id, audience)
    token = _claim(session, row_id, settings)
    if token is None:
        return _await_other(session, row_id, fingerprint, audience, settings)
    try:
        state = _state_by_id(session, row_id)
        if state.computed_at is not None and state.fingerprint == fingerprint:
            snapshot = _load(session, state, audience, fresh=True)  # finished just before
            end_read(session)
            _release(session, row_id, token)
            return snapshot
        if in_background and later is not None:
            previous = _previous(session, state, audience, settings)
            later(_background_job(study.id, audience, row_id, token, settings, now))
            return previous
        return _compute(session, study, audience, row_id, token, settings, now)
    except BaseException:
        session.rollback()
        _release(session, row_id, token)
        raise


def _previous(
    session: Session, state: _State, audience: str, settings: DashboardSettings
) -> Snapshot | None:
    """The out-of-date snapshot to show while the new one is computed, if it may be shown."""
    snapshot = None
    if state.computed_at is not None:
        snapshot = _load(session, state, audience, fresh=False)
        if not _usable_stale(snapshot, settings):
            snapshot = None
    end_read(session)
    return snapshot


def _background_job(
    study_id: int,
    audience: str,
    row_id: int,
    token: str,
    settings: DashboardSettings,
    now: datetime,
) -> Job:
    """Compute the claimed snapshot with the job's own session; on failure release the claim
    (the next request claims it again) and log why."""

    def job(session: Session) -> None:
        try:
            study = session.get(Study, study_id)
            if study is None:  # deleted meanwhile
                _release(session, row_id, token)
                return
            _compute(session, study, audience, row_id, token, settings, now)
        except Exception:
            logger.exception(
                "dashboard of study %s (%s) failed in the background", study_id, audience
            )
            session.rollback()
            _release(session, row_id, token)
            return
        if audience == "evaluator" and settings.pdf:
            _keep_report_pdf_logged(session, study_id)

    return job


def _keep_report_pdf(session: Session, study_id: int) -> bytes | None:
    """The evaluator report of the study's stored dashboard as PDF: the one kept with the
    snapshot, or rendered now and kept with it (unless its data changed meanwhile); None
    while the snapshot has no report."""
    row = session.execute(
        select(
            DashboardSnapshot.id,
            DashboardSnapshot.fingerprint,
            DashboardSnapshot.report_html,
            DashboardSnapshot.report_pdf,
        ).where(DashboardSnapshot.study_id == study_id, DashboardSnapshot.audience == "evaluator")
    ).one_or_none()
    end_read(session)
    if row is None or row.report_html is None:
        return None
    if row.report_pdf is not None:
        return bytes(row.report_pdf)
    data = html_to_pdf(row.report_html)
    with write_transaction(session):
        session.execute(
            update(DashboardSnapshot)
            .where(
                DashboardSnapshot.id == row.id,
                DashboardSnapshot.fingerprint == row.fingerprint,
            )
            .values(report_pdf=data)
            .execution_options(synchronize_session=False)
        )
    return data


def _keep_report_pdf_logged(session: Session, study_id: int) -> None:
    """:func:`_keep_report_pdf` outside a request: a failure is logged (the download renders
    the PDF then), never raised."""
    try:
        _keep_report_pdf(session, study_id)
    except Exception:
        logger.exception("report PDF of study %s was not prepared", study_id)
        session.rollback()


def evaluator_snapshot(
    session: Session,
    study: Study,
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
    later: Runner | None = None,
) -> Snapshot | None:
    """The study's evaluator dashboard (every wave), recomputed if its data changed.

    Returns
    -------
    Snapshot or None
        None when another request is computing the first snapshot of the study and it did
        not finish within ``settings.wait_seconds``; with ``later`` and
        ``settings.background``, None (or the previous snapshot) at once while ``later``
        computes it.
    """
    return _snapshot(session, study, "evaluator", settings, now, later)


def manager_snapshot(
    session: Session,
    study: Study,
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
    later: Runner | None = None,
) -> Snapshot | None:
    """The study's manager dashboard (closed waves, every team suppressed jointly).

    Returns
    -------
    Snapshot or None
        As :func:`evaluator_snapshot`.
    """
    return _snapshot(session, study, "manager", settings, now, later)


def prepare_dashboards(
    session: Session,
    study: Study,
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
) -> dict[str, float]:
    """Compute and store the study's evaluator and manager dashboards now, where stale.

    Called when a wave closes (``copkit close-wave``), so that the first evaluator or manager
    who opens the results afterwards is served the stored result instead of waiting for the
    analysis. A dashboard whose data did not change is left as it is.

    Returns
    -------
    dict
        Seconds each audience's computation took (0 for one already up to date, NaN for one
        that another request was still computing after ``settings.wait_seconds``).
    """
    seconds: dict[str, float] = {}
    for audience in AUDIENCES:
        snapshot = _snapshot(session, study, audience, settings, now)
        if snapshot is None:
            seconds[audience] = float("nan")
        else:
            seconds[audience] = snapshot.compute_seconds if snapshot.computed_now else 0.0
    if settings.pdf:
        _keep_report_pdf_logged(session, study.id)
    return seconds


def prepare_later(study_id: int, later: Runner, *, settings: DashboardSettings) -> None:
    """Compute and store the study's dashboards outside the request (a wave was closed on the
    web), as :func:`prepare_dashboards` does for ``copkit close-wave``."""

    def job(session: Session) -> None:
        try:
            study = session.get(Study, study_id)
            if study is not None:
                prepare_dashboards(session, study, settings=settings)
        except Exception:
            logger.exception("dashboards of study %s were not prepared", study_id)
            session.rollback()

    later(job)


# --- pages and downloads ----------------------------------------------------------------


def study_dashboard(
    session: Session,
    study: Study,
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
    later: Runner | None = None,
) -> StudyDashboard | None:
    """The evaluator page of ``study`` (None: being prepared); the caller checked access."""
    now = utcnow() if now is None else now
    study_id, name = study.id, study.name
    snapshot = evaluator_snapshot(session, study, settings=settings, now=now, later=later)
    if snapshot is None:
        return None
    waves = wave_states(session, study_id, now)
    end_read(session)
    return StudyDashboard(study_id, name, snapshot, waves)


def team_dashboard(
    session: Session,
    study: Study,
    team: Team,
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
    later: Runner | None = None,
) -> TeamDashboard | None:
    """The manager page of ``team`` (None: being prepared); the caller checked access.

    Only this team's summary and chart leave the snapshot.
    """
    now = utcnow() if now is None else now
    label, team_id, study_name = team_label(session, team), team.id, study.name
    waves = wave_states(session, study.id, now)
    snapshot = manager_snapshot(session, study, settings=settings, now=now, later=later)
    if snapshot is None:
        return None
    content = snapshot.content
    label = content.get("team_ids", {}).get(str(team_id), label)  # its name when released
    summary = content.get("teams", {}).get(label)
    chart = content.get("charts", {}).get(label)
    released_at = content.get("released_at")
    return TeamDashboard(
        team_id=team_id,
        team_name=label,
        study_name=study_name,
        snapshot=snapshot,
        summary=summary,
        chart=chart,
        min_cell=int(snapshot.content.get("min_cell", settings.min_cell)),
        closed_waves=[int(w) for w in snapshot.content.get("waves", [])],
        open_waves=[w.number for w in waves if w.status == "open"],
        release=content.get("release"),
        released_at=None if released_at is None else datetime.fromisoformat(released_at),
    )


def released_brief(
    session: Session,
    study: Study,
    team_names: Sequence[str],
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
) -> str:
    """The manager brief of ``team_names`` as HTML, from the study's release in force.

    What ``copkit report STUDY --audience manager`` writes: exactly the figures the teams'
    dashboard pages show (closed waves, suppressed jointly and against every earlier release),
    never a fresh analysis of the live data.

    Raises
    ------
    DashboardError
        When the release is being prepared, nothing can be released yet, or a team is not in
        the release.
    """
    name = study.name
    snapshot = manager_snapshot(session, study, settings=settings, now=now)
    if snapshot is None:
        raise DashboardError("The release is being prepared. Try again in a minute.")
    if snapshot.error is not None:
        raise DashboardError(f"There is no release to brief from yet: {snapshot.error}")
    released = snapshot.content.get("teams", {})
    unknown = [team for team in team_names if team not in released]
    if unknown:
        raise DashboardError(
            f"no released results for team(s) {', '.join(unknown)} "
            f"(released: {', '.join(sorted(released)) or 'none'})"
        )
    return brief_html(
        [released[team] for team in team_names],
        title=f"{name}: manager brief",
        min_cell=int(snapshot.content.get("min_cell", settings.min_cell)),
    )


@dataclass(frozen=True)
class TeamResults:
    """What a team member sees of their team: the page a manager sees, or that it is not shared.

    ``shared`` is False when the study does not share results with team members; ``page`` is
    None then, and when the results are still being prepared.
    """

    shared: bool
    page: TeamDashboard | None


def team_results(
    session: Session,
    team_id: int,
    *,
    settings: DashboardSettings,
    now: datetime | None = None,
    later: Runner | None = None,
) -> TeamResults | None:
    """The released results of team ``team_id`` for its members (the link's holder).

    Exactly what the team's manager page shows (the study's latest release: closed waves,
    suppressed jointly, checked against every earlier release), unless the study switched
    sharing off (``studies.share_results``). With ``later`` the page is served from the
    stored release, as the managers' page is: the first look after a wave closed gets
    ``page`` None at once while ``later`` computes it (:func:`manager_snapshot`).

    Returns
    -------
    TeamResults or None
        None for an unknown team.
    """
    team = session.get(Team, team_id)
    if team is None:
        return None
    study = team.theme.study
    if not study.share_results:
        end_read(session)
        return TeamResults(shared=False, page=None)
    page = team_dashboard(session, study, team, settings=settings, now=now, later=later)
    return TeamResults(shared=True, page=page)


def _report_name(study_name: str, fmt: str) -> str:
    """The download's file name.

    Examples
    --------
    >>> _report_name("Heart Failure CLAHRC (2024)", "pdf")
    'heart-failure-clahrc-2024-report.pdf'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", study_name.lower()).strip("-")[:60] or "study"
    return f"{slug}-report.{fmt}"


def report_file(
    session: Session,
    study: Study,
    fmt: str,
    *,
    settings: DashboardSettings,
    actor: Actor,
    now: datetime | None = None,
) -> ReportFile:
    """The full evaluator report as HTML or PDF, audited as ``study.report`` (committed).

    The report is the one the dashboard shows (recomputed first if the data changed); its
    PDF is the one kept with the snapshot (rendered when the dashboard was computed outside
    a request, see ``DashboardSettings.pdf``), or rendered now and kept.

    Raises
    ------
    DashboardError
        For an unknown format, a report still being prepared, or data that cannot be
        analysed yet.
    """
    if fmt not in REPORT_FORMATS:
        raise DashboardError(f"unknown report format {fmt!r}; choose html or pdf")
    study_id, name = study.id, study.name
    snapshot = evaluator_snapshot(session, study, settings=settings, now=now)
    if snapshot is None:
        raise DashboardError("The report is being prepared. Try again in a minute.")
    if snapshot.error is not None:
        raise DashboardError(f"The report cannot be made yet: {snapshot.error}")
    if fmt == "html":
        html = session.scalar(
            select(DashboardSnapshot.report_html).where(
                DashboardSnapshot.study_id == study_id, DashboardSnapshot.audience == "evaluator"
            )
        )
        end_read(session)
        data = None if html is None else html.encode("utf-8")
    else:
        data = _keep_report_pdf(session, study_id)
    if data is None:
        raise DashboardError("The report is being prepared. Try again in a minute.")
    with write_transaction(session):
        record_action(
            session,
            actor,
            REPORT_ACTION,
            study_id=study_id,
            object_type="study",
            object_id=study_id,
            detail={
                "format": fmt,
                "waves": list(snapshot.content.get("waves", [])),
                "computed_at": snapshot.computed_at.isoformat(),
                "via": "dashboard",
            },
        )
    return ReportFile(_report_name(name, fmt), REPORT_FORMATS[fmt], data)


def team_brief_file(
    session: Session,
    study: Study,
    team: Team,
    *,
    settings: DashboardSettings,
    actor: Actor,
    now: datetime | None = None,
) -> ReportFile:
    """A team's manager brief as a one-page PDF, from the page the dashboard shows; audited.

    The brief is rendered from the team's summary in the manager snapshot, so it holds exactly
    what the team's dashboard page holds: closed waves only, every figure suppressed jointly
    with every other manager page of the study. The caller checked access to the team.

    Raises
    ------
    DashboardError
        When the snapshot is being prepared, the data cannot be analysed yet, or the team has
        no results yet.
    """
    page = team_dashboard(session, study, team, settings=settings, now=now)
    if page is None:
        raise DashboardError("The brief is being prepared. Try again in a minute.")
    if page.snapshot.error is not None or page.summary is None:
        raise DashboardError("This team has no results yet, so there is no brief to download.")
    title = f"{page.study_name}: manager brief for {page.team_name}"
    data = html_to_pdf(brief_html([page.summary], title=title, min_cell=page.min_cell))
    with write_transaction(session):
        record_action(
            session,
            actor,
            BRIEF_ACTION,
            study_id=study.id,
            object_type="team",
            object_id=page.team_id,
            detail={
                "format": "pdf",
                "waves": page.closed_waves,
                "computed_at": page.snapshot.computed_at.isoformat(),
            },
        )
    slug = re.sub(r"[^a-z0-9]+", "-", page.team_name.lower()).strip("-")[:60] or "team"
    return ReportFile(f"{slug}-brief.pdf", REPORT_FORMATS["pdf"], data)
