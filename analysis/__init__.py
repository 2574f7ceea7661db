"""copkit analysis: scoring, reliability, agreement, growth, networks and CoP formation.

A flat front module (``import analysis as an``) over one module per family of statistics.
It never imports the web stack, so it runs in a notebook on an exported study bundle.
"""

from analysis.bundle import Bundle, BundleError, BundleProblem, read_bundle, write_bundle
from analysis.scoring import item_matrix, scale_scores, score_scales

__all__ = [
    "Bundle",
    "BundleError",
    "BundleProblem",
    "item_matrix",
    "read_bundle",
    "scale_scores",
    "score_scales",
    "write_bundle",
]
