"""Geometry of representations: sub-manifolds, dimension, spectra, capacity, AdaDim.

Definitions: SCIENCE.md section 2. Example::

    from neuroalign.geometry import (participation_ratio, effective_rank, submanifold_table,
                                     manifold_capacity)
    participation_ratio(X)                     # X: (n_samples, n_features)
    submanifold_table(z, labels, r_s=7.0)      # z: (n_views, n_images, dim)
    res = manifold_capacity([X_cls0, X_cls1, ...], kappa=0.0, seed=0)  # n_t = 300
    res.capacity, res.radius, res.dimension, res.per_manifold
"""

from __future__ import annotations

from neuroalign.geometry.adadim import (
    adadim_summary,
    gram_matrix,
    matrix_joint_entropy,
    matrix_mutual_information,
    matrix_renyi_entropy,
)
from neuroalign.geometry.capacity import (
    AnchorResult,
    CapacityResult,
    anchor_analysis,
    manifold_capacity,
    remove_center_correlations,
)
from neuroalign.geometry.dimension import covariance_spectrum, effective_rank, participation_ratio
from neuroalign.geometry.spectrum import (
    PowerLawFit,
    collapsed_dimensions,
    eigenspectrum_table,
    fit_power_law,
)
from neuroalign.geometry.submanifold import (
    submanifold_pairs,
    submanifold_summary,
    submanifold_table,
)

__all__ = [
    "AnchorResult",
    "CapacityResult",
    "PowerLawFit",
    "adadim_summary",
    "anchor_analysis",
    "collapsed_dimensions",
    "covariance_spectrum",
    "effective_rank",
    "eigenspectrum_table",
    "fit_power_law",
    "gram_matrix",
    "manifold_capacity",
    "matrix_joint_entropy",
    "matrix_mutual_information",
    "matrix_renyi_entropy",
    "participation_ratio",
    "remove_center_correlations",
    "submanifold_pairs",
    "submanifold_summary",
    "submanifold_table",
]
