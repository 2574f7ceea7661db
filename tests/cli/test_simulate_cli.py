"""``copkit simulate`` with the instrument version and the propositions' mechanisms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.cli.conftest import run

SMALL = ("--teams", "4", "--members", "5", "--waves", "3", "--seed", "1")


def test_version_2_with_mechanisms_writes_their_truth_and_items(tmp_path: Path) -> None:
    out = tmp_path / "v2"
    made = run(
        "simulate",
        *SMALL,
        "--instrument-version",
        "2",
        "--interconnection",
        "0.2",
        "--identification-damping",
        "0.15",
        "--span",
        "0.1",
        "--brokers",
        "0.5",
        "--out",
        str(out),
    )
    assert made.returncode == 0, made.stderr
    truth = pd.read_csv(out / "truth.csv")
    assert truth["interconnection_effect"].unique().tolist() == [0.2]
    assert truth["identification_damping"].unique().tolist() == [0.15]
    assert truth["span_effect"].unique().tolist() == [0.1]
    assert truth["broker_effect"].unique().tolist() == [0.5]
    assert truth["broker"].notna().all()
    assert yaml.safe_load((out / "instrument.yaml").read_text())["version"] == 2
    items = set(pd.read_csv(out / "responses.csv")["item"])
    assert {"interconnection_frequency", "ic_practice"} <= items
    roles = pd.read_csv(out / "roster.csv")["role"].dropna()
    assert set(roles) == {"KTA", "clinical lead"}


def test_defaults_stay_version_1_without_mechanisms(tmp_path: Path) -> None:
    out = tmp_path / "v1"
    made = run("simulate", *SMALL, "--out", str(out))
    assert made.returncode == 0, made.stderr
    truth = pd.read_csv(out / "truth.csv")
    assert "interconnection_effect" not in truth.columns
    assert yaml.safe_load((out / "instrument.yaml").read_text())["version"] == 1
    assert "interconnection_frequency" not in set(pd.read_csv(out / "responses.csv")["item"])


@pytest.mark.slow
def test_bad_version_and_broker_probability_are_refused(tmp_path: Path) -> None:
    wrong_version = run(
        "simulate", *SMALL, "--instrument-version", "9", "--out", str(tmp_path / "a")
    )
    assert wrong_version.returncode == 2
    assert "--instrument-version" in wrong_version.stderr
    wrong_brokers = run("simulate", *SMALL, "--brokers", "1.5", "--out", str(tmp_path / "b"))
    assert wrong_brokers.returncode == 2
    assert "--brokers" in wrong_brokers.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_the_mechanisms_of_propositions_1_to_3_reach_truth(tmp_path: Path) -> None:
    out = tmp_path / "p123"
    made = run(
        "simulate",
        "--teams",
        "4",
        "--members",
        "5",
        "--waves",
        "4",
        "--enclaves",
        "0.8",
        "--stickiness",
        "1.0",
        "--limited-control",
        "1",
        "--out",
        str(out),
    )
    assert made.returncode == 0, made.stderr
    truth = pd.read_csv(out / "truth.csv")
    assert truth["enclave_spread"].unique().tolist() == [0.8]
    assert truth["knowledge_stickiness"].unique().tolist() == [1.0]
    assert truth["limited_control"].unique().tolist() == [1.0]
    assert not truth["intervention_took"].any()
    assert (truth["level_change"] == 0).all()
    refused = run("simulate", *SMALL, "--limited-control", "2", "--out", str(tmp_path / "b"))
    assert refused.returncode == 2
