"""Run every analysis on a study bundle and write the result tables (what ``copkit analyse`` does)."""

from __future__ import annotations

import dataclasses
import json
import math
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.agreement import agreement_table
from analysis.bundle import Bundle, closed_waves_only, read_bundle
from analysis.csv_cells import write_csv
from analysis.ddf import ddf_label
from analysis.formation import (
    TeamVerdict,
    counted_team_waves,
    formation_evidence,
    formation_sensitivity,
    formation_table,
    judge_formation,
    resolve_criteria,
)
from analysis.growth import fit_growth_simplified
from analysis.identity import identity_table, identity_trajectories
from analysis.interventions import code_interventions, intervention_models
from analysis.invariance import identity_invariance_rows, invariance_frame, scale_invariance_rows
from analysis.multiplicity import adjust_claims, adjustment_label, check_adjustment
from analysis.network import mask_uncovered, network_table
from analysis.network_inference import (
    DRAWS,
    mask_untested,
    network_permutation,
    tie_persistence,
)
from analysis.propositions import assess_propositions, propositions_table
from analysis.reliability import item_total_table, reliability_table
from analysis.scoring import item_matrix, scale_scores
from analysis.side_by_side import Pending, SideBySide, check_jobs
from analysis.summaries import team_means
from analysis.value_creation import value_creation_table
from instruments import Instrument

__all__ = ["AnalysisResults", "analyse_bundle", "run_analysis"]

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
STEPS = (
    "scores",
    "agreement",
    "network",
    "formation",
    "reliability",
    "identity",
    "interventions",
    "growth",
    "invariance",
)
"""The steps :func:`analyse_bundle` reports, in order (the model fits run beside the others
with more than one job, and are collected last)."""


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
        ``se``, ``df``, ``t``, ``p``, ``ci_low``, ``ci_high``, ``model``, ``singular``,
        ``loglik``, ``note``, ``ddf``, ``ddf_note``).
    team_trajectories : DataFrame
        Team-specific intercepts and slopes (empirical Bayes) with df and intervals, per scale
        (``ddf`` names the method).
    interventions : DataFrame
        Level change (``post``) and slope change (``since``) per scale with df and intervals.
    network : DataFrame
        Network measures per team and wave (:func:`analysis.network_table`).
    network_permutation, tie_persistence : DataFrame
        Per team and wave, the E-I index and cross-profession ratio against random mixing
        (:func:`analysis.network_permutation`); per team, ties kept between consecutive waves
        (:func:`analysis.tie_persistence`).
    invariance : DataFrame
        Configural, metric and scalar invariance of each scale across waves and professions
        and of the identity scales across their targets (:func:`analysis.invariance_table`).
    formation, sensitivity : DataFrame
        Verdicts per team (:func:`analysis.formation.formation_table` of ``verdicts``); which
        verdicts move when each threshold moves.
    criteria : dict
        The formation criteria used (the defaults with any overrides applied).
    verdicts : tuple of TeamVerdict
        The verdicts as structured records (criteria with direction, reasons, counted waves).
    team_waves : DataFrame
        Which team-waves count toward the verdicts and why the others do not
        (:func:`analysis.formation.counted_team_waves`).
    open_waves : tuple of int
        Waves still open that this analysis includes (asked for; their figures will change).
    left_out_waves : tuple of int
        Waves still open that this analysis left out (``bundle`` no longer holds them).
    team_means : DataFrame
        Team means of every scale per wave with t intervals (:func:`analysis.team_means`).
    propositions : DataFrame
        Kislov's seven CLAHRC findings tested on this study, one row each
        (:func:`analysis.propositions.assess_propositions`).
    value_creation : DataFrame
        Each team's value-creation profile along the cycles (cop-health version 2; empty
        for version 1): :func:`analysis.value_creation.value_creation_table`.
    identity, identity_trajectories : DataFrame
        Per team and wave, collaborative minus professional and organisational identification
        with intervals and the share of members at least as attached to the team as to their
        profession (:func:`analysis.identity_table`); each team's trajectory of that gap.
    intervention_note : str
        Why ``interventions`` is empty (none recorded, or not yet estimable), else empty.
    intervention_trajectories : DataFrame
        Each team's fitted line per scale and wave from the discontinuous growth model whose
        effects ``interventions`` holds (``scale``, ``team``, ``wave``, ``post``, ``since``,
        ``fitted``, ``slope``; :func:`analysis.intervention_models`); empty when
        ``interventions`` is.
    ddf : str
        The denominator df method of every growth-model interval and p (see
        :func:`analysis.fit_growth`).
    adjust : str
        How per-team claims are controlled across teams x scales (``holm``, ``bh`` or
        ``none``): ``team_trajectories.slope_p_adjusted`` and
        ``network_permutation.ratio_p_adjusted`` (:func:`analysis.multiplicity.adjust_claims`).
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
    invariance: pd.DataFrame = field(default_factory=pd.DataFrame)
    network_permutation: pd.DataFrame = field(default_factory=pd.DataFrame)
    tie_persistence: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdicts: tuple[TeamVerdict, ...] = ()
    team_waves: pd.DataFrame = field(default_factory=pd.DataFrame)
    ddf: str = "satterthwaite"
    open_waves: tuple[int, ...] = ()
    left_out_waves: tuple[int, ...] = ()
    team_means: pd.DataFrame = field(default_factory=pd.DataFrame)
    propositions: pd.DataFrame = field(default_factory=pd.DataFrame)
    intervention_trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)
    value_creation: pd.DataFrame = field(default_factory=pd.DataFrame)
    adjust: str = "holm"

    def verdict(self, team: str) -> TeamVerdict:
        """The structured verdict of ``team`` (KeyError for a team without one)."""
        for item in self.verdicts:
            if item.team == team:
                return item
        raise KeyError(f"no verdict for team {team!r}")


