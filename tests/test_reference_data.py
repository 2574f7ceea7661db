"""The committed R reference values are what R computes: rerun make_reference.R and compare."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_DIR


@pytest.mark.slow
def test_make_reference_reproduces_every_committed_value(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        message = "Rscript is not installed (apt-get install r-base-core and the r-cran-* packages)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true: the reference data must be checked", pytrace=False)
        pytest.skip(message)
    made = subprocess.run(
        [rscript, str(REFERENCE_DIR / "make_reference.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    compared = subprocess.run(
        [sys.executable, str(REFERENCE_DIR / "compare_reference.py"), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert compared.returncode == 0, compared.stdout
    assert compared.stdout.strip().endswith("0 differences")


def test_every_reference_file_is_in_the_repository() -> None:
    """The suite's reference data sit inside the clone, with the script that made them."""
    names = {path.name for path in REFERENCE_DIR.iterdir()}
    for stem in ("bfi_agreeableness", "lq2002_leadership", "univbct_jsat"):
        assert {f"{stem}.csv", f"{stem}.expected.json"} <= names
    assert {
        "sleepstudy.inference.json",
        "univbct_jsat.inference.json",
        "univbct_placebo.inference.json",
        "univbct_singular.inference.json",
        "simulated_study.csv",
        "simulated_study.inference.json",
    } <= names
    assert "holzinger_swineford.invariance.json" in names
    for stem in ("political_democracy", "univbct_morale"):  # repeated-measures invariance
        assert {f"{stem}.csv", f"{stem}.invariance.json"} <= names
    assert {"make_reference.R", "compare_reference.py", "README.md"} <= names
