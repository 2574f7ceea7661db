"""Profile one analysis of a bundle (CPU time, cProfile) and write the summary as text.

``python -m bench.profile_analyse BUNDLE OUT.txt`` analyses the bundle once to warm caches,
then once under :mod:`cProfile` with a CPU-time timer (steadier than wall time on a shared
machine), and writes the 45 costliest calls by cumulative and the 25 by own time to ``OUT``.
The summaries kept in ``bench/profiles/`` were made this way (see ``bench/README.md``).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

from analysis.bundle import read_bundle
from analysis.pipeline import analyse_bundle


def profile(bundle_path: str, out: Path) -> float:
    """Write the profile summary of :func:`analysis.pipeline.analyse_bundle` on ``bundle_path``
    to ``out``; return the CPU seconds of the profiled run."""
    bundle = read_bundle(bundle_path)
    analyse_bundle(bundle)
    profiler = cProfile.Profile(time.process_time)
    started = time.process_time()
    profiler.enable()
    analyse_bundle(bundle)
    profiler.disable()
    cpu = time.process_time() - started
    text = io.StringIO()
    text.write(f"analyse_bundle({bundle_path}): {cpu:.2f} CPU s under the profiler\n")
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    out.write_text(text.getvalue(), encoding="utf-8")
    return cpu


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m bench.profile_analyse BUNDLE OUT.txt")
    print(f"{profile(sys.argv[1], Path(sys.argv[2])):.2f} CPU s")
