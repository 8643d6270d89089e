"""Encoding models: cross-validated linear maps from model features to neural responses.

* :class:`RidgeCVEncoder`: ridge with one alpha per neuroid, chosen by exact leave-one-out
  from one eigendecomposition (primal or dual/kernel form).
* :class:`PLSEncoder`: PLS regression (NIPALS), equal to scikit-learn's
  ``PLSRegression(scale=False)`` as Brain-Score's ``pls`` uses it (primal or kernel form).
* :func:`cross_validated_score`: Brain-Score's 10 x 90/10 scheme, per-neuroid Pearson r,
  median over neuroids, mean over splits, SEM error; :func:`score_interval` gives a
  confidence interval that covers stimuli, splits and neuroids.
* :func:`split_half_ceiling`: Brain-Score's ``InternalConsistency`` ceiling from trials.
* :func:`layer_sweep`: every layer on the same splits; best layer chosen on training data.

All estimators take NumPy arrays or torch tensors (CPU/CUDA); float64 on CPU by default.
"""

from __future__ import annotations

from neuroalign.encoding.bootstrap import (
    INTERVAL_METHOD,
    Interval,
    bootstrap_score,
    score_interval,
    sessions_interval,
)
from neuroalign.encoding.ceiling import (
    Ceiling,
    ceiled_scores,
    spearman_brown,
    split_half_ceiling,
    trials_to_array,
)
from neuroalign.encoding.correlation import median_over_neuroids, pearson_columns
from neuroalign.encoding.crossval import (
    METHODS,
    Design,
    ScoreResult,
    align,
    cross_validated_score,
    prepare_responses,
    score_design,
)
from neuroalign.encoding.pls import PLSEncoder, kernel_pls, primal_pls
from neuroalign.encoding.ridge import DEFAULT_ALPHAS, RidgeCVEncoder, center_gram, kernel_ridge_cv
from neuroalign.encoding.splits import BRAINSCORE_SEED, shuffle_splits
from neuroalign.encoding.sweep import SWEEP_COLUMNS, layer_sweep, sweep_results

__all__ = [
    "BRAINSCORE_SEED",
    "DEFAULT_ALPHAS",
    "INTERVAL_METHOD",
    "METHODS",
    "SWEEP_COLUMNS",
    "Ceiling",
    "Design",
    "Interval",
    "PLSEncoder",
    "RidgeCVEncoder",
    "ScoreResult",
    "align",
    "bootstrap_score",
    "ceiled_scores",
    "center_gram",
    "cross_validated_score",
    "kernel_pls",
    "kernel_ridge_cv",
    "layer_sweep",
    "median_over_neuroids",
    "pearson_columns",
    "prepare_responses",
    "primal_pls",
    "score_design",
    "score_interval",
    "sessions_interval",
    "shuffle_splits",
    "spearman_brown",
    "split_half_ceiling",
    "sweep_results",
    "trials_to_array",
]
