"""The instrument loader: the shipped instrument, every kind of invalid file, versions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import instruments
from instruments import InstrumentError

MINIMAL = {
    "id": "mini",
    "version": 1,
    "title": "Mini",
    "response_scales": {"agree5": {"min": 1, "max": 5, "labels": {1: "No", 5: "Yes"}}},
    "scales": [
        {
            "id": "trust",
            "label": "Trust",
            "response_scale": "agree5",
            "items": [
                {"id": "t1", "text": "I trust them."},
                {"id": "t2", "text": "No trust.", "reverse": True},
            ],
        },
    ],
}


def write(folder: Path, document: object, name: str = "mini-v1.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InstrumentError) as caught:
        instruments.load_file(path)
    message = str(caught.value)
    assert str(path) in message
    return [str(p) for p in caught.value.problems]


def test_shipped_instrument_has_the_six_scales_of_the_design() -> None:
    cop = instruments.load("cop-health", 1)
    assert cop.scale_ids == (
        "mutual_engagement",
        "joint_enterprise",
        "shared_repertoire",
        "collaborative_identity",
        "professional_identity",
        "organisational_identity",
    )
    for scale in cop.scales:
        assert 4 <= len(scale.items) <= 6, scale.id
        assert any(item.reverse for item in scale.items), scale.id
        assert scale.response_scale.options == 7
        assert scale.construct
    assert cop.network is not None and cop.network.id == "knowledge_ties"
    assert cop.comment_ids == ("helped", "hindered")
    assert [s.id for s in cop.single_items] == ["contact_frequency"]


def test_practice_items_use_referent_shift_and_identity_items_are_parallel() -> None:
    cop = instruments.load("cop-health")
    for scale_id in ("mutual_engagement", "joint_enterprise", "shared_repertoire"):
        assert all(i.text.startswith("In this team we") for i in cop.scale(scale_id).items)
    targets = {
        "collaborative_identity": "this team",
        "professional_identity": "my profession",
        "organisational_identity": "my employing organisation",
    }
    wordings = [
        [i.text.replace(target, "X") for i in cop.scale(sid).items]
        for sid, target in targets.items()
    ]
    assert wordings[0] == wordings[1] == wordings[2]
    keying = [[i.reverse for i in cop.scale(sid).items] for sid in targets]
    assert keying[0] == keying[1] == keying[2]


@pytest.mark.parametrize(("version", "minutes"), [(1, 8), (2, 10)])
def test_short_enough_for_a_busy_clinician(version: int, minutes: int) -> None:
    cop = instruments.load("cop-health", version)
    texts = [i.text for i in cop.items.values()]  # scale items and single items
    words = sum(len(text.split()) for text in texts)
    # ~6 s per rated item plus reading at 200 words a minute, the roster question and two
    # free-text answers: v1 (31 items) under 8 minutes; v2 adds 11 short questions and the
    # optional value-creation story and stays under 10
    seconds = len(texts) * 6 + words / 200 * 60 + 60 + 2 * 45
    assert seconds < minutes * 60
    assert all(len(text.split()) <= 20 for text in texts)
    assert not any(" and " in text for text in texts), "double-barrelled wording"


def test_latest_and_given_version(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    write(tmp_path, {**MINIMAL, "version": 2, "title": "Mini two"}, "mini-v2.yaml")
    assert instruments.load("mini", directory=tmp_path).version == 2
    assert instruments.load("mini", 1, directory=tmp_path).title == "Mini"
    assert instruments.available(tmp_path) == [("mini", 1), ("mini", 2)]
    with pytest.raises(LookupError, match="no version 3"):
        instruments.load("mini", 3, directory=tmp_path)
    with pytest.raises(LookupError, match="no instrument 'other'"):
        instruments.load("other", directory=tmp_path)


def test_released_version_is_immutable(tmp_path: Path) -> None:
    shutil.copy(instruments.DEFINITIONS_DIR / "cop-health-v1.yaml", tmp_path)
    shutil.copy(instruments.DEFINITIONS_DIR / "released.json", tmp_path)
    assert instruments.load("cop-health", directory=tmp_path).version == 1
    path = tmp_path / "cop-health-v1.yaml"
    path.write_text(path.read_text().replace("whom to ask", "who to ask"))
    with pytest.raises(InstrumentError, match="is released and may not change"):
        instruments.load("cop-health", directory=tmp_path)


def test_shipped_released_manifest_matches_the_files() -> None:
    released = json.loads((instruments.DEFINITIONS_DIR / "released.json").read_text())
    for key, digest in released.items():
        instrument_id, version = key.split("@")
        path = instruments.DEFINITIONS_DIR / f"{instrument_id}-v{version}.yaml"
        assert instruments.fingerprint(path) == digest


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("title"), "title: is required"),
        (lambda d: d.update(colour="red"), "colour: is not a known key"),
        (lambda d: d.update(id="Mini Check"), "id: must be an identifier"),
        (lambda d: d.update(version="one"), "version: must be a whole number"),
        (lambda d: d.update(version=0), "version: must be 1 or more"),
        (
            lambda d: d["scales"][0]["items"][1].update(reverse="yes"),
            "scales[0].items[1].reverse: must be true or false, got 'yes'",
        ),
        (
            lambda d: d["scales"][0]["items"][0].update(text=""),
            "scales[0].items[0].text: must be non-empty",
        ),
        (
            lambda d: d["scales"][0]["items"][1].update(id="t1"),
            "scales[0].items[1].id: id 't1' is already used at scales[0].items[0].id",
        ),
        (
            lambda d: d["scales"][0].update(response_scale="agree9"),
            "scales[0].response_scale: unknown response scale 'agree9'",
        ),
        (lambda d: d["scales"][0].update(items=[]), "scales[0].items: must not be empty"),
        (
            lambda d: d["scales"][0].update(items="t1, t2"),
            "scales[0].items: must be a list, got str",
        ),
        (lambda d: d.update(scales={}), "scales: must be a list, got dict"),
        (
            lambda d: d["response_scales"]["agree5"].update(max=1),
            "response_scales.agree5.max: must be greater than min (1), got 1",
        ),
        (
            lambda d: d["response_scales"]["agree5"]["labels"].update({9: "Nine"}),
            "response_scales.agree5.labels.9: is outside the scale's range 1..5",
        ),
        (lambda d: d.update(network={"id": "ties"}), "network.prompt: is required"),
        (
            lambda d: d.update(comments=[{"id": "t2", "text": "Why?"}]),
            "comments[0].id: id 't2' is already used",
        ),
        (
            lambda d: d.update(
                single_items=[{"id": "freq", "text": "How often?", "response_scale": "x"}]
            ),
            "single_items[0].response_scale: unknown response scale 'x'",
        ),
    ],
)
def test_invalid_file_names_file_path_and_problem(tmp_path: Path, mutate, expected: str) -> None:
    document = yaml.safe_load(yaml.safe_dump(MINIMAL))
    mutate(document)
    problems = problems_of(write(tmp_path, document))
    assert any(expected in p for p in problems), problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    document = yaml.safe_load(yaml.safe_dump(MINIMAL))
    document.pop("title")
    document["scales"][0]["items"][0]["reverse"] = "no"
    document["scales"][0]["items"][1]["text"] = 3
    assert len(problems_of(write(tmp_path, document))) == 3


def test_not_yaml_not_a_mapping_not_utf8_and_wrong_file_name(tmp_path: Path) -> None:
    bad = tmp_path / "mini-v1.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    assert "is not valid YAML" in problems_of(bad)[0]
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    assert "must be a mapping, got list" in problems_of(bad)[0]
    bad.write_bytes(b"id: caf\xe9\n")
    assert "is not UTF-8" in problems_of(bad)[0]
    renamed = write(tmp_path, MINIMAL, "mini-v2.yaml")
    assert "file name says mini v2" in problems_of(renamed)[0]
    assert "cannot be read" in problems_of(tmp_path / "missing-v1.yaml")[0]


def test_dump_round_trips() -> None:
    cop = instruments.load("cop-health")
    assert instruments.parse(yaml.safe_load(instruments.dump(cop))) == cop


def test_reverse_keying_is_min_plus_max_minus_x() -> None:
    scale = instruments.load("cop-health").scale("mutual_engagement").response_scale
    assert [scale.reverse(v) for v in (1, 4, 7)] == [7, 4, 1]
