"""``copkit simulate`` then ``copkit analyse``: the bundle round-trips into every result table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.multiplicity import adjust_p
from tests.cli.conftest import run

TABLES = (
    "scores.csv",
    "reliability.csv",
    "item_total.csv",
    "agreement.csv",
    "growth.csv",
    "team_trajectories.csv",
    "interventions.csv",
    "intervention_trajectories.csv",
    "network.csv",
    "formation.csv",
    "sensitivity.csv",
    "identity.csv",
    "identity_trajectories.csv",
    "invariance.csv",
    "network_permutation.csv",
    "tie_persistence.csv",
    "propositions.csv",
    "value_creation.csv",
    "results.json",
)

# Every test runs `copkit analyse` (a process that analyses a whole study) at least once.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed(simulated_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    results = tmp_path_factory.mktemp("analysed") / "results"
    done = run("analyse", str(simulated_bundle), "--out", str(results))
    assert done.returncode == 0, done.stderr
    assert "analyse [9/9] done" in done.stderr
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
    # Small-sample inference by default: Satterthwaite df, t tests, the method named.
    assert {"df", "t", "ddf"} <= set(growth.columns) and "z" not in growth.columns
    assert (growth["ddf"] == "satterthwaite").all()
    assert (growth.loc[growth["term"] == "Intercept", "df"] < 30).all()
    assert summary["inference"]["ddf"] == "satterthwaite"
    assert "lmerTest" in summary["inference"]["label"]
    trajectories = pd.read_csv(results / "team_trajectories.csv")
    assert {"slope_df", "slope_p", "ddf"} <= set(trajectories.columns)
    propositions = pd.read_csv(results / "propositions.csv")
    assert list(propositions.columns[:8]) == [
        "proposition",
        "claim",
        "statistic",
        "estimate",
        "ci_low",
        "ci_high",
        "verdict",
        "reason",
    ]
    verdicts = dict(zip(propositions["proposition"], propositions["verdict"], strict=True))
    assert list(verdicts) == [1, 2, 3, 4, 5, 6, 7]
    assert verdicts[5] == verdicts[7] == "not_measured"  # a version-1 bundle
    value = pd.read_csv(results / "value_creation.csv")
    assert value.empty and "furthest_cycle" in value.columns  # version 1 does not ask it
    # Per-team claims controlled across teams x scales, Holm by default, and said so.
    holm = adjust_p(trajectories["slope_p"].to_numpy(dtype=float), "holm")
    np.testing.assert_allclose(trajectories["slope_p_adjusted"], holm, rtol=1e-9)
    assert (trajectories["slope_p_adjusted"] >= trajectories["slope_p"] - 1e-15).all()
    permuted = pd.read_csv(results / "network_permutation.csv")
    assert "ratio_p_adjusted" in permuted.columns
    assert summary["multiplicity"]["method"] == "holm"
    assert "Holm" in summary["multiplicity"]["label"]


def test_analyse_reads_a_zip_and_refuses_a_bad_bundle(
    analysed: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, _ = analysed
    archive = shutil.make_archive(str(tmp_path / "study"), "zip", bundle)
    assert run("analyse", archive, "--out", str(tmp_path / "z")).returncode == 0
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken)
    (broken / "roster.csv").unlink()
    unknown = run("analyse", str(bundle), "--out", str(tmp_path / "x"), "--adjust", "bonf")
    assert unknown.returncode == 2 and "'bonf' is not one of 'holm', 'bh', 'none'" in unknown.stderr
    bad = run("analyse", str(broken), "--out", str(tmp_path / "nothing"))
    assert bad.returncode == 1
    assert "roster.csv: required file is missing" in bad.stderr
    assert not (tmp_path / "nothing").exists()


def test_simulate_rejects_bad_options(tmp_path: Path) -> None:
    bad = run("simulate", "--teams", "0", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2
    assert "--teams" in bad.stderr


def test_analyse_writes_invariance_and_the_network_tests(analysed: tuple[Path, Path]) -> None:
    _, results = analysed
    invariance = pd.read_csv(results / "invariance.csv")
    assert set(invariance["comparison"]) == {"waves", "professions", "identity targets"}
    waves = invariance[(invariance["comparison"] == "waves") & invariance["level"].notna()]
    assert set(waves["level"]) == {"configural", "metric", "scalar"}
    assert set(waves["reached"]) <= {"configural", "metric", "scalar"}
    assert {"chisq", "df", "cfi", "rmsea", "delta_cfi", "holds", "note"} <= set(invariance.columns)
    permuted = pd.read_csv(results / "network_permutation.csv")
    network = pd.read_csv(results / "network.csv")
    assert len(permuted) == len(network)
    assert (permuted["draws"] == 2000).all()
    tested = permuted[permuted["meaningful"]]
    assert tested["ei_p"].between(1 / 2001, 1).all()
    persistence = pd.read_csv(results / "tie_persistence.csv")
    assert {"team", "from_wave", "to_wave", "jaccard", "low"} <= set(persistence.columns)
    assert len(persistence) == 6 * 3  # six teams, three pairs of consecutive waves


def test_analyse_takes_the_number_of_permutations(
    analysed: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, _ = analysed
    done = run("analyse", str(bundle), "--out", str(tmp_path / "few"), "--permutations", "99")
    assert done.returncode == 0, done.stderr
    permuted = pd.read_csv(tmp_path / "few" / "network_permutation.csv")
    assert (permuted["draws"] == 99).all()
    tested = permuted[permuted["meaningful"]]
    assert ((tested["ei_p"] * 100).round(6) % 1 == 0).all()  # p = (1 + count) / 100
    refused = run("analyse", str(bundle), "--out", str(tmp_path / "none"), "--permutations", "0")
    assert refused.returncode == 2 and "--permutations" in refused.stderr


def test_analyse_ddf_option_names_the_method(analysed: tuple[Path, Path], tmp_path: Path) -> None:
    bundle, _ = analysed
    done = run("analyse", str(bundle), "--out", str(tmp_path / "wald"), "--ddf", "wald")
    assert done.returncode == 0, done.stderr
    growth = pd.read_csv(tmp_path / "wald" / "growth.csv")
    assert (growth["ddf"] == "wald").all() and (growth["df"] == float("inf")).all()
    summary = json.loads((tmp_path / "wald" / "results.json").read_text())
    assert summary["inference"]["label"].startswith("Wald z")
    bad = run("analyse", str(bundle), "--out", str(tmp_path / "x"), "--ddf", "containment")
    assert bad.returncode == 2 and "--ddf" in bad.stderr
