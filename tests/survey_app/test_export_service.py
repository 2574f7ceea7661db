"""The database read into a study bundle: pseudonyms, drafts, missing answers, ties, interventions."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Study, Team, Theme, Wave
from survey_app.services.export import (
    ExportError,
    build_export,
    export_bundle,
    find_study,
    pseudonym,
)
from tests.survey_app.export_fixtures import (
    CKD_TEAM,
    COMMENTS,
    HF_TEAM,
    NOT_RESPONDED,
    OUT_OF_RANGE,
    SECRET,
    STUDY_NAME,
    ExportSetup,
    build_export_study,
)


@pytest.fixture
def setup(session: Session) -> ExportSetup:
    return build_export_study(session)


def _study(session: Session, setup: ExportSetup) -> Study:
    study = session.get(Study, setup.study_id)
    assert study is not None
    return study


def test_pseudonym_is_r_and_ten_hex_digits_of_the_hmac() -> None:
    expected = hmac.new(b"k", b"17", hashlib.sha256).hexdigest()[:10]
    assert pseudonym("k", 17) == "R" + expected
    assert pseudonym("k", 17) != pseudonym("k", 18) != pseudonym("other", 17)
    with pytest.raises(ValueError, match="secret"):
        pseudonym("", 17)


def test_roster_lists_every_invitation_with_responded(session: Session, setup: ExportSetup) -> None:
    bundle = export_bundle(session, _study(session, setup))
    alias = {h: pseudonym(SECRET, i) for h, i in setup.member_ids.items()}
    roster = {
        (r.respondent, r.team, r.wave): r.responded for r in bundle.roster.itertuples(index=False)
    }
    assert set(roster) == {(alias[h], team, wave) for h, team, wave in setup.invited}
    assert len(roster) == 32
    responded = {key for key, flag in roster.items() if flag}
    not_responded = {key for key, flag in roster.items() if not flag}
    assert not_responded == {
        (alias["emeka"], HF_TEAM, 1),
        (alias["jonas"], CKD_TEAM, 3),
        (alias["hamid"], CKD_TEAM, 2),  # a draft is not a response
    }
    assert len(responded) == 29 == len(setup.answers)
    row = bundle.roster[bundle.roster["respondent"] == alias["bernard"]].iloc[0]
    assert (row["profession"], row["organisation"]) == ("GP", "Lakeside Practice")
    assert bundle.waves == [1, 2, 3] and bundle.teams == [CKD_TEAM, HF_TEAM]
    assert {key[:3] for key in NOT_RESPONDED} <= setup.invited


def test_pseudonyms_are_stable_across_waves_and_teams(session: Session, setup: ExportSetup) -> None:
    bundle = export_bundle(session, _study(session, setup))
    aisha = pseudonym(SECRET, setup.member_ids["aisha"])
    rows = bundle.roster[bundle.roster["respondent"] == aisha]
    assert sorted(zip(rows["wave"], rows["team"], strict=True)) == [
        (w, t) for w in (1, 2, 3) for t in (CKD_TEAM, HF_TEAM)
    ]
    other = export_bundle(session, _study(session, setup), secret="another secret")
    assert set(other.roster["respondent"]).isdisjoint(bundle.roster["respondent"])


def test_responses_have_every_item_for_every_submitted_response(
    session: Session, setup: ExportSetup
) -> None:
    bundle = export_bundle(session, _study(session, setup))
    items = list(bundle.instrument.items)
    assert len(bundle.responses) == 29 * len(items)
    alias = {pseudonym(SECRET, i): h for h, i in setup.member_ids.items()}
    seen = 0
    for row in bundle.responses.to_dict("records"):
        key = (alias[row["respondent"]], row["team"], row["wave"])
        given = setup.answers[key].get(row["item"])
        if key[:3] == OUT_OF_RANGE[:3] and row["item"] == OUT_OF_RANGE[3]:
            given = None  # 9 on a 1..7 scale is exported as missing
        if given is None:
            assert math.isnan(row["value"]), (key, row["item"])
        else:
            assert row["value"] == given, (key, row["item"])
            seen += 1
    assert seen == len(bundle.responses) - 2 - 2 - 1  # skipped, absent, out of range
    hamid = pseudonym(SECRET, setup.member_ids["hamid"])
    assert not ((bundle.responses["respondent"] == hamid) & (bundle.responses["wave"] == 2)).any()


def test_ties_name_pseudonyms_on_the_roster(session: Session, setup: ExportSetup) -> None:
    export = build_export(session, _study(session, setup))
    alias = {pseudonym(SECRET, i): h for h, i in setup.member_ids.items()}
    ties = {
        (t["wave"], t["team"], alias[t["source"]], alias[t["target"]])
        for t in export.bundle.ties.to_dict("records")
    }
    assert ties == setup.ties  # Aisha's tie to Fiona before Fiona was invited is left out
    assert len(export.bundle.ties) == len(setup.ties) == 58
    assert any("1 knowledge tie naming someone not on" in n for n in export.notes)


def test_interventions_go_to_the_first_wave_opening_after_they_began(
    session: Session, setup: ExportSetup
) -> None:
    export = build_export(session, _study(session, setup))
    rows = export.bundle.interventions.sort_values(["team", "wave"])
    assert rows[["team", "wave", "kind"]].values.tolist() == [
        [CKD_TEAM, 3, "knowledge transfer associate"],  # began the day wave 2 opened
        [HF_TEAM, 2, "facilitated workshop"],
        [HF_TEAM, 4, "co-location"],  # after the last wave: the next one
    ]
    assert "Two half-day workshops on shared goals." in rows["description"].tolist()
    assert any("1 intervention in teams with no invitations" in n for n in export.notes)


def test_comments_of_submitted_responses_only(session: Session, setup: ExportSetup) -> None:
    export = build_export(session, _study(session, setup))
    comments = export.bundle.comments
    assert sorted(comments["text"]) == sorted(text for _, text in COMMENTS.values())
    assert set(comments["item"]) == {"helped", "hindered"}
    assert any("2 comments to free-text questions" in n for n in export.notes)


def test_notes_say_how_pseudonyms_and_drafts_are_handled(
    session: Session, setup: ExportSetup
) -> None:
    export = build_export(session, _study(session, setup))
    text = " ".join(export.notes)
    assert "HMAC-SHA256(study secret, member id)" in text
    assert "drafts left out: 1" in text
    assert "1 answer outside the item's response scale" in text
    assert export.drafts == 1 and export.respondents == 10 and export.responses == 29


def test_waves_with_different_instruments_are_refused_naming_them(
    session: Session, setup: ExportSetup
) -> None:
    study = _study(session, setup)
    wave = session.scalar(select(Wave).where(Wave.study_id == study.id, Wave.number == 3))
    assert wave is not None
    wave.instrument_id = "team-climate"
    session.commit()
    with pytest.raises(ExportError) as caught:
        export_bundle(session, study)
    message = str(caught.value)
    assert "waves 1, 2 used cop-health version 1" in message
    assert "wave 3 used team-climate version 1" in message


def test_cop_health_versions_1_and_2_export_as_version_2_with_new_items_empty_before(
    session: Session, setup: ExportSetup
) -> None:
    study = _study(session, setup)
    before = export_bundle(session, study)
    wave = session.scalar(select(Wave).where(Wave.study_id == study.id, Wave.number == 3))
    assert wave is not None
    wave.instrument_version = 2
    session.commit()
    bundle = export_bundle(session, study)
    assert (bundle.instrument.id, bundle.instrument.version) == ("cop-health", 2)
    new_items = set(bundle.instrument.items) - set(before.instrument.items)
    assert new_items
    responses = bundle.responses
    assert responses[responses["item"].isin(new_items)]["value"].isna().all()
    old = responses[~responses["item"].isin(new_items)].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, before.responses.reset_index(drop=True))
    per_response = responses.groupby(["wave", "team", "respondent"])["item"].nunique()
    assert set(per_response) == {len(bundle.instrument.items)}


def test_a_study_without_waves_or_with_an_unknown_instrument_is_refused(session: Session) -> None:
    study = Study(name="Empty", secret="s")
    session.add(study)
    session.commit()
    with pytest.raises(ExportError, match='study "Empty" has no waves'):
        export_bundle(session, study)
    opens = datetime(2024, 1, 1, tzinfo=UTC)
    session.add(
        Wave(
            study=study,
            number=1,
            opens=opens,
            closes=opens + timedelta(days=7),
            instrument_id="no-such-instrument",
            instrument_version=1,
        )
    )
    session.commit()
    with pytest.raises(ExportError, match=r"no-such-instrument version 1 .* cannot be loaded"):
        export_bundle(session, study)


def test_a_study_with_waves_but_no_invitations_exports_an_empty_bundle(session: Session) -> None:
    study = Study(name="Fresh", secret="s")
    opens = datetime(2024, 1, 1, tzinfo=UTC)
    session.add_all(
        [
            study,
            Wave(
                study=study,
                number=1,
                opens=opens,
                closes=opens + timedelta(days=7),
                instrument_id="cop-health",
                instrument_version=1,
            ),
        ]
    )
    session.commit()
    bundle = export_bundle(session, study)
    assert bundle.responses.empty and bundle.roster.empty and bundle.ties.empty
    assert bundle.instrument.key == "cop-health@1"


def test_team_names_used_in_two_themes_are_written_theme_slash_team(
    session: Session, setup: ExportSetup
) -> None:
    study = _study(session, setup)
    theme = session.scalar(
        select(Theme).where(Theme.study_id == study.id, Theme.name == "Heart Failure")
    )
    assert theme is not None
    session.add(Team(theme=theme, name=CKD_TEAM))  # a second "CKD community", in Heart Failure
    session.commit()
    bundle = export_bundle(session, study)
    assert bundle.teams == [f"Chronic Kidney Disease/{CKD_TEAM}", HF_TEAM]


def test_find_study_by_name_or_the_only_one(session: Session) -> None:
    with pytest.raises(ExportError, match="no study in the database"):
        find_study(session, None)
    build_export_study(session)
    assert find_study(session, None).name == STUDY_NAME
    session.add(Study(name="Second study"))
    session.commit()
    with pytest.raises(ExportError, match='2 studies; name one with --study: "Export test'):
        find_study(session, None)
    with pytest.raises(ExportError, match='no study named "Nope"'):
        find_study(session, "Nope")
    assert find_study(session, "Second study").name == "Second study"
