"""Bootstrap confidence intervals over stimuli for cross-validated scores.

For every bootstrap sample b, each split's held-out stimuli are resampled with replacement;
per-neuroid Pearson r between prediction and recording is recomputed on the resample, then
aggregated exactly as the score itself (median over neuroids, mean over splits). The interval
is the percentile interval of those B aggregated scores (Efron & Tibshirani 1993, ch. 13).
The regression is not refitted: the interval reflects the sampling of test stimuli.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuroalign.encoding.correlation import median_over_neuroids, pearson_columns

__all__ = ["bootstrap_score"]


def bootstrap_score(
    predictions: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, np.ndarray]:
    """Percentile bootstrap CI of ``mean_split(median_neuroid(r))`` over test stimuli.

    Args:
        predictions: per split, (n_test, q) predicted responses of the held-out stimuli.
        targets: per split, (n_test, q) recorded responses of the same stimuli.
        n_boot: number of bootstrap samples.
        seed: seed of the resampling.
        level: coverage of the interval.

    Returns:
        ``(low, high, samples)`` with ``samples`` of shape (n_boot,).
    """
    if len(predictions) != len(targets) or not predictions:
        raise ValueError("need one (predictions, targets) pair per split")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    per_split = np.empty((len(predictions), n_boot))
    for s, (pred, target) in enumerate(zip(predictions, targets)):
        pred, target = np.asarray(pred), np.asarray(target)
        n = pred.shape[0]
        chunk = max(1, int(2e7 // max(1, pred.size)))
        for start in range(0, n_boot, chunk):
            stop = min(n_boot, start + chunk)
            idx = rng.integers(0, n, size=(stop - start, n))
            r = pearson_columns(pred[idx], target[idx])  # (b, q)
            per_split[s, start:stop] = median_over_neuroids(r)
    samples = np.nanmean(per_split, axis=0) if np.isfinite(per_split).any() else per_split[0]
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(samples, [alpha, 1.0 - alpha])
    return float(low), float(high), samples
