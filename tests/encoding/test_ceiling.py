"""Split-half ceilings: Spearman-Brown known answers, and agreement with Brain-Score's
internal_consistency on real V4 trials (Cowley et al. 2023, session 210325)."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.encoding import spearman_brown, split_half_ceiling
from neuroalign.errors import DataError


def _trials(n_stim=400, n_reps=10, q=20, signal=1.0, noise=2.0, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n_stim, 1, q)) * signal
    return truth + rng.normal(size=(n_stim, n_reps, q)) * noise


def test_ceiling_follows_spearman_brown():
    n_reps, s2, n2 = 10, 1.0, 4.0
    ceiling = split_half_ceiling(_trials(n_stim=3000, n_reps=n_reps, noise=2.0))
    # averaging all R trials: reliability s² / (s² + σ²/R); each half has R/2 trials
    expected = s2 / (s2 + n2 / n_reps)
    half = s2 / (s2 + n2 / (n_reps / 2))
    assert spearman_brown(half) == pytest.approx(expected)
    assert ceiling.center == pytest.approx(expected, abs=0.02)


def test_ceiling_of_noise_free_data_is_one_and_nan_trials_are_skipped():
    data = _trials(noise=0.0)
    assert split_half_ceiling(data).center == pytest.approx(1.0)
    noisy = _trials(noise=1.0)
    noisy[::7, 3] = np.nan
    assert np.isfinite(split_half_ceiling(noisy).center)
    with pytest.raises(DataError, match="repetitions"):
        split_half_ceiling(noisy[:, :1])


@pytest.mark.slow
def test_ceiling_matches_brainscore_internal_consistency(v4):
    from brainscore_vision import load_metric

    _, _, trials = v4
    reference = load_metric("internal_consistency")(trials)
    ours = split_half_ceiling(trials)
    assert ours.center == pytest.approx(float(reference), abs=1e-10)
    assert ours.error == pytest.approx(float(reference.attrs["error"]), abs=1e-10)
