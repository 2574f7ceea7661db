"""Study exports: the database read into a pseudonymous study bundle, written out and audited."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.bundle import COLUMNS, Bundle, BundleError, read_bundle, write_bundle
from analysis.exports import EXPORT_FORMATS, SUFFIXES, write_export
from instruments import Instrument, InstrumentError
from instruments import load as load_instrument
from survey_app.database import begin_write
from survey_app.models import (
    Answer,
    Comment,
    Intervention,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Theme,
    Tie,
    User,
    Wave,
    utcnow,
)
from survey_app.services import audit
from survey_app.services.errors import ServiceError
from survey_app.services.transactions import transactional

EXPORT_ACTION = "study.export"
REPORT_ACTION = "study.report"
"""The audit action of every export (the format is in the event's detail)."""

PSEUDONYM_PREFIX = "R"
PSEUDONYM_HEX_DIGITS = 10
NOT_RECORDED = "not recorded"
"""The profession written for a member whose profession is empty (the bundle needs one)."""

MIMETYPES = {
    "bundle": "application/zip",
    "long-csv": "text/csv",
    "wide-csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "codebook": "text/markdown",
}
"""The download type of each format (a bundle downloads as .zip, a codebook as Markdown)."""

DOWNLOAD_NAMES = {
    "bundle": "bundle.zip",
    "long-csv": "long.csv",
    "wide-csv": "wide.csv",
    "xlsx": "data.xlsx",
    "sav": "data.sav",
    "dta": "data.dta",
    "codebook": "codebook.md",
}
"""The end of each format's download file name, after the study's name."""


class ExportError(ServiceError):
    """A study cannot be exported as asked; the message says why."""


@dataclass(frozen=True)
class StudyExport:
    """A study read from the database as a validated bundle, with what the codebook must say.

    Attributes
    ----------
    bundle : Bundle
        The pseudonymous study bundle (docs/architecture.md#bundle), validated by
        :func:`analysis.bundle.read_bundle`.
    study_id, study_name
        Which study.
    notes : tuple of str
        Provenance statements (pseudonyms, drafts, data left out and why) for the codebook.
    drafts : int
        Responses started but not submitted, which are not data and are not exported.
    """

    bundle: Bundle
    study_id: int
    study_name: str
    notes: tuple[str, ...]
    drafts: int = 0

    @property
    def respondents(self) -> int:
        """People with at least one submitted response."""
        return int(self.bundle.responses["respondent"].nunique())

    @property
    def responses(self) -> int:
        """Submitted responses (respondent x team x wave)."""
        keys = self.bundle.responses[["wave", "team", "respondent"]]
        return len(keys.drop_duplicates())


@dataclass(frozen=True)
class ExportFile:
    """An export ready to download: its file name, content type and bytes."""

    filename: str
    mimetype: str
    data: bytes


def pseudonym(secret: str, member_id: int) -> str:
    """The respondent pseudonym of a member: stable across waves and teams, not reversible.

    ``"R"`` followed by the first 10 hex digits of HMAC-SHA256 keyed with the study's secret
    over the member id in decimal. Without the secret nobody can tell whose pseudonym it is;
    with it the same member always gets the same pseudonym, so growth models can follow people.

    Examples
    --------
    >>> pseudonym("study secret", 42)
    'R4ee01af2db'
    >>> pseudonym("study secret", 42) == pseudonym("study secret", 42) != pseudonym("other", 42)
    True
    """
    if not secret:
        raise ValueError("a pseudonym needs the study's secret; it is empty")
    digest = hmac.new(secret.encode("utf-8"), str(member_id).encode("ascii"), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:PSEUDONYM_HEX_DIGITS]


def find_study(session: Session, name: str | None) -> Study:
    """The study called ``name``, or the only study when no name is given.

    Raises
    ------
    ExportError
        When there is no such study, no study at all, or several and no name.
    """
    names = list(session.scalars(select(Study.name).order_by(Study.name)))
    if name is None:
        if not names:
            raise ExportError("there is no study in the database to export")
        if len(names) > 1:
            raise ExportError(
                f"there are {len(names)} studies; name one with --study: "
                + ", ".join(f'"{n}"' for n in names)
            )
        name = names[0]
    study = session.scalar(select(Study).where(Study.name == name))
    if study is None:
        known = ", ".join(f'"{n}"' for n in names) or "none"
        raise ExportError(f'no study named "{name}" (studies: {known})')
    return study


def study_instrument(session: Session, study: Study) -> Instrument:
    """The instrument the study's bundle holds: the one every wave used, or its latest version.

    Waves may use different versions of one instrument when the latest keeps every item of
    the earlier ones with the same response scale (cop-health version 2 keeps all of version
    1): the bundle holds the latest, and the items an earlier wave did not ask are empty for
    its responses.

    Raises
    ------
    ExportError
        When the study has no waves, its waves used different instruments or versions whose
        items do not nest (naming each wave and what it used), or an instrument cannot be
        loaded.
    """
    waves = list(session.scalars(select(Wave).where(Wave.study_id == study.id)))
    if not waves:
        raise ExportError(f'study "{study.name}" has no waves, so there is nothing to export')
    used: dict[tuple[str, int], list[int]] = {}
    for wave in sorted(waves, key=lambda w: w.number):
        used.setdefault((wave.instrument_id, wave.instrument_version), []).append(wave.number)
    idents = {ident for ident, _ in used}
    loaded = {key: _load(study, *key) for key in sorted(used)} if len(idents) == 1 else {}
    latest = loaded[max(loaded)] if loaded else None
    if latest is None or not all(_nests(earlier, latest) for earlier in loaded.values()):
        parts = "; ".join(
            f"wave{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))} used "
            f"{ident} version {version}"
            for (ident, version), numbers in used.items()
        )
        raise ExportError(
            f'the waves of study "{study.name}" did not all use one instrument ({parts}); '
            "a bundle holds one instrument, or versions of one whose latest keeps every "
            "earlier item"
        )
    return latest


def _load(study: Study, ident: str, version: int) -> Instrument:
    try:
        return load_instrument(ident, version)
    except (InstrumentError, LookupError, OSError, ValueError) as error:
        raise ExportError(
            f'the instrument {ident} version {version} of study "{study.name}" '
            f"cannot be loaded: {error}"
        ) from error


def _nests(earlier: Instrument, latest: Instrument) -> bool:
    """Whether ``latest`` asks every item of ``earlier`` on the same response scale."""
    return all(
        item_id in latest.items and latest.items[item_id].response_scale == item.response_scale
        for item_id, item in earlier.items.items()
    )


def team_labels(session: Session, study: Study) -> dict[int, str]:
    """Team names, written ``Theme/Team`` where two themes have a team of the same name."""
    rows = session.execute(
        select(Team.id, Team.name, Theme.name).join(Theme).where(Theme.study_id == study.id)
    ).all()
    counts = Counter(name for _, name, _ in rows)
    return {
        ident: (name if counts[name] == 1 else f"{theme}/{name}") for ident, name, theme in rows
    }


def _intervention_wave(started_on: date, wave_opens: list[tuple[date, int]]) -> int:
    """The first wave that opens after the day the intervention began (else the next one)."""
    later = [number for opens, number in sorted(wave_opens) if opens > started_on]
    if later:
        return later[0]
    return max((number for _, number in wave_opens), default=0) + 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def build_export(session: Session, study: Study, *, secret: str | None = None) -> StudyExport:
    """Read ``study`` from the database as a pseudonymous, validated study bundle.

    What goes in (docs/architecture.md#bundle):

    - ``roster.csv``: every invitation of every wave, one row per wave x team x invitee, with
      ``responded`` = 1 when the invitation has a submitted response; profession and
      organisation as recorded for that wave (:mod:`survey_app.services.recorded`; a later
      correction of the member does not rewrite past waves; an empty profession is written
      ``not recorded``).
    - ``responses.csv``: submitted responses only (drafts are not data); one row per scored
      item of the instrument for each response, the value empty when not answered.
    - ``ties.csv``: the knowledge ties of submitted responses, from the respondent to the
      named member's pseudonym.
    - ``interventions.csv``: ``wave`` is the first wave whose opening day is after the day the
      intervention began (one more than the last wave when none has been scheduled yet).
    - ``comments.csv``: non-empty free-text answers of submitted responses.
    - ``instrument.yaml``: the one instrument all the study's waves used.

    Respondents appear only as :func:`pseudonym` (HMAC of the member id keyed with the study
    secret); no name or email is read. Teams are named by their name (``Theme/Team`` where a
    name is used in two themes). Rows the bundle contract cannot hold are left out and said so
    in :attr:`StudyExport.notes`: answers to items the instrument does not have, values outside
    an item's scale (exported as missing), ties to people not on that wave's team roster,
    comments to unknown questions, interventions in teams never surveyed.

    Parameters
    ----------
    session
        A database session; only read.
    study
        The study to export.
    secret
        Key for the pseudonyms instead of the study's own secret (e.g. to match another export).

    Raises
    ------
    ExportError
        When the study has no waves, its waves used different instruments, or two members
        would share a pseudonym.
    """
    instrument = study_instrument(session, study)
    key = study.secret if secret is None else secret
    if not key:
        raise ExportError(f'study "{study.name}" has no secret to derive pseudonyms from')
    teams = team_labels(session, study)
    aliases = _Pseudonyms(key)
    roster = _read_roster(session, study, teams, aliases)
    if aliases.collide():
        raise ExportError(
            f'two members of study "{study.name}" would share a pseudonym; '
            "change the study secret and export again"
        )
    left_out = _LeftOut()
    # first: reading the answers marks who preferred not to answer the roster question
    responses = _frame(_response_rows(session, instrument, roster, left_out), "responses.csv")
    raw = Bundle(
        responses=responses,
        ties=_frame(_tie_rows(session, roster, aliases, left_out), "ties.csv"),
        roster=_roster_frame(roster.rows),
        interventions=_frame(
            _intervention_rows(session, study, teams, roster, left_out), "interventions.csv"
        ),
        instrument=instrument,
        comments=_frame(_comment_rows(session, instrument, roster, left_out), "comments.csv"),
    )
    return StudyExport(
        bundle=_validated(raw, study),
        study_id=study.id,
        study_name=study.name,
        notes=_notes(study, instrument, roster.drafts, left_out),
        drafts=roster.drafts,
    )


class _Pseudonyms:
    """Each member's :func:`pseudonym`, computed once per member."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.given: dict[int, str] = {}

    def __call__(self, member_id: int) -> str:
        if member_id not in self.given:
            self.given[member_id] = pseudonym(self.key, member_id)
        return self.given[member_id]

    def collide(self) -> bool:
        """Whether two members given a pseudonym so far share it."""
        return len(set(self.given.values())) < len(self.given)


@dataclass
class _Roster:
    """The roster rows, and the submitted responses (response id -> its roster row)."""

    rows: list[dict[str, Any]]
    submitted: dict[int, dict[str, Any]]
    drafts: int
    """Responses started but not submitted (not data)."""

    def keys(self) -> set[tuple[Any, Any, Any]]:
        """(wave, team, respondent) of every roster row."""
        return {(r["wave"], r["team"], r["respondent"]) for r in self.rows}


@dataclass
class _LeftOut:
    """What the bundle contract cannot hold, counted for the notes."""

    unknown_items: Counter[str] = field(default_factory=Counter)
    out_of_range: int = 0
    off_roster_ties: int = 0
    unknown_comments: int = 0
    unsurveyed: int = 0


def _read_roster(
    session: Session, study: Study, teams: dict[int, str], aliases: _Pseudonyms
) -> _Roster:
    """Every invitation of the study's teams as a roster row; submitted responses and drafts."""
    invitations = session.execute(
        select(
            Invitation.id,
            Wave.number,
            Membership.team_id,
            Member.id,
            # as recorded for the wave (services/recorded.py); the member's own for old rows
            func.coalesce(Invitation.profession, Member.profession),
            func.coalesce(Invitation.organisation, Member.organisation),
            Member.role,
            Response.id,
            Response.submitted_at,
        )
        .join(Wave, Invitation.wave_id == Wave.id)
        .join(Membership, Invitation.membership_id == Membership.id)
        .join(Member, Membership.member_id == Member.id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Wave.study_id == study.id, Member.study_id == study.id)
        .order_by(Wave.number, Membership.team_id, Member.id)
    ).all()
    roster = _Roster(rows=[], submitted={}, drafts=0)
    for _, wave, team_id, member_id, profession, organisation, role, response_id, at in invitations:
        if team_id not in teams:
            continue  # a membership in another study's team: not this study's data
        row = {
            "wave": wave,
            "team": teams[team_id],
            "respondent": aliases(member_id),
            "profession": (profession or "").strip() or NOT_RECORDED,
            "organisation": (organisation or "").strip(),
            "responded": response_id is not None and at is not None,
            "network_answered": response_id is not None and at is not None,
            "role": (role or "").strip(),
        }
        roster.rows.append(row)
        if response_id is None:
            continue
        if at is None:
            roster.drafts += 1
        else:
            roster.submitted[response_id] = row
    return roster


def _response_rows(
    session: Session, instrument: Instrument, roster: _Roster, left_out: _LeftOut
) -> list[dict[str, Any]]:
    """One row per scored item for each submitted response; unanswered or invalid is NaN.

    Marks the roster row of a response that chose "Prefer not to answer" on the roster
    question (``network_answered`` false), so it must run before the roster is framed.
    """
    items = instrument.items
    answers: dict[int, dict[str, float]] = {rid: {} for rid in roster.submitted}
    network_id = instrument.network.id if instrument.network is not None else None
    for response_id, item_id, value in _rows(
        session, select(Answer.response_id, Answer.item_id, Answer.value), Answer, roster.submitted
    ):
        if item_id == network_id and value is None:
            # "Prefer not to answer" on the roster question: missing, not zero ties
            roster.submitted[response_id]["network_answered"] = False
            continue
        if item_id not in items:
            left_out.unknown_items[item_id] += 1
            continue
        scale = items[item_id].response_scale
        if value is not None and math.isfinite(value) and scale.min <= value <= scale.max:
            answers[response_id][item_id] = float(value)
        elif value is not None:
            left_out.out_of_range += 1
    key_columns = COLUMNS["responses.csv"][:5]
    return [
        {
            **{c: keys[c] for c in key_columns},
            "item": item_id,
            "value": answers[response_id].get(item_id, float("nan")),
        }
        for response_id, keys in roster.submitted.items()
        for item_id in items
    ]


def _tie_rows(
    session: Session, roster: _Roster, aliases: _Pseudonyms, left_out: _LeftOut
) -> list[dict[str, Any]]:
    """Ties of submitted responses to someone else on that wave's team roster."""
    roster_keys = roster.keys()
    tie_rows: list[dict[str, Any]] = []
    for response_id, alter_id in _rows(
        session, select(Tie.response_id, Tie.alter_member_id), Tie, roster.submitted
    ):
        source = roster.submitted[response_id]
        target = aliases(alter_id)
        if target == source["respondent"] or (source["wave"], source["team"], target) not in (
            roster_keys
        ):
            left_out.off_roster_ties += 1
            continue
        tie_rows.append(
            {
                "wave": source["wave"],
                "team": source["team"],
                "source": source["respondent"],
                "target": target,
            }
        )
    return tie_rows


def _comment_rows(
    session: Session, instrument: Instrument, roster: _Roster, left_out: _LeftOut
) -> list[dict[str, Any]]:
    """Non-empty answers of submitted responses to the instrument's free-text questions."""
    comment_rows: list[dict[str, Any]] = []
    comment_ids = set(instrument.comment_ids)
    for response_id, item_id, text in _rows(
        session,
        select(Comment.response_id, Comment.item_id, Comment.text),
        Comment,
        roster.submitted,
    ):
        if not (text or "").strip():
            continue
        if item_id not in comment_ids:
            left_out.unknown_comments += 1
            continue
        keys = roster.submitted[response_id]
        comment_rows.append(
            {
                "wave": keys["wave"],
                "team": keys["team"],
                "respondent": keys["respondent"],
                "item": item_id,
                "text": text.strip(),
            }
        )
    return comment_rows


def _intervention_rows(
    session: Session,
    study: Study,
    teams: dict[int, str],
    roster: _Roster,
    left_out: _LeftOut,
) -> list[dict[str, Any]]:
    """Interventions of surveyed teams, each in the first wave opening after it began."""
    waves = session.execute(select(Wave.number, Wave.opens).where(Wave.study_id == study.id))
    wave_opens = [(opens.date(), number) for number, opens in waves]
    surveyed = {r["team"] for r in roster.rows}
    intervention_rows: list[dict[str, Any]] = []
    for team_id, started_on, kind, description in session.execute(
        select(
            Intervention.team_id,
            Intervention.started_on,
            Intervention.kind,
            Intervention.description,
        )
        .where(Intervention.team_id.in_(list(teams)))
        .order_by(Intervention.started_on, Intervention.id)
    ):
        if teams[team_id] not in surveyed:
            left_out.unsurveyed += 1
            continue
        intervention_rows.append(
            {
                "team": teams[team_id],
                "wave": _intervention_wave(started_on, wave_opens),
                "kind": (kind or "").strip() or "unspecified",
                "description": " ".join((description or "").split()),
            }
        )
    return intervention_rows


def _notes(
    study: Study, instrument: Instrument, drafts: int, left_out: _LeftOut
) -> tuple[str, ...]:
    """The codebook's provenance statements: what the export is, and what it left out."""
    notes = [
        f'Study "{study.name}", instrument {instrument.id} version {instrument.version}.',
        "Respondents are pseudonymous: respondent = 'R' + the first 10 hex digits of "
        "HMAC-SHA256(study secret, member id). The same person has the same pseudonym in every "
        "wave and team. No names or email addresses are exported.",
        "Only submitted responses are data: drafts (started but not submitted) are not "
        "exported, and their invitees count as not responded in the roster "
        f"(drafts left out: {drafts}).",
        "Every scored item of the instrument has a row for every submitted response in the "
        "long data; an empty value means the item was not answered.",
        "An intervention belongs to the first wave that opens after the day it began (the wave "
        "after the last one when no later wave has been scheduled yet).",
    ]
    return tuple(notes + _left_out_notes(left_out))


def _left_out_notes(left_out: _LeftOut) -> list[str]:
    notes: list[str] = []
    if left_out.unknown_items:
        listed = ", ".join(sorted(left_out.unknown_items))
        notes.append(
            f"Left out: {_plural(sum(left_out.unknown_items.values()), 'answer')} to items that "
            f"are not in the instrument ({listed})."
        )
    if left_out.out_of_range:
        notes.append(
            f"Set to missing: {_plural(left_out.out_of_range, 'answer')} outside the item's "
            "response scale."
        )
    if left_out.off_roster_ties:
        notes.append(
            f"Left out: {_plural(left_out.off_roster_ties, 'knowledge tie')} naming someone not "
            "on that wave's team roster (or the respondent themself)."
        )
    if left_out.unknown_comments:
        notes.append(
            f"Left out: {_plural(left_out.unknown_comments, 'comment')} to free-text questions "
            "the instrument does not have."
        )
    if left_out.unsurveyed:
        notes.append(
            f"Left out: {_plural(left_out.unsurveyed, 'intervention')} in teams with no "
            "invitations yet."
        )
    return notes


def _validated(raw: Bundle, study: Study) -> Bundle:
    """``raw`` written and read back, so the export is exactly what a bundle reader sees."""
    with tempfile.TemporaryDirectory(prefix="copkit-export-") as folder:
        try:
            bundle = read_bundle(write_bundle(raw, Path(folder) / "bundle"))
        except BundleError as error:  # pragma: no cover - a bug in this module, not bad data
            raise ExportError(
                f'the export of study "{study.name}" is not valid: {error}'
            ) from error
    return replace(bundle, source=f"study {study.name}")


def _rows(
    session: Session,
    query: Any,
    table: type[Answer] | type[Tie] | type[Comment],
    submitted: dict[int, dict[str, Any]],
) -> Iterable[Any]:
    """Rows of ``query`` (over ``table``) belonging to the submitted responses, in id order."""
    if not submitted:
        return []
    ids = list(submitted)
    rows: list[Any] = []
    for start in range(0, len(ids), 500):  # bounded IN lists for large studies
        chunk = ids[start : start + 500]
        rows.extend(session.execute(query.where(table.response_id.in_(chunk))).all())
    return sorted(rows, key=lambda row: tuple(row))


def _roster_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``roster.csv``, with ``role`` only when some member has a role (KTA, facilitator ...),
    and ``network_answered`` only when someone who responded chose "Prefer not to answer" on
    the roster question (otherwise it equals ``responded``): a study using neither exports the
    same bytes as before they existed."""
    frame = _frame(rows, "roster.csv")
    if any(row["role"] for row in rows):
        frame["role"] = [row["role"] for row in rows]
    if any(row["network_answered"] != row["responded"] for row in rows):
        frame["network_answered"] = [row["network_answered"] for row in rows]
    return frame


def _frame(rows: list[dict[str, Any]], file: str) -> pd.DataFrame:
    columns = list(COLUMNS[file])
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.DataFrame(rows, columns=columns)


def wave_schedule(session: Session, study: Study, now: datetime | None = None) -> pd.DataFrame:
    """The study's waves as the bundle's ``waves.csv``: ``wave, opens, closes, status``.

    Dates are the days the wave opened and closed (an early close replaces the planned one);
    ``status`` is as of ``now`` (default: the current time).
    """
    now = utcnow() if now is None else now
    waves = session.scalars(select(Wave).where(Wave.study_id == study.id).order_by(Wave.number))
    rows = [
        {
            "wave": wave.number,
            "opens": wave.opens.date().isoformat(),
            "closes": min(wave.closes, wave.closed_early_at or wave.closes).date().isoformat(),
            "status": wave.status(now),
        }
        for wave in waves
    ]
    return _frame(rows, "waves.csv")


def export_bundle(
    session: Session, study: Study, *, secret: str | None = None, now: datetime | None = None
) -> Bundle:
    """The study as a pseudonymous, validated study bundle (see :func:`build_export`), with its
    wave schedule as of ``now`` (:func:`wave_schedule`), so an analysis can leave out waves
    still open."""
    return _scheduled_export(session, study, secret=secret, now=now).bundle


def _scheduled_export(
    session: Session, study: Study, *, secret: str | None = None, now: datetime | None = None
) -> StudyExport:
    """:func:`build_export` with the wave schedule in its bundle (a bundle writes ``waves.csv``)."""
    export = build_export(session, study, secret=secret)
    return replace(
        export, bundle=replace(export.bundle, schedule=wave_schedule(session, study, now))
    )


def check_format(fmt: str) -> None:
    """Raise :class:`ExportError` unless ``fmt`` is one of the export formats."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f'unknown export format "{fmt}" (formats: {", ".join(EXPORT_FORMATS)})')


def check_target(fmt: str, path: Path) -> None:
    """Raise :class:`ExportError` when ``path`` is not a place to write a ``fmt`` export.

    A bundle goes to a ``.zip`` file or to a folder that is new or empty (a stale file left in a
    used folder would become part of the bundle); other formats need their file ending.
    """
    check_format(fmt)
    suffix = path.suffix.lower()
    if fmt == "bundle":
        if suffix == ".zip":
            if path.is_dir():
                raise ExportError(f"{path} is a folder, not a .zip file")
        elif path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise ExportError(
                f"{path} already exists and is not an empty folder; "
                "give a new folder or a .zip file for the bundle"
            )
        return
    if suffix not in SUFFIXES[fmt]:
        wanted = " or ".join(SUFFIXES[fmt])
        raise ExportError(f"--out for the {fmt} format must end in {wanted}, not {path.name!r}")
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name ending in {suffix}")


def _audit_export(
    session: Session,
    export: StudyExport,
    fmt: str,
    target: str,
    *,
    user: User | None,
    actor: str | None,
    ip: str | None,
) -> None:
    """Record the export in the audit trail, in a write transaction of its own, and commit."""
    detail = {
        "format": fmt,
        "file": target,
        "waves": export.bundle.waves,
        "teams": len(export.bundle.teams),
        "respondents": export.respondents,
        "responses": export.responses,
    }
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("the session has uncommitted changes; commit them before exporting")
    session.commit()  # end the read transaction (nothing was changed) before the write
    begin_write(session)
    audit.record(
        session,
        EXPORT_ACTION,
        user=user,
        actor=actor,
        study_id=export.study_id,
        object_type="study",
        object_id=export.study_id,
        detail=detail,
        ip=ip,
    )
    session.commit()


def write_study_export(
    session: Session,
    study: Study,
    fmt: str,
    path: str | Path,
    *,
    user: User | None = None,
    actor: str | None = None,
    ip: str | None = None,
) -> StudyExport:
    """Export ``study`` in ``fmt`` to ``path`` and record it in the audit trail (committed).

    Parameters
    ----------
    session
        A session with no uncommitted changes: the audit event is committed on it.
    study
        The study to export.
    fmt
        One of :data:`analysis.exports.EXPORT_FORMATS`.
    path
        The file (or, for a bundle, the new folder or ``.zip``) to write.
    user, actor, ip
        Who exported, for the audit trail (``actor="cli"`` from the command line).

    Raises
    ------
    ExportError
        For an unknown format, an unsuitable path, or a study that cannot be exported.
    """
    target = Path(path)
    check_target(fmt, target)
    export = _scheduled_export(session, study)
    write_export(export.bundle, fmt, target, title=export.study_name, notes=export.notes)
    _audit_export(session, export, fmt, target.name, user=user, actor=actor, ip=ip)
    return export


@transactional
def record_report(
    session: Session, study: Study, detail: dict[str, Any], *, actor: str | None = None
) -> None:
    """Record in the audit trail that a report of ``study`` was made (committed).

    ``detail`` says what the report covered (``{"waves": [...]}``, or the audience and teams of
    a manager brief); ``actor="cli"`` from the command line.
    """
    audit.record(
        session,
        REPORT_ACTION,
        actor=actor,
        study_id=study.id,
        object_type="study",
        object_id=study.id,
        detail=detail,
    )


def download_name(study_name: str, fmt: str) -> str:
    """The file name a download of ``fmt`` gets, e.g. ``heart-failure-clahrc-data.sav``.

    Examples
    --------
    >>> download_name("Heart Failure CLAHRC (2024)", "sav")
    'heart-failure-clahrc-2024-data.sav'
    """
    check_format(fmt)
    slug = re.sub(r"[^a-z0-9]+", "-", study_name.lower()).strip("-")[:60] or "study"
    return f"{slug}-{DOWNLOAD_NAMES[fmt]}"


def export_download(
    session: Session, study: Study, fmt: str, *, user: User, ip: str | None = None
) -> ExportFile:
    """Export ``study`` in ``fmt`` as a file to download, audited (committed) first.

    A bundle downloads as a ``.zip`` and a codebook as Markdown. The caller has checked that
    ``user`` may export the study.
    """
    check_format(fmt)
    name = download_name(study.name, fmt)
    export = _scheduled_export(session, study)
    with tempfile.TemporaryDirectory(prefix="copkit-download-") as folder:
        written = write_export(
            export.bundle, fmt, Path(folder) / name, title=export.study_name, notes=export.notes
        )
        data = written.read_bytes()
    _audit_export(session, export, fmt, name, user=user, actor=None, ip=ip)
    return ExportFile(filename=name, mimetype=MIMETYPES[fmt], data=data)
