"""``copkit report``: the evaluator report and the manager brief from a bundle, as HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reports.pdf import pdf_page_count
from tests.cli.conftest import run


def test_evaluator_html_and_manager_pdf(simulated_bundle: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = run("report", str(simulated_bundle), "--out", str(page))
    assert done.returncode == 0, done.stderr
    assert "report [12/12] done" in done.stderr
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
