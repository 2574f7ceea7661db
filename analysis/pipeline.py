"""Run every analysis on a study bundle and write the result tables (what ``copkit analyse`` does)."""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.agreement import agreement_table
from analysis.bundle import Bundle, read_bundle
from analysis.formation import (
    assess_formation,
    default_criteria,
    formation_evidence,
    formation_sensitivity,
)
from analysis.growth import fit_growth_simplified
from analysis.identity import identity_table, identity_trajectories
from analysis.interventions import code_interventions, intervention_effects
from analysis.network import mask_uncovered, network_table
from analysis.reliability import item_total_table, reliability_table
from analysis.scoring import item_matrix, scale_scores

__all__ = ["AnalysisResults", "analyse_bundle", "run_analysis"]

Progress = Callable[[str, int, int], None]
STEPS = (
    "scores",
    "reliability",
    "agreement",
    "growth",
    "interventions",
    "identity",
    "network",
    "formation",
)


@dataclass(frozen=True)
class AnalysisResults:
    """Every table of a full analysis of one bundle.

    Attributes
    ----------
    scores : DataFrame
        Scale scores per respondent x team x wave (:func:`analysis.scale_scores`).
    reliability, item_total : DataFrame
        Alpha, its Feldt interval and omega per scale and wave; item-total statistics.
    agreement : DataFrame
        rwg(j), r*wg(j), the random-response null, awg, ICC(1), ICC(2) per team, wave, scale.
    growth : DataFrame
        Fixed effects of the growth model per scale (``scale``, ``term``, ``estimate``,
        ``se``, ``z``, ``p``, ``ci_low``, ``ci_high``, ``singular``, ``loglik``).
    team_trajectories : DataFrame
        Team-specific intercepts and slopes (empirical Bayes) with intervals, per scale.
    interventions : DataFrame
        Level change (``post``) and slope change (``since``) per scale with intervals.
    network : DataFrame
        Network measures per team and wave (:func:`analysis.network_table`).
    formation, sensitivity : DataFrame
        Verdicts per team; which verdicts move when each threshold moves.
    identity, identity_trajectories : DataFrame
        Per team and wave, collaborative minus professional and organisational identification
        with intervals and the share of members at least as attached to the team as to their
        profession (:func:`analysis.identity_table`); each team's trajectory of that gap.
    intervention_note : str
        Why ``interventions`` is empty (none recorded, or not yet estimable), else empty.
    """

    bundle: Bundle
    scores: pd.DataFrame
    reliability: pd.DataFrame
    item_total: pd.DataFrame
    agreement: pd.DataFrame
    growth: pd.DataFrame
    team_trajectories: pd.DataFrame
    interventions: pd.DataFrame
    network: pd.DataFrame
    formation: pd.DataFrame
    sensitivity: pd.DataFrame
    criteria: dict[str, Any]
    identity: pd.DataFrame = field(default_factory=pd.DataFrame)
    identity_trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)
    intervention_note: str = ""


