"""``copkit power``: a progress bar, a table on stdout, and a self-contained HTML page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

COPKIT = str(Path(sys.executable).with_name("copkit"))


@pytest.mark.slow
def test_power_table_and_page(tmp_path: Path) -> None:
    page = tmp_path / "power.html"
    done = subprocess.run(
        [
            COPKIT,
            "power",
            "--teams",
            "4,12",
            "--members",
            "8",
            "--waves",
            "5",
            "--effect",
            "1.0",
            "--reps",
            "8",
            "--no-verdicts",
            "--out",
            str(page),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "simulating studies" in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["teams", "members", "waves", "effect", "power"]
    powers = {int(line.split()[0]): float(line.split()[4]) for line in lines[1:3]}
    assert powers[12] >= powers[4]
    # the test's degrees of freedom are named, on stdout and on the page (issue 17)
    assert lines[3].startswith("Test and intervals: ") and "lmerTest" in lines[3], lines
    text = page.read_text()
    assert "<svg" in text and "Power by design" in text
    assert "Test and intervals: the growth model&#x27;s test" in text and "lmerTest" in text
    assert "http://" not in text and "https://" not in text


@pytest.mark.slow
def test_power_refuses_bad_designs(tmp_path: Path) -> None:
    bad = subprocess.run(
        [COPKIT, "power", "--teams", "four"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert "'four' is not a comma-separated list of numbers" in bad.stderr
    bad = subprocess.run(
        [COPKIT, "power", "--out", str(tmp_path / "x.pdf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "must end in .csv or .html" in bad.stderr


@pytest.mark.slow
def test_power_of_a_proposition(tmp_path: Path) -> None:
    table = tmp_path / "p3.csv"
    args = ["--teams", "6", "--members", "5", "--waves", "4", "--reps", "5", "--jobs", "1"]
    out = ["--out", str(table)]
    done = subprocess.run(
        [COPKIT, "power", "--proposition", "3", "--mechanism", "limited_control=1", *args, *out],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:5] == ["teams", "members", "waves", "effect", "share"]
    rows = pd.read_csv(table)
    assert rows["reps"].tolist() == [5] and rows["limited_control"].tolist() == [1.0]
    verdicts = ["supported", "contradicted", "inconclusive", "not_measured"]
    assert int(rows[verdicts].sum(axis=1).iloc[0]) == 5
    unknown = subprocess.run(
        [COPKIT, "power", "--proposition", "1", "--mechanism", "telepathy=1", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and "the mechanisms are" in unknown.stderr
    alone = subprocess.run(
        [COPKIT, "power", "--mechanism", "enclave_spread=1", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert alone.returncode == 2 and "needs --proposition" in alone.stderr
