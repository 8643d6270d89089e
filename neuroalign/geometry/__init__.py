"""Geometry of representations: sub-manifolds, dimension, spectra, capacity, AdaDim.

Definitions: SCIENCE.md section 2. The whole analysis of a model in one call::

    from neuroalign.geometry import GeometryConfig, run_geometry
    result = run_geometry(GeometryConfig(model="resnet18", n_images=200, views=8))
    result.summary, result.figures(), result.write("reports/geometry")

The pieces, on arrays::

    participation_ratio(X)                     # X: (n_samples, n_features)
    submanifold_table(z, labels)               # z: (n_views, n_images, dim)
    res = manifold_capacity([X_cls0, X_cls1, ...], kappa=0.0, seed=0)  # n_t = 300
    res.capacity, res.radius, res.dimension, res.per_manifold

Names are imported on first use (:mod:`neuroalign._lazy`): importing the config costs no torch.
"""

from __future__ import annotations

from neuroalign._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "adadim": (
            "adadim_summary",
            "gram_matrix",
            "matrix_joint_entropy",
            "matrix_mutual_information",
            "matrix_renyi_entropy",
        ),
        "capacity": (
            "AnchorResult",
            "CapacityResult",
            "anchor_analysis",
            "manifold_capacity",
            "remove_center_correlations",
        ),
        "config": ("GeometryConfig",),
        "dimension": ("covariance_spectrum", "effective_rank", "participation_ratio"),
        "plots": ("plot_layer_metrics", "plot_overlap", "plot_spectra"),
        "report": ("GeometryReport", "adadim_table", "geometry_report", "layer_geometry"),
        "spectrum": (
            "PowerLawFit",
            "collapsed_dimensions",
            "eigenspectrum_table",
            "fit_power_law",
        ),
        "submanifold": ("submanifold_pairs", "submanifold_summary", "submanifold_table"),
        "workflow": ("GeometryResult", "balanced_subset", "run_geometry"),
    },
)