def _growth_tables(scores: pd.DataFrame, scale_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    fixed_rows, team_rows = [], []
    for scale_id in scale_ids:
        data = scores.dropna(subset=[scale_id])
        if data["team"].nunique() < 2 or data["wave"].nunique() < 2:
            continue
        fit, note = fit_growth_simplified(data, scale_id, person="respondent")
        fixed = fit.fixed.reset_index().rename(columns={"index": "term"})
        fixed.insert(0, "scale", scale_id)
        fixed["model"] = fit.formula
        fixed["singular"] = fit.singular
        fixed["loglik"] = fit.loglik
        fixed["note"] = note
        fixed_rows.append(fixed)
        teams = fit.team_effects.reset_index()
        teams.insert(0, "scale", scale_id)
        team_rows.append(teams)
    growth = pd.concat(fixed_rows, ignore_index=True) if fixed_rows else pd.DataFrame()
    trajectories = pd.concat(team_rows, ignore_index=True) if team_rows else pd.DataFrame()
    return growth, trajectories


def _intervention_table(
    scores: pd.DataFrame, bundle: Bundle, scale_ids: list[str]
) -> tuple[pd.DataFrame, str]:
    """Level and slope change per scale, or an empty table and why it cannot be estimated yet."""
    if bundle.interventions.empty:
        return pd.DataFrame(), "no interventions recorded"
    coded = code_interventions(scores, bundle.interventions)
    if not (coded["post"] == 1).any():
        return pd.DataFrame(), "no team has been surveyed since its intervention began"
    if not (coded["since"] > 0).any():
        return pd.DataFrame(), (
            "no team has been surveyed twice since its intervention began, so level and slope "
            "changes cannot yet be told apart"
        )
    rows = []
    for scale_id in scale_ids:
        data = scores.dropna(subset=[scale_id])
        rows.append(intervention_effects(data, scale_id, bundle.interventions, person="respondent"))
    return pd.concat(rows, ignore_index=True), ""


def analyse_bundle(
    bundle: Bundle,
    *,
    criteria: dict[str, Any] | str | Path | None = None,
    progress: Progress | None = None,
) -> AnalysisResults:
    """Score, check measurement, fit growth and intervention models, measure networks, judge.

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle (:func:`analysis.read_bundle`).
    criteria : mapping or path, optional
        Formation thresholds overriding ``analysis/formation.yaml``.
    progress : callable, optional
        Called as ``progress(step, done, total)`` before each step (for a terminal display).
    """

    def step(name: str) -> None:
        if progress is not None:
            progress(name, STEPS.index(name), len(STEPS))

    instrument = bundle.instrument
    step("scores")
    items = item_matrix(bundle.responses, instrument)
    scores = scale_scores(items, instrument)
    by_scale = {s.id: list(s.item_ids) for s in instrument.scales}
    step("reliability")
    reliability = reliability_table(items, by_scale)
    item_total = item_total_table(items, by_scale)
    step("agreement")
    options = {s.response_scale.options for s in instrument.scales}
    agreement = (
        pd.concat(
            [
                agreement_table(
                    items,
                    {s.id: list(s.item_ids)},
                    s.response_scale.options,
                    low=s.response_scale.min,
                )
                for s in instrument.scales
            ],
            ignore_index=True,
        )
        if len(options) > 1
        else agreement_table(items, by_scale, options.pop())
    )
    step("growth")
    scale_ids = [s.id for s in instrument.scales]
    growth, trajectories = _growth_tables(scores, scale_ids)
    step("interventions")
    interventions, intervention_note = _intervention_table(scores, bundle, scale_ids)
    step("identity")
    identity = identity_table(scores)
    identity_paths = identity_trajectories(scores)
    step("network")
    raw_network = network_table(bundle, min_coverage=0.0)
    network = mask_uncovered(raw_network, default_criteria()["boundaries"]["min_network_coverage"])
    step("formation")
    settings = criteria if criteria is not None else default_criteria()
    evidence = formation_evidence(
        bundle, settings if isinstance(settings, dict) else None, network=raw_network
    )
    formation = assess_formation(bundle, settings, evidence=evidence)
    sensitivity = formation_sensitivity(bundle, settings, evidence=evidence)
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    resolved = default_criteria() if criteria is None else _resolved(criteria)
    return AnalysisResults(
        bundle=bundle,
        scores=scores,
        reliability=reliability,
        item_total=item_total,
        agreement=agreement,
        growth=growth,
        team_trajectories=trajectories,
        interventions=interventions,
        network=network,
        formation=formation,
        sensitivity=sensitivity,
        criteria=resolved,
        identity=identity,
        identity_trajectories=identity_paths,
        intervention_note=intervention_note,
    )


def _resolved(criteria: dict[str, Any] | str | Path) -> dict[str, Any]:
    from analysis.formation import _criteria

    return _criteria(criteria)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("copkit", "numpy", "scipy", "pandas", "statsmodels", "networkx"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_json_ready(r) for r in frame.to_dict(orient="records")]


def write_results(results: AnalysisResults, out_dir: str | Path) -> Path:
    """Write every table as CSV plus ``results.json`` (summary, verdicts, methods) to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "scores.csv": results.scores,
        "reliability.csv": results.reliability,
        "item_total.csv": results.item_total,
        "agreement.csv": results.agreement,
        "growth.csv": results.growth,
        "team_trajectories.csv": results.team_trajectories,
        "interventions.csv": results.interventions,
        "network.csv": results.network,
        "formation.csv": results.formation,
        "sensitivity.csv": results.sensitivity,
        "identity.csv": results.identity,
        "identity_trajectories.csv": results.identity_trajectories,
    }
    for name, frame in tables.items():
        frame.to_csv(out / name, index=False)
    bundle = results.bundle
    summary = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "bundle": bundle.source,
        "instrument": bundle.instrument.key,
        "teams": bundle.teams,
        "waves": bundle.waves,
        "respondents": int(bundle.roster["respondent"].nunique()),
        "responses": int(bundle.roster["responded"].sum()),
        "invited": len(bundle.roster),
        "verdicts": dict(zip(results.formation["team"], results.formation["verdict"], strict=True)),
        "formation": _records(results.formation),
        "growth": _records(results.growth),
        "interventions": _records(results.interventions),
        "intervention_note": results.intervention_note,
        "sensitivity": _records(results.sensitivity),
        "criteria": results.criteria,
        "software": _versions(),
        "files": sorted(tables),
    }
    (out / "results.json").write_text(json.dumps(_json_ready(summary), indent=2), encoding="utf-8")
    return out


def run_analysis(
    bundle_path: str | Path,
    out_dir: str | Path,
    *,
    criteria: dict[str, Any] | str | Path | None = None,
    progress: Progress | None = None,
) -> AnalysisResults:
    """Read and validate a bundle (folder or zip), analyse it and write the results to ``out_dir``.

    Raises
    ------
    BundleError
        When the bundle is invalid; nothing is written then.
    """
    bundle = read_bundle(bundle_path)
    results = analyse_bundle(bundle, criteria=criteria, progress=progress)
    write_results(results, out_dir)
    return results
