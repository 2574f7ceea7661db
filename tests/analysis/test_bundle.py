"""Reading, validating and writing study bundles: every kind of bad input and its message."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

import analysis as an
import instruments

COP = instruments.load("cop-health", 1)
PEOPLE = [  # respondent, team, profession, organisation
    ("R01", "HF North", "nurse", "Trust A"),
    ("R02", "HF North", "gp", "Practice B"),
    ("R03", "HF North", "pharmacist", "Trust A"),
    ("R04", "CKD South", "academic", "University"),
    ("R05", "CKD South", "nurse", "Trust C"),
]


def small_bundle() -> an.Bundle:
    roster, responses, ties, comments = [], [], [], []
    for wave in (1, 2):
        for respondent, team, profession, organisation in PEOPLE:
            roster.append((wave, team, respondent, profession, organisation, True))
            for k, item in enumerate(COP.items):
                value = float(1 + (k + wave + int(respondent[-1])) % 6)
                responses.append((wave, team, respondent, profession, organisation, item, value))
        ties += [(wave, "HF North", "R01", "R02"), (wave, "CKD South", "R05", "R04")]
        comments.append((wave, "HF North", "R01", "helped", "Shared <b>clinic</b> & lunch"))
    return an.Bundle(
        responses=pd.DataFrame(responses, columns=an.bundle.COLUMNS["responses.csv"]),
        ties=pd.DataFrame(ties, columns=an.bundle.COLUMNS["ties.csv"]),
        roster=pd.DataFrame(roster, columns=an.bundle.COLUMNS["roster.csv"]),
        interventions=pd.DataFrame(
            [("HF North", 2, "facilitated workshop", "Away day")],
            columns=an.bundle.COLUMNS["interventions.csv"],
        ),
        instrument=COP,
        comments=pd.DataFrame(comments, columns=an.bundle.COLUMNS["comments.csv"]),
    )


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    return an.write_bundle(small_bundle(), tmp_path / "bundle")


def edit_csv(folder: Path, name: str, edit) -> None:
    path = folder / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = edit(frame)
    frame.to_csv(path, index=False)


def messages(folder: Path) -> list[str]:
    with pytest.raises(an.BundleError) as caught:
        an.read_bundle(folder)
    return [str(p) for p in caught.value.problems]


def test_round_trip_folder_and_zip(tmp_path: Path, bundle_dir: Path) -> None:
    bundle = an.read_bundle(bundle_dir)
    original = small_bundle()
    assert len(bundle.responses) == len(original.responses) == 2 * 5 * 31
    assert bundle.waves == [1, 2]
    assert bundle.teams == ["CKD South", "HF North"]
    assert bundle.instrument == COP
    assert bundle.roster["responded"].dtype == bool
    pd.testing.assert_series_equal(bundle.responses["value"], original.responses["value"])
    assert bundle.comments.loc[0, "text"] == "Shared <b>clinic</b> & lunch"
    zipped = an.write_bundle(original, tmp_path / "bundle.zip")
    assert zipfile.is_zipfile(zipped)
    assert len(an.read_bundle(zipped).ties) == 4


def test_zip_with_a_top_folder_is_read(tmp_path: Path, bundle_dir: Path) -> None:
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in bundle_dir.iterdir():
            out.write(path, f"study-export/{path.name}")
    assert len(an.read_bundle(archive).roster) == 10


def test_missing_value_is_kept_as_nan(bundle_dir: Path) -> None:
    def blank(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[3, "value"] = ""
        return frame

    edit_csv(bundle_dir, "responses.csv", blank)
    bundle = an.read_bundle(bundle_dir)
    assert bundle.responses["value"].isna().sum() == 1
    assert len(bundle.responses) == 310


def test_missing_file_and_missing_or_unknown_column(bundle_dir: Path) -> None:
    (bundle_dir / "ties.csv").unlink()
    assert messages(bundle_dir) == ["ties.csv: required file is missing"]
    an.write_bundle(small_bundle(), bundle_dir)
    edit_csv(bundle_dir, "roster.csv", lambda f: f.drop(columns=["responded"]).assign(extra="x"))
    found = messages(bundle_dir)
    assert "roster.csv line 1, column responded: required column is missing" in found
    assert any(m.startswith("roster.csv line 1, column extra: unknown column") for m in found)


def test_every_bad_row_is_reported_with_file_line_and_column(bundle_dir: Path) -> None:
    def corrupt_responses(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "item"] = "me9"  # line 2
        frame.loc[1, "value"] = "9"  # line 3, me2 is on 1..7
        frame.loc[2, "value"] = "often"  # line 4
        frame.loc[3, "wave"] = "0"  # line 5
        frame.loc[40, "profession"] = "doctor"  # line 42: R02 now nurse and doctor?
        return frame

    def corrupt_ties(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "target"] = "R99"
        return frame

    edit_csv(bundle_dir, "responses.csv", corrupt_responses)
    edit_csv(bundle_dir, "ties.csv", corrupt_ties)
    found = messages(bundle_dir)
    assert (
        "responses.csv line 2, column item: unknown item 'me9' (not in instrument cop-health@1)"
        in found
    )
    assert (
        "responses.csv line 3, column value: 9 is outside the scale agree7 (1..7) of item me2"
        in found
    )
    assert "responses.csv line 4, column value: 'often' is not a number" in found
    assert "responses.csv line 5, column wave: '0' is not a whole number from 1" in found
    assert any(
        m.startswith("responses.csv line") and "has more than one profession in wave 1" in m
        for m in found
    )
    assert (
        "ties.csv line 2, column target: 'R99' is not on the roster of team 'HF North' in wave 1"
        in found
    )


def test_two_professions_on_the_roster(bundle_dir: Path) -> None:
    def clash(frame: pd.DataFrame) -> pd.DataFrame:
        extra = frame.iloc[[0]].assign(team="CKD South", profession="manager")
        return pd.concat([frame, extra], ignore_index=True)

    edit_csv(bundle_dir, "roster.csv", clash)
    found = messages(bundle_dir)
    assert any(
        "respondent 'R01' has more than one profession in wave 1: manager, nurse" in m
        for m in found
    ), found


def test_answers_by_people_not_on_the_roster_and_duplicates(bundle_dir: Path) -> None:
    def stranger(frame: pd.DataFrame) -> pd.DataFrame:
        extra = frame.iloc[[0, 0]].assign(respondent="R77")
        return pd.concat([frame, extra], ignore_index=True)

    edit_csv(bundle_dir, "responses.csv", stranger)
    found = messages(bundle_dir)
    assert (
        "responses.csv line 312, column respondent: 'R77' is not on the roster of team 'HF North' in wave 1"
        in found
    )
    assert (
        "responses.csv line 313, column item: second answer to 'me1' by 'R77' in wave 1, "
        "team 'HF North'"
    ) in found


def test_bad_interventions_comments_roster_flags_and_instrument(bundle_dir: Path) -> None:
    edit_csv(bundle_dir, "interventions.csv", lambda f: f.assign(team="Nowhere"))
    edit_csv(bundle_dir, "comments.csv", lambda f: f.assign(item="liked"))
    edit_csv(bundle_dir, "roster.csv", lambda f: f.assign(responded="maybe"))
    found = messages(bundle_dir)
    assert (
        "interventions.csv line 2, column team: unknown team 'Nowhere' (not on the roster)" in found
    )
    assert "comments.csv line 2, column item: unknown free-text question 'liked'" in found
    assert "roster.csv line 2, column responded: 'maybe' is not one of 1/0/true/false" in found
    (bundle_dir / "instrument.yaml").write_text("id: cop-health\nversion: 1\n")
    assert "instrument.yaml, column title: is required" in messages(bundle_dir)


def test_not_a_bundle(tmp_path: Path) -> None:
    assert messages(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: does not exist"]
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert messages(junk) == ["junk.zip: is neither a bundle folder nor a .zip archive"]


def test_not_utf8_and_empty_files(bundle_dir: Path) -> None:
    (bundle_dir / "ties.csv").write_bytes(b"wave,team,source,target\n1,Caf\xe9,R01,R02\n")
    (bundle_dir / "interventions.csv").write_text("")
    found = messages(bundle_dir)
    assert "ties.csv line 2: is not UTF-8 text (byte 0xe9)" in found
    assert "interventions.csv line 1: is empty: the header row is missing" in found
