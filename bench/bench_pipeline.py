"""Benchmark: the whole analysis (``copkit analyse``) and the evaluator report, demo-sized and 100 teams."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from analysis.pipeline import analyse_bundle
from analysis.simulate import simulate_study
from reports import build_evaluator_report

RESULT_PATH = Path(__file__).resolve().parent / "results" / "pipeline.json"
DESIGNS = {
    "demo": {"teams": 8, "members": 10, "waves": 6},
    "100 teams": {"teams": 100, "members": 12, "waves": 8},
}


def _measure(name: str, design: dict[str, int]) -> dict[str, Any]:
    study = simulate_study(
        teams=design["teams"], members=design["members"], waves=design["waves"], seed=1
    )
    rows = len(study.bundle.responses)
    print(f"  {name}: {rows} answers", flush=True)
    started = time.perf_counter()
    results = analyse_bundle(study.bundle)
    analysed = time.perf_counter() - started
    print(f"    analysis {analysed:.1f} s", flush=True)
    started = time.perf_counter()
    page = build_evaluator_report(results)
    reported = time.perf_counter() - started
    print(f"    report {reported:.1f} s ({len(page) / 2**20:.1f} MiB of HTML)", flush=True)
    return {
        **design,
        "answers": rows,
        "analysis_seconds": round(analysed, 2),
        "report_html_seconds": round(reported, 2),
        "report_html_mib": round(len(page) / 2**20, 2),
        "verdicts": results.formation["verdict"].value_counts().to_dict(),
    }


def run() -> dict[str, Any]:
    """Time analyse_bundle and build_evaluator_report on each design; write the JSON result."""
    print("pipeline benchmark (analysis + evaluator report)", flush=True)
    report: dict[str, Any] = {name: _measure(name, design) for name, design in DESIGNS.items()}
    report["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["python"] = sys.version.split()[0]
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    run()
