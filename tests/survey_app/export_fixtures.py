"""Test data for exports: a study with two surveyed teams, three waves, answers, ties and more.

Build it with :func:`build_export_study` (rows made directly with the models, then committed).
The :class:`ExportSetup` it returns knows every name and email (to prove none is exported) and
every submitted answer (to check the exported values).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from instruments import load as load_instrument
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
    Wave,
)

STUDY_NAME = "Export test CLAHRC"
SECRET = "export-test-secret"
HF_TEAM = "HF community"
CKD_TEAM = "CKD community"
IDLE_TEAM = "Never surveyed"
WAVE_OPENS = (
    datetime(2024, 1, 8, 9, tzinfo=UTC),
    datetime(2024, 4, 8, 9, tzinfo=UTC),
    datetime(2024, 7, 8, 9, tzinfo=UTC),
)

# handle: (name, email, profession, organisation, organisation type)
MEMBERS: dict[str, tuple[str, str, str, str, str]] = {
    "aisha": (
        "Aisha Patel",
        "aisha.patel@srft.nhs.uk",
        "nurse",
        "Salford Royal",
        "acute trust",
    ),
    "bernard": (
        "Bernard O'Neill",
        "b.oneill@lakeside.nhs.uk",
        "GP",
        "Lakeside Practice",
        "general practice",
    ),
    "chen": ("Chen Wei", "chen.wei@srft.nhs.uk", "pharmacist", "Salford Royal", "acute trust"),
    "dorota": (
        "Dorota Nowak",
        "dorota.nowak@manchester.ac.uk",
        "academic",
        "University of Manchester",
        "university",
    ),
    "emeka": ("Emeka Obi", "emeka.obi@srft.nhs.uk", "manager", "Salford Royal", "acute trust"),
    "fiona": (
        "Fiona Grant",
        "fiona.grant@manchester.ac.uk",
        "KTA",
        "University of Manchester",
        "university",
    ),
    "gita": ("Gita Rao", "gita.rao@cmft.nhs.uk", "nurse", "Central Manchester", "acute trust"),
    "hamid": (
        "Hamid Khan",
        "hamid.khan@parkside.nhs.uk",
        "GP",
        "Parkside Practice",
        "general practice",
    ),
    "isla": (
        "Isla Brown",
        "isla.brown@manchester.ac.uk",
        "academic",
        "University of Manchester",
        "university",
    ),
    "jonas": (
        "Jonas Berg",
        "jonas.berg@cmft.nhs.uk",
        "pharmacist",
        "Central Manchester",
        "acute trust",
    ),
}
TEAMS: dict[str, tuple[str, ...]] = {
    HF_TEAM: ("aisha", "bernard", "chen", "dorota", "emeka", "fiona"),
    CKD_TEAM: ("aisha", "gita", "hamid", "isla", "jonas"),
}
LATE_JOINER = "fiona"
"""Joins the HF team for wave 2: not invited in wave 1."""
NOT_RESPONDED = {("emeka", HF_TEAM, 1), ("jonas", CKD_TEAM, 3)}
DRAFTS = {("hamid", CKD_TEAM, 2)}
"""Started, answered some items, never submitted: not data."""
SKIPPED = {("bernard", HF_TEAM, 1): "me2", ("gita", CKD_TEAM, 2): "je4"}
"""An item answered with null (skipped) in a submitted response."""
ABSENT = {("chen", HF_TEAM, 3): ("sr1", "sr2")}
"""Items with no answer row at all in a submitted response."""
OUT_OF_RANGE = ("isla", CKD_TEAM, 1, "ci1", 9.0)
"""An answer outside the 1..7 scale (bad data from an old import): exported as missing."""
COMMENTS = {
    ("aisha", HF_TEAM, 2): ("helped", "The monthly huddle = real progress; we share one plan."),
    ("gita", CKD_TEAM, 3): ("hindered", "Clinic pressure, again."),
}


@dataclass
class ExportSetup:
    """What :func:`build_export_study` made."""

    study_id: int
    member_ids: dict[str, int] = field(default_factory=dict)
    answers: dict[tuple[str, str, int], dict[str, float | None]] = field(default_factory=dict)
    """Submitted answers by (handle, team, wave): item -> value (None = skipped)."""
    ties: set[tuple[int, str, str, str]] = field(default_factory=set)
    """Exportable ties: (wave, team, source handle, target handle)."""
    invited: set[tuple[str, str, int]] = field(default_factory=set)

    @property
    def names(self) -> list[str]:
        """Every member's name."""
        return [m[0] for m in MEMBERS.values()]

    @property
    def emails(self) -> list[str]:
        """Every member's email."""
        return [m[1] for m in MEMBERS.values()]


def _value(rng: random.Random, low: int, high: int) -> float:
    return float(rng.randint(low, high))


