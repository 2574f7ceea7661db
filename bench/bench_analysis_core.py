"""Benchmark: reliability, item-total and agreement tables for a 100-team, 8-wave study."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.agreement import agreement_table
from analysis.reliability import item_total_table, reliability_table
from analysis.rwg_null import clear_memory_cache

N_TEAMS = 100
TEAM_SIZE = 12
N_WAVES = 8
N_SCALES = 10
ITEMS_PER_SCALE = 4
OPTIONS = 7
MISSING_SHARE = 0.03
RESULT_PATH = Path(__file__).resolve().parent / "results" / "analysis_core.json"


def build_study(seed: int = 0) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Synthetic wide item frame: teams x members x waves, ten 4-item 7-point scales.

    Responses follow a one-factor model per scale with team and person effects, are rounded
    and clipped to 1..7, and 3% of answers are missing at random.
    """
    rng = np.random.default_rng(seed)
    n_rows = N_TEAMS * TEAM_SIZE * N_WAVES
    team = np.repeat(np.arange(N_TEAMS), TEAM_SIZE * N_WAVES)
    member = np.tile(np.repeat(np.arange(TEAM_SIZE), N_WAVES), N_TEAMS)
    wave = np.tile(np.arange(1, N_WAVES + 1), N_TEAMS * TEAM_SIZE)
    data: dict[str, Any] = {
        "team": [f"team{t:03d}" for t in team],
        "respondent": [f"r{t:03d}-{m:02d}" for t, m in zip(team, member, strict=True)],
        "wave": wave,
    }
    items_by_scale: dict[str, list[str]] = {}
    for s in range(N_SCALES):
        team_effect = rng.normal(scale=0.6, size=N_TEAMS)[team]
        person = rng.normal(scale=0.8, size=N_TEAMS * TEAM_SIZE)[team * TEAM_SIZE + member]
        growth = 0.05 * (wave - 1)
        latent = 4.0 + team_effect + person + growth + rng.normal(scale=0.5, size=n_rows)
        names = [f"s{s:02d}_{i}" for i in range(ITEMS_PER_SCALE)]
        for name in names:
            answer = np.clip(np.round(latent + rng.normal(scale=0.9, size=n_rows)), 1, OPTIONS)
            answer[rng.random(n_rows) < MISSING_SHARE] = np.nan
            data[name] = answer
        items_by_scale[f"scale_{s:02d}"] = names
    return pd.DataFrame(data), items_by_scale


def _timed(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def run() -> dict[str, Any]:
    """Time the three tables on the synthetic study; return seconds and peak memory.

    ``seconds`` is the total of reliability_table, item_total_table and agreement_table with
    an empty rwg-null cache (the simulations included); ``seconds_warm`` repeats it with the
    quantiles cached. ``peak_memory_mb`` is the tracemalloc peak of a further (warm) run of the
    three tables; ``max_rss_mb`` is the process high-water mark.
    """
    data, items_by_scale = build_study()
    previous = os.environ.get("COPKIT_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="copkit-bench-cache-") as cache_dir:
        os.environ["COPKIT_CACHE_DIR"] = cache_dir
        clear_memory_cache()
        try:
            steps: dict[str, Callable[[], object]] = {
                "reliability_table": lambda: reliability_table(data, items_by_scale),
                "item_total_table": lambda: item_total_table(data, items_by_scale),
                "agreement_table": lambda: agreement_table(data, items_by_scale, OPTIONS),
            }
            cold = {name: _timed(step) for name, step in steps.items()}
            warm = {name: _timed(step) for name, step in steps.items()}
            tracemalloc.start()
            for step in steps.values():
                step()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows = len(agreement_table(data, items_by_scale, OPTIONS))
        finally:
            clear_memory_cache()
            if previous is None:
                os.environ.pop("COPKIT_CACHE_DIR", None)
            else:
                os.environ["COPKIT_CACHE_DIR"] = previous
    max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "name": "analysis_core",
        "study": {
            "teams": N_TEAMS,
            "members_per_team": TEAM_SIZE,
            "waves": N_WAVES,
            "items": N_SCALES * ITEMS_PER_SCALE,
            "scales": N_SCALES,
            "options": OPTIONS,
            "respondent_rows": len(data),
            "agreement_rows": rows,
        },
        "seconds": round(sum(cold.values()), 4),
        "seconds_warm": round(sum(warm.values()), 4),
        "steps_seconds": {name: round(value, 4) for name, value in cold.items()},
        "steps_seconds_warm": {name: round(value, 4) for name, value in warm.items()},
        "peak_memory_mb": round(peak / 2**20, 2),
        "max_rss_mb": round(max_rss_kb / 1024, 1),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def main() -> None:
    """Run the benchmark, print the result as JSON and write it to bench/results/."""
    result = run()
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
