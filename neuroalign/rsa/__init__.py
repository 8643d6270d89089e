"""Representational similarity analysis (Kriegeskorte, Mur & Bandettini 2008).

- :mod:`~neuroalign.rsa.rdm`: :func:`compute_rdm` (correlation, euclidean, cosine, crossnobis),
  square <-> condensed forms.
- :mod:`~neuroalign.rsa.compare`: :func:`compare_rdms` (spearman, tau_a, pearson, cosine),
  one-vs-one or many-vs-many.
- :mod:`~neuroalign.rsa.inference`: :func:`bootstrap_compare` over stimuli (CIs, paired model
  differences) and :func:`noise_ceiling` from subject RDMs.
- :mod:`~neuroalign.rsa.report`: :func:`rsa_layer_scores` (layers x reference RDMs table),
  :func:`plot_layer_scores`, :func:`plot_rdms`.
- :mod:`~neuroalign.rsa.workflow`: :func:`run_rsa` (what ``neuroalign rsa`` does, configured
  by :class:`RSAConfig`): ``run_rsa(RSAConfig(model="resnet18")).write("reports/rsa")``.

Values agree with rsatoolbox (github.com/rsagroup/rsatoolbox) on the same inputs. Names are
imported on first use (:mod:`neuroalign._lazy`): importing the config costs no torch.
"""

from __future__ import annotations

from neuroalign._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "compare": ("COMPARE_METHODS", "align_rdms", "compare_rdms"),
        "config": ("RSAConfig",),
        "inference": (
            "BootstrapDifference",
            "BootstrapResult",
            "NoiseCeiling",
            "bootstrap_compare",
            "bootstrap_difference",
            "noise_ceiling",
            "pool_rdms",
        ),
        "rdm": (
            "RDM_DIMS",
            "RDM_METHODS",
            "compute_rdm",
            "condensed_to_square",
            "rdm_dataarray",
            "square_to_condensed",
        ),
        "report": ("plot_layer_scores", "plot_rdms", "rsa_layer_scores"),
        "workflow": ("RSAResult", "run_rsa"),
    },
)
