"""``copkit power``: a progress bar, a table on stdout, and a self-contained HTML page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

COPKIT = str(Path(sys.executable).with_name("copkit"))


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
    text = page.read_text()
    assert "<svg" in text and "Power by design" in text
    assert "http://" not in text and "https://" not in text


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
