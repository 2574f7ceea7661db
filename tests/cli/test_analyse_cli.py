"""``copkit simulate`` then ``copkit analyse``: the bundle round-trips into every result table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.conftest import run

TABLES = (
    "scores.csv",
    "reliability.csv",
    "item_total.csv",
    "agreement.csv",
    "growth.csv",
    "team_trajectories.csv",
    "interventions.csv",
    "network.csv",
    "formation.csv",
    "sensitivity.csv",
    "identity.csv",
    "identity_trajectories.csv",
    "results.json",
)


@pytest.fixture(scope="module")
def analysed(simulated_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    results = tmp_path_factory.mktemp("analysed") / "results"
    done = run("analyse", str(simulated_bundle), "--out", str(results))
    assert done.returncode == 0, done.stderr
    assert "analyse [8/8] done" in done.stderr
    assert "analysed 6 teams over 4 waves" in done.stdout
    return simulated_bundle, results


def test_analyse_writes_every_table(analysed: tuple[Path, Path]) -> None:
    bundle, results = analysed
    for name in TABLES:
        assert (results / name).is_file(), name
    formation = pd.read_csv(results / "formation.csv")
    assert list(formation.columns[:3]) == ["team", "verdict", "reasons"]
    truth = pd.read_csv(bundle / "truth.csv")
    assert set(formation["team"]) == set(truth["team"])
    summary = json.loads((results / "results.json").read_text())
    assert summary["instrument"] == "cop-health@1"
    assert summary["waves"] == [1, 2, 3, 4]
    assert set(summary["verdicts"]) == set(truth["team"])
    growth = pd.read_csv(results / "growth.csv")
    assert {"mutual_engagement", "collaborative_identity"} <= set(growth["scale"])


def test_analyse_reads_a_zip_and_refuses_a_bad_bundle(
    analysed: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, _ = analysed
    archive = shutil.make_archive(str(tmp_path / "study"), "zip", bundle)
    assert run("analyse", archive, "--out", str(tmp_path / "z")).returncode == 0
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken)
    (broken / "roster.csv").unlink()
    bad = run("analyse", str(broken), "--out", str(tmp_path / "nothing"))
    assert bad.returncode == 1
    assert "roster.csv: required file is missing" in bad.stderr
    assert not (tmp_path / "nothing").exists()


def test_simulate_rejects_bad_options(tmp_path: Path) -> None:
    bad = run("simulate", "--teams", "0", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2
    assert "--teams" in bad.stderr
