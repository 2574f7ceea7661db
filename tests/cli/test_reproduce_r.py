"""``copkit analyse --r-script``: reproduce.R recomputes copkit's key numbers in R, and they agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import run

pytestmark = pytest.mark.slow


def _rscript() -> str:
    found = shutil.which("Rscript")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Rscript is missing on CI: .ci/run installs r-base-core and the r-cran-*")
        pytest.skip("Rscript is not installed (apt-get install r-base-core r-cran-lmertest ...)")
    return found


@pytest.fixture(scope="module")
def reproduced(simulated_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    rscript = _rscript()
    out = tmp_path_factory.mktemp("reproduce") / "results"
    done = run(
        "analyse", str(simulated_bundle), "--out", str(out), "--permutations", "50", "--r-script"
    )
    assert done.returncode == 0, done.stderr
    assert f"R script written to {out / 'reproduce.R'}" in done.stdout
    script = (out / "reproduce.R").read_text()
    assert script.startswith("# reproduce.R")
    for package in ("psych", "multilevel", "lmerTest", "lavaan"):
        assert f"library({package})" in script
    ran = subprocess.run(
        [rscript, "reproduce.R"], cwd=out, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, ran.stderr
    return out


def _merged(out: Path, table: str, keys: list[str], query: str = "") -> pd.DataFrame:
    ours = pd.read_csv(out / f"{table}.csv")
    if query:
        ours = ours.query(query)
    theirs = pd.DataFrame(json.loads((out / "reproduce.json").read_text())[table])
    merged = ours.merge(theirs, on=keys, suffixes=("", "_r"), validate="one_to_one")
    assert len(merged) == len(ours) == len(theirs) > 0, table
    return merged


def _close(frame: pd.DataFrame, column: str, *, atol: float = 0.0, rtol: float = 0.0) -> None:
    np.testing.assert_allclose(
        frame[column].astype(float),
        frame[f"{column}_r"].astype(float),
        atol=atol,
        rtol=rtol,
        equal_nan=True,
        err_msg=column,
    )


def test_reliability_and_agreement_equal_psych_and_multilevel(reproduced: Path) -> None:
    reliability = _merged(reproduced, "reliability", ["scale", "wave"])
    assert (reliability["n"] == reliability["n_r"]).all()
    for column in ("alpha", "ci_low", "ci_high"):
        _close(reliability, column, atol=1e-10)
    agreement = _merged(reproduced, "agreement", ["team", "wave", "scale"])
    assert (agreement["n"] == agreement["n_r"]).all()
    for column in ("rwg_j", "icc1", "icc2"):
        _close(agreement, column, atol=1e-10)


def test_growth_fixed_effects_equal_lmertest_satterthwaite(reproduced: Path) -> None:
    growth = _merged(reproduced, "growth", ["scale", "term"])
    assert (growth["ddf"] == "satterthwaite").all()
    assert (growth["singular"] == growth["singular_r"]).all()
    # the tolerances for the inference references: df 1%, SE 0.5%, p 1% or 1e-4
    _close(growth, "estimate", atol=1e-5, rtol=1e-4)
    _close(growth, "se", rtol=5e-3)
    _close(growth, "df", rtol=1e-2, atol=0.05)
    _close(growth, "p", rtol=1e-2, atol=1e-4)


def test_invariance_across_waves_and_professions_equals_lavaan(reproduced: Path) -> None:
    invariance = _merged(
        reproduced,
        "invariance",
        ["comparison", "scale", "level"],
        'comparison in ("waves", "professions") and chisq.notna()',
    )
    assert set(invariance["comparison"]) == {"waves", "professions"}
    _close(invariance, "chisq", rtol=1e-3, atol=0.01)
    assert (invariance["df"] == invariance["df_r"]).all()
    for column in ("pvalue", "cfi", "tli", "rmsea", "srmr"):
        _close(invariance, column, atol=1e-3)
    for column in ("aic", "bic"):
        _close(invariance, column, rtol=1e-6)


def test_adjusted_team_slopes_equal_p_adjust(reproduced: Path) -> None:
    ours = pd.read_csv(reproduced / "team_trajectories.csv")
    theirs = pd.DataFrame(json.loads((reproduced / "reproduce.json").read_text())["adjusted"])
    assert list(theirs["team"]) == list(ours["team"])
    np.testing.assert_allclose(ours["slope_p_adjusted"], theirs["slope_p_adjusted"], rtol=1e-12)
