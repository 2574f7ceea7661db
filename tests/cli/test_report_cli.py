"""``copkit report``: the evaluator report and the manager brief from a bundle, as HTML and PDF."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from reports.pdf import pdf_page_count
from tests.cli.conftest import run


@pytest.mark.slow
def test_evaluator_html_and_manager_pdf(simulated_bundle: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = run("report", str(simulated_bundle), "--out", str(page))
    assert done.returncode == 0, done.stderr
    # Progress counts every section to the last: "report [n/n] done".
    assert re.search(r"^report \[(\d+)/\1\] done", done.stderr, re.MULTILINE), done.stderr
    text = page.read_text(encoding="utf-8")
    for section in ('id="formation"', 'id="networks"', 'id="methods"', "<svg"):
        assert section in text
    team = pd.read_csv(simulated_bundle / "truth.csv")["team"].iloc[0]
    brief = tmp_path / "brief.pdf"
    done = run(
        "report",
        str(simulated_bundle),
        "--audience",
        "manager",
        "--team",
        team,
        "--out",
        str(brief),
    )
    assert done.returncode == 0, done.stderr
    assert pdf_page_count(brief.read_bytes()) == 1


@pytest.mark.slow
def test_report_refuses_bad_requests(simulated_bundle: Path, tmp_path: Path) -> None:
    bad = run("report", str(simulated_bundle), "--out", str(tmp_path / "r.docx"))
    assert bad.returncode == 2 and "must end in .html or .pdf" in bad.stderr
    bad = run(
        "report", str(simulated_bundle), "--audience", "manager", "--out", str(tmp_path / "b.html")
    )
    assert bad.returncode == 2 and "give --team" in bad.stderr
    bad = run(
        "report",
        str(simulated_bundle),
        "--audience",
        "manager",
        "--team",
        "Nowhere",
        "--out",
        str(tmp_path / "b.html"),
    )
    assert bad.returncode == 2 and "unknown team(s) Nowhere" in bad.stderr
    assert not (tmp_path / "b.html").exists()


@pytest.mark.slow
def test_criteria_change_the_verdicts_and_the_brief_wording(
    simulated_bundle: Path, tmp_path: Path
) -> None:
    team = pd.read_csv(simulated_bundle / "truth.csv")["team"].iloc[0]
    strict = tmp_path / "strict.yaml"
    strict.write_text("emergence:\n  rwg_j_min: 0.99\nboundaries:\n  cross_ratio_min: 1.5\n")
    briefs = {}
    for name, extra in (("default", []), ("strict", ["--criteria", str(strict)])):
        out = tmp_path / f"{name}.html"
        done = run(
            "report",
            str(simulated_bundle),
            "--audience",
            "manager",
            "--team",
            team,
            "--out",
            str(out),
            *extra,
        )
        assert done.returncode == 0, done.stderr
        briefs[name] = out.read_text(encoding="utf-8")
    assert "0.70 and more than chance is shared" in briefs["default"]
    assert "0.99 and more than chance is shared" in briefs["strict"]
    assert "0.70 and more than chance" not in briefs["strict"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("emergence:\n  rwg_j_minimum: 0.9\n")
    refused = run(
        "report", str(simulated_bundle), "--criteria", str(bad), "--out", str(tmp_path / "x.html")
    )
    assert (
        refused.returncode == 1
        and "unknown formation criterion 'emergence.rwg_j_minimum'" in refused.stderr
    )


@pytest.mark.slow
def test_the_pdf_names_its_study_period_and_says_how_it_renders(
    simulated_bundle: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "r.pdf"
    done = run("report", str(simulated_bundle), "--title", "North West study", "--out", str(pdf))
    assert done.returncode == 0, done.stderr
    assert "pdf [1/2] writing" in done.stderr and "pdf [2/2] done" in done.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Title:           North West study" in info.stdout
    assert "Tagged:          yes" in info.stdout


@pytest.mark.slow
def test_ddf_chooses_the_method_the_report_names(simulated_bundle: Path, tmp_path: Path) -> None:
    """copkit report --ddf mirrors copkit analyse --ddf, and the report says which it used."""
    page = tmp_path / "wald.html"
    done = run("report", str(simulated_bundle), "--ddf", "wald", "--out", str(page))
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    assert "Intervals and p use Wald z (normal reference, no small-sample correction)" in text
    assert "lmerTest" not in text.split('id="methods"')[0]  # Satterthwaite named nowhere before
    bad = run("report", str(simulated_bundle), "--ddf", "exact", "--out", str(page))
    assert bad.returncode == 2 and "--ddf" in bad.stderr


@pytest.mark.slow
def test_the_report_is_the_same_whatever_the_number_of_processes(
    simulated_bundle: Path, tmp_path: Path
) -> None:
    # --jobs shares out the analysis's model fits and the figures; the default is the idle cores
    texts = []
    for jobs in ("1", "2"):
        page = tmp_path / f"report-{jobs}.html"
        done = run("report", str(simulated_bundle), "--out", str(page), "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        texts.append(re.sub(r"generated [^·<]*UTC", "", page.read_text(encoding="utf-8")))
    assert texts[0] == texts[1]
    assert "<svg" in texts[0]


@pytest.mark.slow
def test_a_bundles_report_needs_no_database_and_keeps_the_configured_settings(
    simulated_bundle: Path, tmp_path: Path
) -> None:
    """A report of a bundle never starts the web app: a database setting it could not use
    does not stop it, and COPKIT_MIN_CELL still decides what a brief withholds."""
    team = pd.read_csv(simulated_bundle / "truth.csv")["team"].iloc[0]
    brief = tmp_path / "brief.html"
    args = ("report", str(simulated_bundle), "--audience", "manager", "--team", team)
    env = {**os.environ, "COPKIT_DATABASE_URL": "nosuchdatabase://nowhere", "COPKIT_MIN_CELL": "7"}
    done = run(*args, "--out", str(brief), env=env)
    assert done.returncode == 0, done.stderr
    assert "resting on fewer than 7 responses is withheld" in brief.read_text(encoding="utf-8")
    # a setting out of range is named, with its rule, and nothing is written
    refused = run(*args, "--out", str(tmp_path / "no.html"), env={**env, "COPKIT_MIN_CELL": "0"})
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "setting MIN_CELL (COPKIT_MIN_CELL) must be a whole number >= 1, not 0" in refused.stderr
    assert not (tmp_path / "no.html").exists()
