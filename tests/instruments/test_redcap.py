"""Importing a REDCap data dictionary as an instrument."""

from __future__ import annotations

from pathlib import Path

import pytest

import instruments
from instruments import InstrumentError

HEADER = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number",'
    '"Text Validation Min","Text Validation Max","Identifier?","Branching Logic (Show field only if...)",'
    '"Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name",'
    '"Matrix Ranking?","Field Annotation"\n'
)
AGREE = '"1, Strongly disagree | 2, Disagree | 3, Neutral | 4, Agree | 5, Strongly agree"'


def row(
    field: str, form: str, kind: str, label: str, choices: str = '""', annotation: str = ""
) -> str:
    return f'{field},{form},,{kind},"{label}",{choices},,,,,,,,,,,,"{annotation}"\n'


DICTIONARY = (
    HEADER
    + row("record_id", "team_climate", "text", "Record ID")
    + row("tc1", "team_climate", "radio", "We share <b>goals</b>", AGREE)
    + row("tc2", "team_climate", "dropdown", "We rarely meet", AGREE, "@REVERSE")
    + row("tc3", "team_climate", "radio", "We learn together", AGREE)
    + row("calc1", "team_climate", "calc", "Score", '"mean([tc1],[tc2])"')
    + row("freq", "contact", "radio", "How often?", '"0, Never | 1, Monthly | 2, Weekly"')
    + row("story", "team_climate", "notes", "Tell us more")
)


def test_radio_and_dropdown_fields_become_items_on_shared_response_scales(tmp_path: Path) -> None:
    path = tmp_path / "dictionary.csv"
    path.write_text(DICTIONARY, encoding="utf-8")
    inst = instruments.from_redcap(path, instrument_id="climate", reverse=["tc3"])
    climate = inst.scale("team_climate")
    assert climate.item_ids == ("tc1", "tc2", "tc3")
    assert [i.reverse for i in climate.items] == [False, True, True]
    assert climate.items[0].text == "We share goals"
    assert climate.response_scale.labels[5] == "Strongly agree"
    contact = inst.scale("contact").response_scale
    assert (contact.min, contact.max, contact.labels[0]) == (0, 2, "Never")
    assert [c.id for c in inst.comments] == ["record_id", "story"]
    assert instruments.parse(instruments.to_document(inst)) == inst


def test_bad_choices_name_the_row(tmp_path: Path) -> None:
    text = (
        HEADER
        + row("a1", "f", "radio", "A", '"1, Yes | 3, No"')
        + row("a2", "f", "radio", "B", '"Yes | No"')
    )
    with pytest.raises(InstrumentError) as caught:
        instruments.from_redcap(text)
    messages = [str(p) for p in caught.value.problems]
    assert "row 2 (a1): choice codes [1, 3] are not consecutive" in messages[0]
    assert "row 3 (a2): choice 'Yes' is not 'number, label'" in messages[1]


def test_missing_columns_and_no_items() -> None:
    with pytest.raises(InstrumentError, match="missing REDCap column"):
        instruments.from_redcap('"Variable / Field Name","Form Name"\na,b\n')
    with pytest.raises(InstrumentError, match="no radio or dropdown fields"):
        instruments.from_redcap(HEADER + row("n", "f", "notes", "Tell"))


def test_a_form_whose_items_have_different_choices_is_refused_naming_the_row() -> None:
    text = (
        HEADER
        + row("a1", "climate", "radio", "A", AGREE)
        + row("a2", "climate", "radio", "B", '"1, No | 2, Yes"')
    )
    with pytest.raises(InstrumentError) as caught:
        instruments.from_redcap(text)
    assert [str(p) for p in caught.value.problems] == [
        "row 3 (a2): its choices differ from the other items of form 'climate', "
        "so they cannot form one scale"
    ]
