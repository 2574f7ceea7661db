"""Benchmark: three-level growth model on 100 teams x 15 members x 8 waves, against lme4's time."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.growth import fit_growth

N_TEAMS = 100
TEAM_SIZE = 15
N_WAVES = 8
MISSING_SHARE = 0.05
REPEATS = 5
STATSMODELS_TIMEOUT = 30.0
#: lme4 1.1 on this machine class for the same fit (stated in the issue; R is not installed here).
LME4_SECONDS = 0.33
RESULT_PATH = Path(__file__).resolve().parent / "results" / "growth.json"


def simulate(seed: int = 0) -> pd.DataFrame:
    """Long data: team random intercepts and slopes, person intercepts, 5% missing outcomes.

    Person ids are only unique within team (``m00``..``m14``), as in real rosters.
    """
    rng = np.random.default_rng(seed)
    n_rows = N_TEAMS * TEAM_SIZE * N_WAVES
    team = np.repeat(np.arange(N_TEAMS), TEAM_SIZE * N_WAVES)
    member = np.tile(np.repeat(np.arange(TEAM_SIZE), N_WAVES), N_TEAMS)
    person = team * TEAM_SIZE + member
    wave = np.tile(np.arange(1, N_WAVES + 1), N_TEAMS * TEAM_SIZE)
    team_cov = np.array([[0.30, -0.01], [-0.01, 0.01]])
    team_effects = rng.multivariate_normal([0.0, 0.0], team_cov, size=N_TEAMS)
    person_effects = rng.normal(0.0, 0.6, N_TEAMS * TEAM_SIZE)
    score = (
        4.0
        + 0.08 * wave
        + team_effects[team, 0]
        + team_effects[team, 1] * wave
        + person_effects[person]
        + rng.normal(0.0, 0.7, n_rows)
    )
    score[rng.random(n_rows) < MISSING_SHARE] = np.nan
    return pd.DataFrame(
        {
            "team": [f"team{t:03d}" for t in team],
            "person": [f"m{m:02d}" for m in member],
            "wave": wave,
            "score": score,
        }
    )


def time_statsmodels(seed: int = 0) -> dict[str, Any]:
    """statsmodels' MixedLM with its default REML fit of the same model (no tuning)."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    data = simulate(seed).dropna(subset=["score"])
    data = data.assign(member=data["team"] + ":" + data["person"])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixedLM.from_formula(
            "score ~ wave",
            data=data,
            groups="team",
            re_formula="~wave",
            vc_formula={"member": "0 + C(member)"},
        )
        result = model.fit(reml=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "loglik": float(result.llf), "converged": bool(result.converged)}


def _statsmodels_with_timeout(seed: int) -> dict[str, Any]:
    code = (
        "import json; from bench.bench_growth import time_statsmodels; "
        f"print(json.dumps(time_statsmodels({seed})))"
    )
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=STATSMODELS_TIMEOUT,
            cwd=root,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "note": f"did not finish within {STATSMODELS_TIMEOUT:.0f} s"}
    except subprocess.CalledProcessError as error:
        return {"seconds": None, "note": f"failed: {error.stderr.strip()[-300:]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(seed: int = 0, *, compare_statsmodels: bool = True) -> dict[str, Any]:
    """Time ``fit_growth(..., person="person")`` on the simulated study; write the JSON result.

    Returns
    -------
    dict
        Data size, fit times (median and best of ``REPEATS``), the fit's REML log-likelihood,
        flags, lme4's time for the same fit and, optionally, statsmodels' default fit.
    """
    data = simulate(seed)
    print(f"growth benchmark: {len(data)} rows, {N_TEAMS} teams x {TEAM_SIZE} x {N_WAVES} waves")
    fit_growth(data, "score", person="person")  # warm-up (imports, caches)
    times = []
    result = None
    for repeat in range(REPEATS):
        start = time.perf_counter()
        result = fit_growth(data, "score", person="person")
        times.append(time.perf_counter() - start)
        print(f"  fit {repeat + 1}/{REPEATS}: {times[-1]:.3f} s", flush=True)
    if result is None:
        raise RuntimeError("no fit was timed")
    median = statistics.median(times)
    report: dict[str, Any] = {
        "model": result.formula,
        "rows": result.n_obs,
        "rows_dropped": result.n_dropped,
        "teams": result.n_teams,
        "persons": result.n_persons,
        "fit_seconds_median": round(median, 4),
        "fit_seconds_best": round(min(times), 4),
        "loglik_reml": result.loglik,
        "converged": result.converged,
        "singular": result.singular,
        "lme4_seconds": LME4_SECONDS,
        "lme4_note": "lme4 time for the same fit as stated in the issue; R is not installed here",
        "ratio_to_lme4": round(median / LME4_SECONDS, 3),
        "goal": "within 2x of lme4 (ratio <= 2)",
    }
    if compare_statsmodels:
        print("  statsmodels MixedLM default fit ...", flush=True)
        statsmodels_result = _statsmodels_with_timeout(seed)
        if statsmodels_result.get("loglik") is not None:
            statsmodels_result["loglik_below_ours"] = result.loglik - statsmodels_result["loglik"]
        report["statsmodels_default"] = statsmodels_result
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    run()