def build_export_study(session: Session, *, name: str = STUDY_NAME) -> ExportSetup:
    """Create the export test study and commit it.

    Teams "HF community" (theme Heart Failure; six members, Fiona from wave 2) and "CKD
    community" (theme Chronic Kidney Disease; five, with Aisha in both teams), a third team
    never surveyed, and three waves using cop-health version 1. Emeka (HF, wave 1) and Jonas
    (CKD, wave 3) do not respond; Hamid's wave 2 response is a draft. Answers are random but
    seeded; some are skipped, absent, or out of range (see the module constants). Each
    respondent names the next two teammates (in roster order) as knowledge ties; Aisha also
    names Fiona in wave 1, when Fiona was not yet invited (a tie the export must leave out).
    """
    instrument = load_instrument("cop-health", 1)
    rng = random.Random(20240108)
    study = Study(name=name, secret=SECRET)
    session.add(study)
    themes = {
        HF_TEAM: Theme(study=study, name="Heart Failure"),
        CKD_TEAM: Theme(study=study, name="Chronic Kidney Disease"),
    }
    teams = {label: Team(theme=theme, name=label) for label, theme in themes.items()}
    idle = Team(theme=themes[CKD_TEAM], name=IDLE_TEAM)
    members = {
        handle: Member(
            study=study,
            name=info[0],
            email=info[1],
            profession=info[2],
            organisation=info[3],
            organisation_type=info[4],
        )
        for handle, info in MEMBERS.items()
    }
    waves = [
        Wave(
            study=study,
            number=number,
            opens=opens,
            closes=opens + timedelta(days=28),
            instrument_id="cop-health",
            instrument_version=1,
        )
        for number, opens in enumerate(WAVE_OPENS, start=1)
    ]
    session.add_all([idle, *teams.values(), *members.values(), *waves])
    memberships: dict[tuple[str, str], Membership] = {}
    for label, handles in TEAMS.items():
        for handle in handles:
            joined = date(2024, 3, 1) if handle == LATE_JOINER else date(2023, 12, 1)
            memberships[(handle, label)] = Membership(
                member=members[handle], team=teams[label], joined_on=joined
            )
    session.add_all(memberships.values())
    session.flush()
    setup = ExportSetup(study_id=study.id, member_ids={h: m.id for h, m in members.items()})

    for wave in waves:
        for label, handles in TEAMS.items():
            invited = [h for h in handles if not (h == LATE_JOINER and wave.number == 1)]
            for position, handle in enumerate(invited):
                key = (handle, label, wave.number)
                setup.invited.add(key)
                invitation = Invitation(
                    membership=memberships[(handle, label)],
                    wave=wave,
                    token_hash=hashlib.sha256(f"export-{key}".encode()).hexdigest(),
                    sent_at=wave.opens,
                )
                session.add(invitation)
                if key in NOT_RESPONDED:
                    continue
                draft = key in DRAFTS
                response = Response(
                    invitation=invitation,
                    submitted_at=None if draft else wave.opens + timedelta(days=2),
                    is_complete=not draft,
                )
                session.add(response)
                values: dict[str, float | None] = {}
                for item_id, info in instrument.items.items():
                    if item_id in ABSENT.get(key, ()):
                        continue
                    scale = info.response_scale
                    value: float | None = _value(rng, scale.min, scale.max)
                    if SKIPPED.get(key) == item_id:
                        value = None
                    if key[:3] == OUT_OF_RANGE[:3] and item_id == OUT_OF_RANGE[3]:
                        value = OUT_OF_RANGE[4]
                    values[item_id] = value
                    session.add(Answer(response=response, item_id=item_id, value=value))
                if draft:
                    session.add(Tie(response=response, alter_member=members[invited[0]]))
                    session.add(Comment(response=response, item_id="helped", text="draft text"))
                    continue
                setup.answers[key] = values
                for step in (1, 2):
                    alter = invited[(position + step) % len(invited)]
                    session.add(Tie(response=response, alter_member=members[alter]))
                    setup.ties.add((wave.number, label, handle, alter))
                if handle == "aisha" and label == HF_TEAM and wave.number == 1:
                    session.add(Tie(response=response, alter_member=members[LATE_JOINER]))
                if key in COMMENTS:
                    item_id, text = COMMENTS[key]
                    session.add(Comment(response=response, item_id=item_id, text=text))
                    session.add(Comment(response=response, item_id="unknown_q", text="stray"))
    session.add_all(
        [
            Intervention(
                team=teams[HF_TEAM],
                started_on=date(2024, 2, 15),
                kind="facilitated workshop",
                description="Two half-day workshops\non shared goals.",
            ),
            Intervention(
                team=teams[CKD_TEAM],
                started_on=date(2024, 4, 8),  # the day wave 2 opens: first measured at wave 3
                kind="knowledge transfer associate",
                description="A KTA joins the team.",
            ),
            Intervention(
                team=teams[HF_TEAM],
                started_on=date(2024, 8, 20),  # after the last wave opened
                kind="co-location",
                description="",
            ),
            Intervention(team=idle, started_on=date(2024, 1, 1), kind="workshop"),
        ]
    )
    session.commit()
    return setup
