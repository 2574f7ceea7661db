"""Benchmark: three-level growth model on 100 teams x 15 members x 8 waves, against lme4's time."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
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
#: lme4's time for the same fit as stated in the issue, used only when R and lme4 are absent
#: (``apt-get install r-cran-lme4`` gives a live measurement in the same run).
LME4_STATED_SECONDS = 0.33
LME4_SCRIPT = r"""
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$tp <- interaction(d$team, d$person, drop = TRUE)
f <- function() lmer(score ~ wave + (wave | team) + (1 | tp), data = d, REML = TRUE)
m <- f()
times <- sapply(1:as.integer(args[2]), function(i) system.time(f())[["elapsed"]])
cat(sprintf('{"seconds_median": %.4f, "seconds_best": %.4f, "loglik": %.6f, "version": "%s"}\n',
            median(times), min(times), as.numeric(logLik(m)), packageVersion("lme4")))
"""
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


def _lme4(data: pd.DataFrame) -> dict[str, Any] | None:
    """Time lme4's REML fit of the same model on the same rows, if R and lme4 are installed."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "growth.csv"
        script = Path(folder) / "fit.R"
        data.dropna(subset=["score"]).to_csv(csv, index=False)
        script.write_text(LME4_SCRIPT, encoding="utf-8")
        try:
            done = subprocess.run(
                [rscript, str(script), str(csv), str(REPEATS)],
                capture_output=True,
                text=True,
                timeout=300,
                check=True,
            )
        except (subprocess.SubprocessError, OSError) as error:
            print(f"  lme4 not measured: {error}", flush=True)
            return None
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
        "goal": "within 2x of lme4 (ratio <= 2)",
    }
    print("  lme4 (R) on the same rows ...", flush=True)
    lme4 = _lme4(data)
    if lme4 is not None:
        report["lme4"] = lme4
        report["lme4_seconds"] = lme4["seconds_median"]
        report["lme4_note"] = "measured in this run with Rscript on the same rows"
        report["loglik_minus_lme4"] = result.loglik - lme4["loglik"]
    else:
        report["lme4_seconds"] = LME4_STATED_SECONDS
        report["lme4_note"] = "lme4's time as stated in the issue; R/lme4 not installed here"
    report["ratio_to_lme4"] = round(median / report["lme4_seconds"], 3)
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
