"""Confidence intervals of cross-validated scores: known answers and coverage on simulated data."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.encoding import (
    bootstrap_score,
    cross_validated_score,
    score_interval,
    sessions_interval,
)
from neuroalign.encoding.correlation import median_over_neuroids

ALPHAS = np.logspace(-1, 3, 5)


def _dataset(rng, n, q, amplitude, p=20):
    """Stimuli x features, neuroids = a random linear read-out of them + unit noise.

    Each neuroid's signal amplitude is drawn from ``amplitude`` (low, high): a wide range makes
    neuroids differ in how predictable they are, a narrow one makes them alike.
    """
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(p, q)) / np.sqrt(p) * rng.uniform(*amplitude, size=q)
    return X, X @ W + rng.normal(size=(n, q))


def test_interval_is_centred_and_its_parts_add_up():
    rng = np.random.default_rng(0)
    r = 0.4 + 0.1 * rng.normal(size=(10, 30)) + rng.normal(0, 0.2, size=30)  # splits x neuroids
    ci = score_interval(r, test_size=0.1, n_stimuli=200, n_boot=500, seed=0)
    center = median_over_neuroids(r).mean()
    assert (ci.low + ci.high) / 2 == pytest.approx(center)
    assert ci.se**2 == pytest.approx(ci.se_stimuli**2 + ci.se_neuroids**2)
    # the stimulus part is Nadeau & Bengio's corrected variance of the per-split scores
    n_train = 180
    expected = (1 / 10 + 20 / n_train) * np.var(median_over_neuroids(r), ddof=1)
    assert ci.se_stimuli**2 == pytest.approx(expected)
    assert ci.high - ci.low == pytest.approx(2 * 1.959964 * ci.se, rel=1e-5)
    # neuroids that differ only by their sampling noise add (almost) nothing on top
    same = 0.4 + 0.1 * rng.normal(size=(10, 30))
    assert score_interval(same, 0.1, 200, 500).se_neuroids < 0.2 * ci.se_neuroids
    with pytest.raises(ValueError, match="n_splits >= 2"):
        score_interval(r[:1], 0.1, 200)


def test_sessions_interval_is_students_t():
    from scipy import stats

    scores = [0.31, 0.25, 0.28]
    low, high, se = sessions_interval(scores)
    ref = stats.t.interval(0.95, 2, loc=np.mean(scores), scale=stats.sem(scores))
    assert (low, high) == pytest.approx(ref)
    assert se == pytest.approx(stats.sem(scores))
    with pytest.raises(ValueError, match="2 sessions"):
        sessions_interval([0.3])


@pytest.mark.slow
@pytest.mark.parametrize(
    "n, amplitude",
    [(120, (0.2, 1.2)), (60, (0.7, 0.8))],
    ids=["neuroids-differ", "few-stimuli"],
)
def test_interval_covers_the_true_score_about_95_percent(n, amplitude):
    """Simulate many data sets (new stimuli, new neuroids each time) from one generative model.

    The true score is the expectation of the score over data sets (its mean over the simulated
    ones, whose Monte-Carlo error is ~15x smaller than the intervals). A 95 % interval must
    contain it in about 95 % of the data sets, whether the neuroids' predictability differs a
    lot (neuroid sampling dominates) or little with few stimuli (stimulus sampling dominates).
    """
    rng = np.random.default_rng(1)
    scores, lows, highs, errors = [], [], [], []
    for _ in range(150):
        X, Y = _dataset(rng, n, 20, amplitude)
        result = cross_validated_score(X, Y, "ridge", seed=1, alphas=ALPHAS)
        ci = score_interval(result.per_neuroid, 0.1, n, n_boot=300, seed=0)
        scores.append(result.center)
        lows.append(ci.low)
        highs.append(ci.high)
        errors.append(result.error)
    truth = np.mean(scores)
    coverage = np.mean((np.array(lows) <= truth) & (truth <= np.array(highs)))
    assert 0.89 <= coverage <= 0.99, coverage
    # Brain-Score's error (SEM over the overlapping splits) taken as +-1.96 SEM covers far less
    naive = np.mean(np.abs(np.array(scores) - truth) <= 1.96 * np.array(errors))
    assert naive < coverage - 0.1, (naive, coverage)


def test_bootstrap_interval_narrows_with_more_stimuli():
    rng = np.random.default_rng(0)

    def width(n):
        t = rng.normal(size=(n, 5))
        p = t + rng.normal(size=(n, 5))
        low, high, samples = bootstrap_score([p], [t], n_boot=300, seed=0)
        assert samples.shape == (300,)
        return high - low

    assert width(1000) < width(60)
