"""Profile one report of a bundle, phase by phase (CPU time, cProfile), and write the summary.

``python -m bench.profile_report BUNDLE OUT.txt [--html]`` analyses the bundle (timed, not
profiled: ``bench.profile_analyse`` covers it), then builds the evaluator report as
``copkit report --out report.pdf`` does (figures as PNG, then WeasyPrint) under
:mod:`cProfile` with a CPU-time timer; with ``--html`` it builds the HTML report as
``--out report.html`` does (SVG figures) instead. The summary gives the CPU seconds of each
phase, then the costliest calls by cumulative and by own time. The summaries kept in
``bench/profiles/`` were made this way (see ``bench/profiles/README.md``).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from analysis.bundle import read_bundle
from analysis.pipeline import analyse_bundle
from reports.evaluator import build_evaluator_report
from reports.figures import raster_figures
from reports.pdf import html_to_pdf


def profile(bundle_path: str, out: Path, *, pdf: bool = True) -> dict[str, float]:
    """Write the profile summary of the evaluator report of ``bundle_path`` to ``out``;
    return the CPU seconds of each phase (analysis unprofiled, the rest profiled)."""
    started = time.process_time()
    results = analyse_bundle(read_bundle(bundle_path))
    phases = {"analysis": time.process_time() - started}
    profiler = cProfile.Profile(time.process_time)
    started = time.process_time()
    profiler.enable()
    with raster_figures() if pdf else nullcontext():
        html = build_evaluator_report(results)
    phases["html"] = time.process_time() - started
    if pdf:
        started = time.process_time()
        data = html_to_pdf(html)
        phases["pdf"] = time.process_time() - started
    profiler.disable()
    text = io.StringIO()
    kind = f"PDF ({len(data):,} bytes)" if pdf else f"HTML ({len(html):,} characters)"
    text.write(f"evaluator report of {bundle_path} as {kind}; CPU s by phase: ")
    text.write(", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    text.write(" (analysis unprofiled, the rest under the profiler)\n")
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(70)
    stats.sort_stats("tottime").print_stats(35)
    out.write_text(text.getvalue(), encoding="utf-8")
    return phases


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--html"]
    if len(arguments) != 2:
        sys.exit("usage: python -m bench.profile_report BUNDLE OUT.txt [--html]")
    found = profile(arguments[0], Path(arguments[1]), pdf="--html" not in sys.argv[1:])
    print(", ".join(f"{k} {v:.2f} CPU s" for k, v in found.items()))
