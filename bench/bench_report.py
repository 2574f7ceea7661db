"""Benchmark: evaluator report and manager brief (HTML and PDF) for an 8-team study."""

from __future__ import annotations

import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis.pipeline import analyse_bundle
from analysis.simulate import simulate_study
from reports import build_evaluator_report, build_manager_brief
from reports.pdf import html_to_pdf, pdf_page_count

TEAMS, MEMBERS, WAVES, SEED = 8, 10, 6, 1
RESULT_PATH = Path(__file__).resolve().parent / "results" / "report.json"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _timed(label: str, work: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = work()
    seconds = time.perf_counter() - start
    _say(f"  {label}: {seconds:.2f} s")
    return out, seconds


def run() -> dict[str, Any]:
    """Simulate, analyse, then time every report build; write ``bench/results/report.json``."""
    _say(f"report benchmark: {TEAMS} teams x {MEMBERS} members x {WAVES} waves (seed {SEED})")
    study, simulate_seconds = _timed(
        "simulate", lambda: simulate_study(teams=TEAMS, members=MEMBERS, waves=WAVES, seed=SEED)
    )
    results, analyse_seconds = _timed("analyse", lambda: analyse_bundle(study.bundle))

    def progress(step: str, done: int, total: int) -> None:
        if step == "done":
            print(file=sys.stderr)
        else:
            print(f"\r    section {done + 1:>2}/{total} {step:<14}", end="", file=sys.stderr)

    first_html, first_seconds = _timed(
        "evaluator HTML (first, cold caches)",
        lambda: build_evaluator_report(results, progress=progress),
    )
    html, html_seconds = _timed("evaluator HTML", lambda: build_evaluator_report(results))
    pdf, pdf_seconds = _timed("evaluator PDF from that HTML", lambda: html_to_pdf(html))
    brief, brief_seconds = _timed(
        "manager brief HTML (all teams)", lambda: build_manager_brief(results)
    )
    brief_pdf, brief_pdf_seconds = _timed("manager brief PDF", lambda: html_to_pdf(brief))
    report = {
        "study": {
            "teams": TEAMS,
            "members": MEMBERS,
            "waves": WAVES,
            "seed": SEED,
            "invited": len(study.bundle.roster),
            "responses": int(study.bundle.roster["responded"].sum()),
        },
        "seconds": {
            "simulate": round(simulate_seconds, 3),
            "analyse": round(analyse_seconds, 3),
            "evaluator_html_cold": round(first_seconds, 3),
            "evaluator_html": round(html_seconds, 3),
            "evaluator_pdf_render": round(pdf_seconds, 3),
            "evaluator_html_plus_pdf": round(html_seconds + pdf_seconds, 3),
            "manager_brief_html": round(brief_seconds, 3),
            "manager_brief_pdf_render": round(brief_pdf_seconds, 3),
        },
        "evaluator": {
            "html_bytes": len(html.encode("utf-8")),
            "svg_figures": html.count("<svg"),
            "pdf_bytes": len(pdf),
            "pdf_pages": pdf_page_count(pdf),
            "same_size_as_cold_build": len(first_html) == len(html),
        },
        "manager_brief": {
            "html_bytes": len(brief.encode("utf-8")),
            "pdf_bytes": len(brief_pdf),
            "pdf_pages": pdf_page_count(brief_pdf),
            "teams": TEAMS,
        },
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "matplotlib": metadata.version("matplotlib"),
            "weasyprint": metadata.version("weasyprint"),
            "note": "shared 2-core machine; times vary with other load",
        },
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _say(f"written {RESULT_PATH}")
    print(json.dumps(report, indent=2))
    return report


def main() -> None:
    """Entry point for ``python -m bench.bench_report`` and ``python -m bench report``."""
    run()


if __name__ == "__main__":
    main()
