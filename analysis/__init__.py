"""copkit analysis: scoring, reliability, agreement, growth, networks, CoP formation, propositions.

A flat front module (``import analysis as an``) over one module per family of statistics.
It never imports the web stack, so it runs in a notebook on an exported study bundle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.lazy_exports import first_use_hooks

if TYPE_CHECKING:
    from analysis.agreement import agreement_table, awg, icc1, icc2, rwg, rwg_j, rwg_j_star
    from analysis.bundle import Bundle, BundleError, BundleProblem, read_bundle, write_bundle
    from analysis.exports import codebook_table, long_table, wide_table, write_export
    from analysis.formation import (
        VERDICTS,
        Criterion,
        Reason,
        TeamVerdict,
        assess_formation,
        counted_team_waves,
        default_criteria,
        formation_evidence,
        formation_sensitivity,
        formation_table,
        judge_formation,
        resolve_criteria,
    )
    from analysis.growth import GrowthResult, fit_growth, fit_growth_simplified
    from analysis.identity import identity_gaps, identity_table, identity_trajectories
    from analysis.interventions import (
        InterventionModels,
        code_interventions,
        intervention_effects,
        intervention_models,
    )
    from analysis.invariance import (
        invariance_level,
        invariance_table,
        measurement_invariance,
        repeated_invariance,
    )
    from analysis.network import BROKERAGE_ROLES, brokerage, ei_index, network_table
    from analysis.network_inference import (
        MixingTest,
        mixing_permutation_test,
        network_permutation,
        tie_persistence,
    )
    from analysis.power import PowerResult, power_analysis, power_table
    from analysis.power_of_propositions import PropositionPower, proposition_power
    from analysis.propositions import (
        PropositionResult,
        assess_propositions,
        propositions_table,
    )
    from analysis.reliability import (
        AlphaResult,
        OmegaResult,
        cronbach_alpha,
        item_total,
        item_total_table,
        omega_total,
        reliability_table,
    )
    from analysis.rwg_null import rwg_null_quantile, rwg_null_variance
    from analysis.scoring import item_matrix, scale_scores, score_scales
    from analysis.simulate import SimulatedStudy, simulate_study, write_simulated_study
    from analysis.summaries import team_means

__all__ = [
    "BROKERAGE_ROLES",
    "VERDICTS",
    "AlphaResult",
    "Bundle",
    "BundleError",
    "BundleProblem",
    "Criterion",
    "GrowthResult",
    "InterventionModels",
    "MixingTest",
    "OmegaResult",
    "PowerResult",
    "PropositionPower",
    "PropositionResult",
    "Reason",
    "SimulatedStudy",
    "TeamVerdict",
    "agreement_table",
    "assess_formation",
    "assess_propositions",
    "awg",
    "brokerage",
    "code_interventions",
    "codebook_table",
    "counted_team_waves",
    "cronbach_alpha",
    "default_criteria",
    "ei_index",
    "fit_growth",
    "fit_growth_simplified",
    "formation_evidence",
    "formation_sensitivity",
    "formation_table",
    "icc1",
    "icc2",
    "identity_gaps",
    "identity_table",
    "identity_trajectories",
    "intervention_effects",
    "intervention_models",
    "invariance_level",
    "invariance_table",
    "item_matrix",
    "item_total",
    "item_total_table",
    "judge_formation",
    "long_table",
    "measurement_invariance",
    "mixing_permutation_test",
    "network_permutation",
    "network_table",
    "omega_total",
    "power_analysis",
    "power_table",
    "proposition_power",
    "propositions_table",
    "read_bundle",
    "reliability_table",
    "repeated_invariance",
    "resolve_criteria",
    "rwg",
    "rwg_j",
    "rwg_j_star",
    "rwg_null_quantile",
    "rwg_null_variance",
    "scale_scores",
    "score_scales",
    "simulate_study",
    "team_means",
    "tie_persistence",
    "wide_table",
    "write_bundle",
    "write_export",
    "write_simulated_study",
]

#: Where each name of ``__all__`` lives: imported on first use (PEP 562), so that
#: ``import analysis`` costs no more than the modules a caller uses (``copkit analyse`` never loads
#: the power analysis's statsmodels formulas).
_HOMES = {
    "agreement_table": "analysis.agreement",
    "awg": "analysis.agreement",
    "icc1": "analysis.agreement",
    "icc2": "analysis.agreement",
    "rwg": "analysis.agreement",
    "rwg_j": "analysis.agreement",
    "rwg_j_star": "analysis.agreement",
    "Bundle": "analysis.bundle",
    "BundleError": "analysis.bundle",
    "BundleProblem": "analysis.bundle",
    "read_bundle": "analysis.bundle",
    "write_bundle": "analysis.bundle",
    "codebook_table": "analysis.exports",
    "long_table": "analysis.exports",
    "wide_table": "analysis.exports",
    "write_export": "analysis.exports",
    "VERDICTS": "analysis.formation",
    "Criterion": "analysis.formation",
    "Reason": "analysis.formation",
    "TeamVerdict": "analysis.formation",
    "assess_formation": "analysis.formation",
    "counted_team_waves": "analysis.formation",
    "default_criteria": "analysis.formation",
    "formation_evidence": "analysis.formation",
    "formation_sensitivity": "analysis.formation",
    "formation_table": "analysis.formation",
    "judge_formation": "analysis.formation",
    "resolve_criteria": "analysis.formation",
    "GrowthResult": "analysis.growth",
    "fit_growth": "analysis.growth",
    "fit_growth_simplified": "analysis.growth",
    "identity_gaps": "analysis.identity",
    "identity_table": "analysis.identity",
    "identity_trajectories": "analysis.identity",
    "InterventionModels": "analysis.interventions",
    "code_interventions": "analysis.interventions",
    "intervention_effects": "analysis.interventions",
    "intervention_models": "analysis.interventions",
    "invariance_level": "analysis.invariance",
    "invariance_table": "analysis.invariance",
    "measurement_invariance": "analysis.invariance",
    "repeated_invariance": "analysis.invariance",
    "BROKERAGE_ROLES": "analysis.network",
    "brokerage": "analysis.network",
    "ei_index": "analysis.network",
    "network_table": "analysis.network",
    "MixingTest": "analysis.network_inference",
    "mixing_permutation_test": "analysis.network_inference",
    "network_permutation": "analysis.network_inference",
    "tie_persistence": "analysis.network_inference",
    "PowerResult": "analysis.power",
    "power_analysis": "analysis.power",
    "power_table": "analysis.power",
    "PropositionPower": "analysis.power_of_propositions",
    "proposition_power": "analysis.power_of_propositions",
    "PropositionResult": "analysis.propositions",
    "assess_propositions": "analysis.propositions",
    "propositions_table": "analysis.propositions",
    "AlphaResult": "analysis.reliability",
    "OmegaResult": "analysis.reliability",
    "cronbach_alpha": "analysis.reliability",
    "item_total": "analysis.reliability",
    "item_total_table": "analysis.reliability",
    "omega_total": "analysis.reliability",
    "reliability_table": "analysis.reliability",
    "rwg_null_quantile": "analysis.rwg_null",
    "rwg_null_variance": "analysis.rwg_null",
    "item_matrix": "analysis.scoring",
    "scale_scores": "analysis.scoring",
    "score_scales": "analysis.scoring",
    "SimulatedStudy": "analysis.simulate",
    "simulate_study": "analysis.simulate",
    "write_simulated_study": "analysis.simulate",
    "team_means": "analysis.summaries",
}


__getattr__, __dir__ = first_use_hooks(__name__, _HOMES, __all__)
