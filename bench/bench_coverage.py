"""Coverage of the growth model's 95% intervals at 8 teams: Satterthwaite beside Wald (issue 17).

Each simulated study is :func:`analysis.simulate.simulate_study` with 8 teams of about 10
members over 6 waves, half the teams with a staggered intervention, and no true change: the
team kinds are those with a flat latent trajectory (``formed``, ``uniprofessional_enclaves``,
``not_formed``; ``forming`` rises by a kind constant whose size on the observed 1-7 scale
depends on the study's item loadings and on rounding, so it has no exact truth), and
``effect = slope_effect = 0``. The true ``wave``, ``post`` and ``since`` coefficients of the
scale score are then 0 whatever the loadings, and an interval covers when it holds 0.

Per study, mutual engagement is fitted once by REML as
:func:`analysis.interventions.intervention_effects` fits it (``score ~ wave + post + since +
(wave | team) + (1 | team:person)``); each term gets lmerTest's Satterthwaite t interval and
the Wald z interval (the same estimate and standard error). The Monte Carlo
standard error of a coverage ``c`` over ``n`` studies is ``sqrt(c (1 - c) / n)``.

Run: ``nice -n 10 .venv/bin/python -m bench.bench_coverage --studies 200``; the result goes to
``bench/results/coverage.json`` (one entry per scenario) and the figure
``bench/results/coverage.svg``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from scipy import stats

from analysis.growth import fit_growth
from analysis.interventions import code_interventions
from analysis.scoring import item_matrix, scale_scores
from analysis.simulate import simulate_study

RESULT_PATH = Path(__file__).resolve().parent / "results" / "coverage.json"
TERMS = ("wave", "post", "since")
METHODS = ("satterthwaite", "wald")
FLAT_KINDS = ("formed", "uniprofessional_enclaves", "not_formed")
#: The scenarios: kinds assigned to the 8 teams in turn. ``flat_kinds`` mixes within-team
#: spreads 0.4-1.6 and enclave profession offsets, which the model does not describe (one
#: person variance for all teams); ``not_formed`` has one kind, so the model is right up to
#: the items' rounding and clipping.
SCENARIOS: dict[str, tuple[str, ...]] = {"flat_kinds": FLAT_KINDS, "not_formed": ("not_formed",)}
SCALE = "mutual_engagement"
DESIGN = {"teams": 8, "members": 10, "waves": 6}


def one_study(seed: int, kinds: tuple[str, ...] = FLAT_KINDS) -> dict[str, dict[str, Any]]:
    """Whether each method's 95% interval of each term holds 0 in the study of ``seed``, with
    the df (NaN-free only where the fit gave them)."""
    study = simulate_study(**DESIGN, seed=seed, kinds=kinds, effect=0.0, slope_effect=0.0)
    bundle = study.bundle
    scores = scale_scores(item_matrix(bundle.responses, bundle.instrument), bundle.instrument)
    data = scores.dropna(subset=[SCALE])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = _fit(data, bundle)
    return {
        method: {
            term: {
                "covered": bool(row["ci_low"][method] <= 0.0 <= row["ci_high"][method]),
                "df": row["df"][method],
                "singular": row["singular"],
            }
            for term, row in fit.items()
        }
        for method in METHODS
    }


def _fit(data: Any, bundle: Any) -> dict[str, dict[str, Any]]:
    """Both methods' 95% intervals of ``wave``, ``post`` and ``since`` from one REML fit (the
    model of :func:`analysis.interventions.intervention_effects`, whose table leaves ``wave``
    out). Satterthwaite leaves the standard error as it is, so Wald's z interval is
    ``estimate +- z_.975 se`` of the same fit."""
    coded = code_interventions(data, bundle.interventions)
    fit = fit_growth(
        coded,
        SCALE,
        time="wave",
        team="team",
        person="respondent",
        covariates=["post", "since"],
        ddf="satterthwaite",
    )
    z = float(stats.norm.ppf(0.975))
    out = {}
    for term in TERMS:
        row = fit.fixed.loc[term]
        estimate, se = float(row["estimate"]), float(row["se"])
        out[term] = {
            "ci_low": {"satterthwaite": float(row["ci_low"]), "wald": estimate - z * se},
            "ci_high": {"satterthwaite": float(row["ci_high"]), "wald": estimate + z * se},
            "df": {"satterthwaite": float(row["df"]), "wald": math.inf},
            "singular": bool(fit.singular),
        }
    return out


def summarise(per_study: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Coverage, its Monte Carlo SE and the median df per method and term."""
    n = len(per_study)
    table: dict[str, Any] = {}
    for method in METHODS:
        table[method] = {}
        for term in TERMS:
            hits = sum(s[method][term]["covered"] for s in per_study)
            dfs = sorted(s[method][term]["df"] for s in per_study)
            c = hits / n
            regular = [
                s[method][term]["covered"] for s in per_study if not s[method][term]["singular"]
            ]
            table[method][term] = {
                "coverage": round(c, 4),
                "mc_se": round(math.sqrt(c * (1 - c) / n), 4),
                "covered": hits,
                "median_df": round(dfs[n // 2], 2) if math.isfinite(dfs[n // 2]) else "inf (z)",
                "coverage_non_singular": round(sum(regular) / len(regular), 4) if regular else None,
            }
    table["singular_share"] = round(
        sum(s["satterthwaite"]["wave"]["singular"] for s in per_study) / n, 4
    )
    return table


def run(
    studies: int = 200, first_seed: int = 1, kinds: tuple[str, ...] = FLAT_KINDS
) -> dict[str, Any]:
    """Simulate ``studies`` studies (seeds ``first_seed ..``) and return the coverage table."""
    start = time.perf_counter()
    per_study = []
    for i, seed in enumerate(range(first_seed, first_seed + studies), 1):
        per_study.append(one_study(seed, kinds))
        if i % 10 == 0:
            print(f"  {i}/{studies} studies, {time.perf_counter() - start:.0f} s", flush=True)
    return {
        "design": {**DESIGN, "kinds": list(kinds), "scale": SCALE, "truth": 0.0},
        "studies": studies,
        "seeds": [first_seed, first_seed + studies - 1],
        "seconds": round(time.perf_counter() - start, 1),
        "coverage": summarise(per_study),
    }


def draw(result: dict[str, Any], path: Path) -> Path:
    """Coverage per term, Satterthwaite beside Wald, each with +-1.96 Monte Carlo SE, one
    panel per scenario; the 0.93-0.97 band shaded. Written as SVG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    scenarios = result["scenarios"]
    fig = Figure(figsize=(3.4 * len(scenarios), 3.2))
    axes = fig.subplots(1, len(scenarios), sharey=True, squeeze=False)[0]
    for ax, (name, entry) in zip(axes, scenarios.items(), strict=True):
        ax.axhspan(0.93, 0.97, color="0.9")
        ax.axhline(0.95, color="0.5", linewidth=0.8)
        for shift, method, marker in ((-0.12, "satterthwaite", "o"), (0.12, "wald", "s")):
            rows = [entry["coverage"][method][term] for term in TERMS]
            ax.errorbar(
                [i + shift for i in range(len(TERMS))],
                [r["coverage"] for r in rows],
                yerr=[1.96 * r["mc_se"] for r in rows],
                fmt=marker,
                color="black" if method == "satterthwaite" else "0.55",
                label="Satterthwaite t" if method == "satterthwaite" else "Wald z",
                capsize=3,
            )
        ax.set_xticks(range(len(TERMS)), TERMS)
        ax.set_xlim(-0.5, len(TERMS) - 0.5)
        ax.set_title(f"{name} ({entry['studies']} studies)", fontsize=9)
        ax.set_xlabel("term")
    axes[0].set_ylabel("95% interval coverage")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, format=path.suffix.lstrip(".") or "svg")
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--studies N --seed S --scenario NAME --out PATH``; the scenario's result
    replaces its entry in the JSON file (the other scenarios' entries are kept)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="flat_kinds")
    parser.add_argument("--out", type=Path, default=RESULT_PATH)
    args = parser.parse_args(argv if argv is not None else [])
    result = run(args.studies, args.seed, SCENARIOS[args.scenario])
    previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    scenarios = previous.get("scenarios", {})
    scenarios[args.scenario] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"scenarios": scenarios}, indent=2) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"figure: {draw({'scenarios': scenarios}, args.out.with_suffix('.svg'))}")
    print(json.dumps(result["coverage"], indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
