"""Score every layer of a model in one call, choosing the best layer on training data only.

Each layer is cross-validated on the same splits. For every split, the layer with the best
*training-only* statistic (ridge: median over neuroids of the exact leave-one-out r on the
training stimuli; PLS: median r on an inner 90/10 hold-out of the training stimuli) is
selected, and that split's *held-out* score of the selected layer is kept. The mean over
splits is an unbiased estimate of "the best layer's" score: the test stimuli never take part
in the choice (Cawley & Talbot 2010, "On over-fitting in model selection"). Brain-Score
instead commits a layer per region on separate public data; reporting the max over layers of
the test scores would be optimistically biased.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.defaults import BRAINSCORE_SEED
from neuroalign.encoding.ceiling import Ceiling, ceiled_scores
from neuroalign.encoding.crossval import (
    Design,
    ScoreResult,
    align,
    prepare_responses,
    score_design,
)
from neuroalign.encoding.ridge import DEFAULT_ALPHAS
from neuroalign.encoding.splits import shuffle_splits

__all__ = ["SWEEP_COLUMNS", "layer_sweep", "sweep_results"]

#: Columns of the table :func:`layer_sweep` returns.
SWEEP_COLUMNS = (
    "layer",
    "depth",
    "method",
    "score",
    "error",
    "ci_low",
    "ci_high",
    "ceiling",
    "explained_variance",
    "train_score",
    "times_selected",
    "selected",
    "n_features",
    "n_neuroids",
    "n_stimuli",
)


def sweep_results(
    features_by_layer: Mapping[str, Any],
    responses: Any,
    method: str = "ridge",
    n_splits: int = 10,
    test_size: float = 0.1,
    seed: int = BRAINSCORE_SEED,
    *,
    alphas: Any = DEFAULT_ALPHAS,
    n_components: int = 25,
    stratify_coord: str | None = None,
    n_boot: int = 0,
    ceiling: Ceiling | None = None,
) -> dict[str, ScoreResult]:
    """One :class:`ScoreResult` per layer, all on the same splits.

    With several layers each result carries the training-only statistic used to select one
    (with one layer there is nothing to select and it is skipped). ``n_boot`` > 0 gives each
    result the interval of :func:`~neuroalign.encoding.bootstrap.score_interval` (stimuli,
    splits and neuroids; ``n_boot`` neuroid resamples) in ``ci_low`` / ``ci_high``.
    """
    if not features_by_layer:
        raise ValueError("features_by_layer is empty: give at least one layer")
    data = prepare_responses(responses, stratify_coord)
    splits = shuffle_splits(len(data.stimulus_ids), n_splits, test_size, seed, data.stratify)
    select = len(features_by_layer) > 1
    results = {}
    for layer, features in features_by_layer.items():
        X = align(features, data.stimulus_ids, name=f"layer {layer!r}")
        design = Design(X)
        result = score_design(
            design,
            data,
            method,
            splits,
            n_splits,
            test_size,
            seed,
            alphas,
            n_components,
            select,
            n_boot,
            ceiling,
        )
        del design
        results[layer] = result
    return results


def _selection(results: Mapping[str, ScoreResult]) -> tuple[np.ndarray, np.ndarray]:
    layers = list(results)
    train = np.stack([results[k].train_per_split for k in layers])  # (L, S)
    test = np.stack([results[k].per_split for k in layers])
    train = np.where(np.isfinite(train), train, -np.inf)
    chosen = np.argmax(train, axis=0)  # (S,)
    return chosen, test[chosen, np.arange(test.shape[1])]


def layer_sweep(
    features_by_layer: Mapping[str, Any],
    responses: Any,
    method: str = "ridge",
    n_splits: int = 10,
    test_size: float = 0.1,
    seed: int = BRAINSCORE_SEED,
    **kwargs: Any,
) -> pd.DataFrame:
    """Cross-validated scores of every layer, and the training-selected best layer.

    Args:
        features_by_layer: layer name -> (presentation x feature) DataArray, in depth order.
        responses: (presentation x neuroid) DataArray with ``stimulus_id`` coords.
        method, n_splits, test_size, seed, and keyword options: as
            :func:`~neuroalign.encoding.crossval.cross_validated_score` (``seed=1``
            reproduces Brain-Score's splits; the benchmarks use it).

    Returns:
        A DataFrame with one row per layer (columns :data:`SWEEP_COLUMNS`; ``selected`` marks
        the layer chosen most often on training data). ``df.attrs["selected"]`` holds the
        unbiased score of the selection: ``score`` / ``error`` over splits, the layer chosen
        in each split, and the ceiling-normalised values.
    """
    results = sweep_results(
        features_by_layer, responses, method, n_splits, test_size, seed, **kwargs
    )
    layers = list(results)
    chosen, selected_scores = _selection(results)
    counts = np.bincount(chosen, minlength=len(layers))
    modal = int(np.argmax(counts))
    rows = []
    for depth, layer in enumerate(layers):
        r = results[layer]
        rows.append(
            {
                "layer": layer,
                "depth": depth,
                "method": method,
                "score": r.center,
                "error": r.error,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "ceiling": r.ceiling,
                "explained_variance": r.explained_variance,
                "train_score": float(np.nanmean(r.train_per_split))
                if np.isfinite(r.train_per_split).any()
                else float("nan"),
                "times_selected": int(counts[depth]),
                "selected": depth == modal,
                "n_features": r.n_features,
                "n_neuroids": len(r.neuroid_ids),
                "n_stimuli": r.n_stimuli,
            }
        )
    df = pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))
    first = results[layers[0]]
    sel_center = float(np.mean(selected_scores))
    sel = {
        "layer": layers[modal],
        "layers_per_split": [layers[i] for i in chosen],
        "score": sel_center,
        "error": float(np.std(selected_scores) / np.sqrt(len(selected_scores))),
        "per_split": [float(v) for v in selected_scores],
        "ceiling": first.ceiling,
    }
    sel["explained_variance"] = ceiled_scores(sel_center, first.ceiling)["explained_variance"]
    df.attrs["selected"] = sel
    df.attrs["results"] = results
    return df