def _growth_rows(
    scores: pd.DataFrame, scale_id: str, ddf: str
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """One scale's fixed effects and team trajectories (``None`` below two teams or waves)."""
    data = scores.dropna(subset=[scale_id])
    if data["team"].nunique() < 2 or data["wave"].nunique() < 2:
        return None
    fit, note = fit_growth_simplified(data, scale_id, person="respondent", ddf=ddf)
    fixed = fit.fixed.reset_index().rename(columns={"index": "term"})
    fixed.insert(0, "scale", scale_id)
    fixed["model"] = fit.formula
    fixed["singular"] = fit.singular
    fixed["loglik"] = fit.loglik
    fixed["note"] = note
    fixed["ddf"] = fit.ddf
    fixed["ddf_note"] = fit.ddf_note
    teams = fit.team_effects.reset_index()
    teams.insert(0, "scale", scale_id)
    teams["ddf"] = fit.ddf
    return fixed, teams


def _growth_tables(
    parts: list[Pending[tuple[pd.DataFrame, pd.DataFrame] | None]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The growth and team-trajectory tables from each scale's :func:`_growth_rows`."""
    fitted = [rows for rows in _results(parts) if rows is not None]
    growth = pd.concat([f for f, _ in fitted], ignore_index=True) if fitted else pd.DataFrame()
    trajectories = (
        pd.concat([t for _, t in fitted], ignore_index=True) if fitted else pd.DataFrame()
    )
    return growth, trajectories


def _results(parts: list[Pending[T]]) -> list[T]:
    """The values of ``parts`` in their order, asked for last first (see :class:`SideBySide`)."""
    return [part.result() for part in reversed(parts)][::-1]


def _intervention_note(scores: pd.DataFrame, bundle: Bundle) -> str:
    """Why the intervention effects cannot be estimated yet (empty when they can)."""
    if bundle.interventions.empty:
        return "no interventions recorded"
    coded = code_interventions(scores, bundle.interventions)
    if not (coded["post"] == 1).any():
        return "no team has been surveyed since its intervention began"
    if not (coded["since"] > 0).any():
        return (
            "no team has been surveyed twice since its intervention began, so level and slope "
            "changes cannot yet be told apart"
        )
    return ""


def _intervention_rows(
    scores: pd.DataFrame, interventions: pd.DataFrame, scale_id: str, ddf: str, waves: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One scale's level and slope change and each team's fitted line from the same fit."""
    data = scores.dropna(subset=[scale_id])
    models = intervention_models(
        data, scale_id, interventions, person="respondent", ddf=ddf, waves=waves
    )
    return models.effects, models.trajectories.rename(columns={"outcome": "scale"})


def _intervention_tables(
    parts: list[Pending[tuple[pd.DataFrame, pd.DataFrame]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Level and slope change and the fitted lines per scale (empty when nothing was fitted)."""
    if not parts:
        return pd.DataFrame(), pd.DataFrame()
    fitted = _results(parts)
    return (
        pd.concat([e for e, _ in fitted], ignore_index=True),
        pd.concat([t for _, t in fitted], ignore_index=True),
    )


def _reliability_tables(
    items: pd.DataFrame, by_scale: dict[str, list[str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`analysis.reliability_table` and :func:`analysis.item_total_table`."""
    return reliability_table(items, by_scale), item_total_table(items, by_scale)


def _identity_tables(scores: pd.DataFrame, ddf: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`analysis.identity_table` and :func:`analysis.identity_trajectories`."""
    return identity_table(scores), identity_trajectories(scores, ddf=ddf)


def _agreement(items: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """The agreement table of every scale (one call per scale when their answers differ)."""
    by_scale = {s.id: list(s.item_ids) for s in instrument.scales}
    options = {s.response_scale.options for s in instrument.scales}
    if len(options) == 1:
        return agreement_table(items, by_scale, options.pop())
    return pd.concat(
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


def _waves_to_count(
    bundle: Bundle, include_open_waves: bool
) -> tuple[Bundle, tuple[int, ...], tuple[int, ...]]:
    """The bundle to analyse, the open waves it includes and the open waves left out."""
    still_open = tuple(bundle.open_waves)
    if include_open_waves or not still_open:
        return bundle, still_open, ()
    closed = closed_waves_only(bundle)
    if closed.responses.empty:
        listed = ", ".join(str(w) for w in still_open)
        raise ValueError(
            f"no closed wave has responses yet (wave {listed} is still open); analyse it "
            "once it closes, or include open waves"
        )
    return closed, (), still_open


def analyse_bundle(
    bundle: Bundle,
    *,
    criteria: dict[str, Any] | str | Path | None = None,
    progress: Progress | None = None,
    permutations: int = DRAWS,
    ddf: str = "satterthwaite",
    include_open_waves: bool = False,
    adjust: str = "holm",
    jobs: int | None = 1,
) -> AnalysisResults:
    """Score, check measurement, fit growth and intervention models, measure networks, judge.

    Only closed waves are analysed: waves the bundle's schedule says were still open are left
    out (their figures change as people respond, and a verdict must not rest on them) unless
    ``include_open_waves`` is true; ``AnalysisResults.open_waves`` and ``left_out_waves`` say
    which, so that every document can say so.

    Parameters
    ----------
    bundle : Bundle
        A validated study bundle (:func:`analysis.read_bundle`).
    criteria : mapping or path, optional
        Formation thresholds overriding ``analysis/formation.yaml``.
    ddf : str
        Denominator df of every growth-model test and interval: ``"satterthwaite"``
        (default), ``"kenward-roger"`` or ``"wald"`` (see :func:`analysis.fit_growth`).
    progress : callable, optional
        Called as ``progress(step, done, total)`` before each step (for a terminal display).
    permutations : int, default 2000
        Draws of the permutation null of each team-wave's knowledge network (seeded: the same
        bundle gives the same p-values).
    include_open_waves : bool
        Analyse waves that are still open too (documents then carry a banner).
    adjust : {"holm", "bh", "none"}
        Multiplicity control of the per-team claims (a team's rise, a team-wave's knowledge
        sticking inside professions), each table one family (:mod:`analysis.multiplicity`).
    jobs : int or None, default 1
        Processes doing the analysis: with more than one, the model fits (invariance, growth
        and intervention models, reliability, identity) run in forked worker processes beside
        this one (:class:`analysis.side_by_side.SideBySide`); ``None`` uses every core. The
        results are the same whatever the number. Only a single-threaded program (the
        ``copkit`` command line) should ask for more than one: forking a process that runs
        other threads, such as a web server, is unsafe.

    Raises
    ------
    ValueError
        When no closed wave has responses (and open waves are not included), or for data the
        models cannot be fitted to.
    """

    def step(name: str) -> None:
        if progress is not None:
            progress(name, STEPS.index(name), len(STEPS))

    check_adjustment(adjust)
    jobs = check_jobs(jobs)
    bundle, open_waves, left_out = _waves_to_count(bundle, include_open_waves)

    instrument = bundle.instrument
    step("scores")
    items = item_matrix(bundle.responses, instrument)
    scores = scale_scores(items, instrument)
    by_scale = {s.id: list(s.item_ids) for s in instrument.scales}
    scale_ids = [s.id for s in instrument.scales]
    intervention_note = _intervention_note(scores, bundle)
    waves = sorted(int(w) for w in scores["wave"].dropna().unique())
    # Every matrix here is tiny: BLAS threads only spin (on a busy machine they cost more CPU
    # than the products they share), and the workers are processes. Forked workers inherit it.
    with threadpool_limits(limits=1, user_api="blas"), SideBySide(jobs) as workers:
        # The model fits, longest first, go to the workers; this process does the rest.
        invariance_parts = [
            workers.submit(scale_invariance_rows, items, s, by_scale[s]) for s in scale_ids
        ]
        invariance_parts.append(workers.submit(identity_invariance_rows, items, by_scale))
        growth_parts = [workers.submit(_growth_rows, scores, s, ddf) for s in scale_ids]
        intervention_parts = (
            []
            if intervention_note
            else [
                workers.submit(_intervention_rows, scores, bundle.interventions, s, ddf, waves)
                for s in scale_ids
            ]
        )
        identity_part = workers.submit(_identity_tables, scores, ddf)
        means = team_means(scores, list(by_scale))
        step("agreement")
        agreement = _agreement(items, instrument)
        one_scale_of_answers = len({s.response_scale.options for s in instrument.scales}) == 1
        step("network")
        resolved = resolve_criteria(criteria)
        raw_network = network_table(bundle, min_coverage=0.0)
        min_coverage = resolved["boundaries"]["min_network_coverage"]
        network = mask_uncovered(raw_network, min_coverage)
        all_tests = network_permutation(bundle, draws=permutations, min_coverage=0.0)
        permuted = adjust_claims(mask_untested(all_tests, min_coverage), "ratio_p", adjust)
        persistence = tie_persistence(bundle, min_coverage=min_coverage)
        step("formation")
        evidence = formation_evidence(
            bundle,
            resolved,
            network=raw_network,
            # with the adjusted p the network table shows, so the verdicts decide by the same p
            permutation=permuted,
            items=items,
            scores=scores,
            # formation scores every practice scale on one number of options
            agreement=agreement if one_scale_of_answers else None,
        )
        verdicts = judge_formation(bundle, resolved, evidence=evidence)
        sensitivity = formation_sensitivity(bundle, resolved, evidence=evidence, verdicts=verdicts)
        team_waves = counted_team_waves(evidence, resolved)
        propositions = assess_propositions(
            bundle, resolved, evidence=evidence, counted=team_waves, ddf=ddf
        )
        value_creation = value_creation_table(
            items, reached=float(resolved["propositions"]["value_reached"])
        )
        step("reliability")
        # here, in this process, whose share is the shorter one while the workers fit models
        reliability, item_total = _reliability_tables(items, by_scale)
        workers.take_back_unstarted()  # this process's share is done: work, don't wait
        step("identity")
        identity, identity_paths = identity_part.result()
        step("interventions")
        interventions, intervention_lines = _intervention_tables(intervention_parts)
        step("growth")
        growth, trajectories = _growth_tables(growth_parts)
        step("invariance")
        invariance = invariance_frame([row for rows in _results(invariance_parts) for row in rows])
    trajectories = adjust_claims(trajectories, "slope_p", adjust)
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
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
        formation=formation_table(verdicts),
        sensitivity=sensitivity,
        criteria=resolved,
        identity=identity,
        identity_trajectories=identity_paths,
        intervention_note=intervention_note,
        intervention_trajectories=intervention_lines,
        invariance=invariance,
        network_permutation=permuted,
        tie_persistence=persistence,
        verdicts=verdicts,
        team_waves=team_waves,
        ddf=ddf,
        open_waves=open_waves,
        left_out_waves=left_out,
        team_means=means,
        propositions=propositions_table(propositions),
        value_creation=value_creation,
        adjust=adjust,
    )


ANALYSIS_PACKAGES = ("copkit", "numpy", "scipy", "pandas", "statsmodels", "pingouin", "networkx")


def software_versions(*extra: str) -> dict[str, str]:
    """Python's version and those of the packages the analysis ran on (and of ``extra`` ones)."""
    out = {"python": platform.python_version()}
    for package in ANALYSIS_PACKAGES + extra:
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
        "intervention_trajectories.csv": results.intervention_trajectories,
        "network.csv": results.network,
        "formation.csv": results.formation,
        "sensitivity.csv": results.sensitivity,
        "team_waves.csv": results.team_waves,
        "team_means.csv": results.team_means,
        "identity.csv": results.identity,
        "identity_trajectories.csv": results.identity_trajectories,
        "invariance.csv": results.invariance,
        "network_permutation.csv": results.network_permutation,
        "tie_persistence.csv": results.tie_persistence,
        "propositions.csv": results.propositions,
        "value_creation.csv": results.value_creation,
    }
    for name, frame in tables.items():
        write_csv(frame, out / name)
    bundle = results.bundle
    summary = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "bundle": bundle.source,
        "instrument": bundle.instrument.key,
        "teams": bundle.teams,
        "waves": bundle.waves,
        "open_waves_included": list(results.open_waves),
        "open_waves_left_out": list(results.left_out_waves),
        "respondents": int(bundle.roster["respondent"].nunique()),
        "responses": int(bundle.roster["responded"].sum()),
        "invited": len(bundle.roster),
        "verdicts": dict(zip(results.formation["team"], results.formation["verdict"], strict=True)),
        "formation": [_json_ready(dataclasses.asdict(v)) for v in results.verdicts],
        "growth": _records(results.growth),
        "interventions": _records(results.interventions),
        "intervention_note": results.intervention_note,
        "inference": {"ddf": results.ddf, "label": ddf_label(results.ddf)},
        "multiplicity": {"method": results.adjust, "label": adjustment_label(results.adjust)},
        "sensitivity": _records(results.sensitivity),
        "criteria": results.criteria,
        "software": software_versions(),
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
    permutations: int = DRAWS,
    ddf: str = "satterthwaite",
    include_open_waves: bool = False,
    adjust: str = "holm",
    jobs: int | None = 1,
) -> AnalysisResults:
    """Read and validate a bundle (folder or zip), analyse it and write the results to ``out_dir``.

    Raises
    ------
    BundleError
        When the bundle is invalid; nothing is written then.
    """
    bundle = read_bundle(bundle_path)
    results = analyse_bundle(
        bundle,
        criteria=criteria,
        progress=progress,
        permutations=permutations,
        ddf=ddf,
        include_open_waves=include_open_waves,
        adjust=adjust,
        jobs=jobs,
    )
    write_results(results, out_dir)
    return results
