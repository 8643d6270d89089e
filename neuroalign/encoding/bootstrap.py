"""Confidence intervals of cross-validated scores.

:func:`score_interval` (what the neural benchmarks report) covers the variability a reader
assumes: the stimuli shown (hence the fitted maps and the splits) and the neuroids recorded;
:func:`sessions_interval` pools sessions as a sample of sessions. Both are checked for coverage
on simulated data with a known true score.

:func:`bootstrap_score` is narrower: for every bootstrap sample b, each split's held-out stimuli are resampled with replacement;
per-neuroid Pearson r between prediction and recording is recomputed on the resample, then
aggregated exactly as the score itself (median over neuroids, mean over splits). The interval
is the percentile interval of those B aggregated scores (Efron & Tibshirani 1993, ch. 13).
The regression is not refitted: the interval reflects only the sampling of test stimuli
(each split's test set resampled on its own), not of the training stimuli nor of neuroids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from neuroalign.encoding.correlation import median_over_neuroids, pearson_columns

__all__ = ["INTERVAL_METHOD", "Interval", "bootstrap_score", "score_interval", "sessions_interval"]


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


#: How :func:`score_interval` and :func:`sessions_interval` build an interval (written into
#: every benchmark result).
INTERVAL_METHOD = (
    "one session: score +- z * SE with SE^2 = (1/J + n_test/n_train) * var(per-split scores) "
    "(Nadeau & Bengio 2003 corrected resampled variance: stimuli, fits and the overlapping "
    "splits) + the variance of the score under a bootstrap over neuroids, shrunk to the "
    "between-neuroid part (law of total variance: minus each neuroid's own sampling variance); "
    "several sessions: Student-t interval over the session scores (sessions as a sample of "
    "sessions: it covers stimuli, neuroids and sessions). Coverage checked on simulated data "
    "(tests/encoding/test_bootstrap.py)."
)


@dataclass(frozen=True)
class Interval:
    """A confidence interval of a cross-validated score.

    Attributes:
        low, high: the interval bounds; se: its standard error.
        se_stimuli: the part from stimuli, fits and splits (corrected resampled variance).
        se_neuroids: the part from which neuroids were recorded (between-neuroid variability).
        level: the coverage it aims at.
    """

    low: float
    high: float
    se: float
    se_stimuli: float
    se_neuroids: float
    level: float


def score_interval(
    per_neuroid: np.ndarray,
    test_size: float,
    n_stimuli: int,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """Confidence interval of ``mean_split(median_neuroid(r))`` that covers stimuli and neuroids.

    The score varies with the stimuli shown (and so with the fitted maps and the splits) and
    with the neuroids recorded. By the law of total variance,
    ``Var(score) = E[Var(score | neuroids)] + Var(E[score | neuroids])``:

    * the first term is the corrected resampled variance of Nadeau & Bengio (2003, "Inference
      for the generalization error", Machine Learning 52), ``(1/J + n_test/n_train) s²`` with
      ``s²`` the variance of the J per-split scores: random splits overlap, so the naive
      ``s²/J`` (Brain-Score's error) is too small;
    * the second is the variance of the score under a bootstrap over neuroids (columns of
      ``per_neuroid`` resampled, the statistic recomputed), scaled by the fraction of the
      between-neuroid variance of the per-neuroid mean r that is not each neuroid's own
      sampling variance (that part is already in the first term).

    The interval is ``score +- z_level * SE``. No refitting is needed, so it costs a few ms.

    Args:
        per_neuroid: (J, q) held-out r of every neuroid in every split.
        test_size: the held-out fraction of the splits.
        n_stimuli: stimuli the splits were drawn from.
        n_boot: bootstrap resamples of neuroids.
        seed: seed of the neuroid resampling.
        level: coverage of the interval.

    Returns:
        An :class:`Interval`.
    """
    from scipy.stats import norm

    r = np.asarray(per_neuroid, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] < 2:
        raise ValueError(f"per_neuroid must be (n_splits >= 2, n_neuroids), got {r.shape}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    r = r[:, np.isfinite(r).all(axis=0)]
    n_splits, q = r.shape
    per_split = median_over_neuroids(r)
    center = float(per_split.mean())
    n_train = int(np.floor((1.0 - test_size) * n_stimuli))
    factor = 1.0 / n_splits + (n_stimuli - n_train) / max(n_train, 1)
    var_stimuli = factor * float(np.var(per_split, ddof=1))
    var_neuroids = 0.0
    if n_boot and q > 1:
        rng = np.random.default_rng(seed)
        samples = np.empty(n_boot)
        chunk = max(1, int(2e6 // max(1, r.size)))
        for start in range(0, n_boot, chunk):
            stop = min(n_boot, start + chunk)
            idx = rng.integers(0, q, size=(stop - start, q))
            samples[start:stop] = median_over_neuroids(r[:, idx]).mean(axis=0)  # (b,)
        own = factor * np.var(r, axis=0, ddof=1).mean()  # each neuroid's sampling variance
        between = float(np.var(r.mean(axis=0), ddof=1))
        share = max(0.0, 1.0 - own / between) if between > 0 else 0.0
        var_neuroids = float(np.var(samples, ddof=1)) * share
    se = float(np.sqrt(var_stimuli + var_neuroids))
    z = float(norm.ppf(0.5 + level / 2.0))
    return Interval(
        low=center - z * se,
        high=center + z * se,
        se=se,
        se_stimuli=float(np.sqrt(var_stimuli)),
        se_neuroids=float(np.sqrt(var_neuroids)),
        level=float(level),
    )


def sessions_interval(scores: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Student-t interval of the mean of per-session scores: ``(low, high, se)`` (k >= 2)."""
    from scipy.stats import t

    values = np.asarray(scores, dtype=np.float64)
    k = values.size
    if k < 2:
        raise ValueError("a t-interval over sessions needs at least 2 sessions")
    se = float(values.std(ddof=1) / np.sqrt(k))
    half = float(t.ppf(0.5 + level / 2.0, k - 1)) * se
    mean = float(values.mean())
    return mean - half, mean + half, se
