"""copkit analysis: scoring, reliability, agreement, growth, networks and CoP formation.

A flat front module (``import analysis as an``) over one module per family of statistics.
It never imports the web stack, so it runs in a notebook on an exported study bundle.
"""

from analysis.agreement import agreement_table, awg, icc1, icc2, rwg, rwg_j, rwg_j_star
from analysis.bundle import Bundle, BundleError, BundleProblem, read_bundle, write_bundle
from analysis.exports import codebook_table, long_table, wide_table, write_export
from analysis.formation import (
    VERDICTS,
    assess_formation,
    default_criteria,
    formation_evidence,
    formation_sensitivity,
)
from analysis.growth import GrowthResult, fit_growth, fit_growth_simplified
from analysis.identity import identity_gaps, identity_table, identity_trajectories
from analysis.interventions import code_interventions, intervention_effects
from analysis.network import BROKERAGE_ROLES, brokerage, ei_index, network_table
from analysis.power import PowerResult, power_analysis, power_table
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

__all__ = [
    "BROKERAGE_ROLES",
    "VERDICTS",
    "AlphaResult",
    "Bundle",
    "BundleError",
    "BundleProblem",
    "GrowthResult",
    "OmegaResult",
    "PowerResult",
    "SimulatedStudy",
    "agreement_table",
    "assess_formation",
    "awg",
    "brokerage",
    "code_interventions",
    "codebook_table",
    "cronbach_alpha",
    "default_criteria",
    "ei_index",
    "fit_growth",
    "fit_growth_simplified",
    "formation_evidence",
    "formation_sensitivity",
    "icc1",
    "icc2",
    "identity_gaps",
    "identity_table",
    "identity_trajectories",
    "intervention_effects",
    "item_matrix",
    "item_total",
    "item_total_table",
    "long_table",
    "network_table",
    "omega_total",
    "power_analysis",
    "power_table",
    "read_bundle",
    "reliability_table",
    "rwg",
    "rwg_j",
    "rwg_j_star",
    "rwg_null_quantile",
    "rwg_null_variance",
    "scale_scores",
    "score_scales",
    "simulate_study",
    "wide_table",
    "write_bundle",
    "write_export",
    "write_simulated_study",
]
