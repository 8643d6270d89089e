"""Representational similarity analysis (Kriegeskorte, Mur & Bandettini 2008).

- :mod:`~neuroalign.rsa.rdm`: :func:`compute_rdm` (correlation, euclidean, cosine, crossnobis),
  square <-> condensed forms.
- :mod:`~neuroalign.rsa.compare`: :func:`compare_rdms` (spearman, tau_a, pearson, cosine),
  one-vs-one or many-vs-many.
- :mod:`~neuroalign.rsa.inference`: :func:`bootstrap_compare` over stimuli (CIs, paired model
  differences) and :func:`noise_ceiling` from subject RDMs.
- :mod:`~neuroalign.rsa.report`: :func:`rsa_layer_scores` (layers x reference RDMs table) and
  the report writer used by ``neuroalign rsa``.

Values agree with rsatoolbox (github.com/rsagroup/rsatoolbox) on the same inputs; everything is
computed with torch, batched, on CPU or CUDA.
"""

from __future__ import annotations

from neuroalign.rsa.compare import COMPARE_METHODS, align_rdms, compare_rdms
from neuroalign.rsa.inference import (
    BootstrapDifference,
    BootstrapResult,
    NoiseCeiling,
    bootstrap_compare,
    bootstrap_difference,
    noise_ceiling,
    pool_rdms,
)
from neuroalign.rsa.rdm import (
    RDM_DIMS,
    RDM_METHODS,
    compute_rdm,
    condensed_to_square,
    rdm_dataarray,
    square_to_condensed,
)
from neuroalign.rsa.report import rsa_layer_scores

__all__ = [
    "COMPARE_METHODS",
    "RDM_DIMS",
    "RDM_METHODS",
    "BootstrapDifference",
    "BootstrapResult",
    "NoiseCeiling",
    "align_rdms",
    "bootstrap_compare",
    "bootstrap_difference",
    "compare_rdms",
    "compute_rdm",
    "condensed_to_square",
    "noise_ceiling",
    "pool_rdms",
    "rdm_dataarray",
    "rsa_layer_scores",
    "square_to_condensed",
]
