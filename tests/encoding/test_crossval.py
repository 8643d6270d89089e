"""Cross-validated scores, ceilings, bootstrap and the layer sweep: known answers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuroalign.encoding import (
    bootstrap_score,
    cross_validated_score,
    layer_sweep,
    shuffle_splits,
    spearman_brown,
    split_half_ceiling,
)
from neuroalign.errors import DataError


def _assembly(values: np.ndarray, stim: np.ndarray, prefix: str = "n") -> xr.DataArray:
    return xr.DataArray(
        values,
        dims=("presentation", "neuroid"),
        coords={
            "stimulus_id": ("presentation", stim),
            "neuroid_id": ("neuroid", [f"{prefix}{i}" for i in range(values.shape[1])]),
        },
    )


def _linear_case(n=600, p=8, q=12, snr=1.0, seed=0):
    """Y = X W + noise with var(signal) = snr * var(noise) per neuroid."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(p, q))
    W /= np.sqrt((W**2).sum(axis=0))  # unit signal variance
    Y = X @ W + rng.normal(size=(n, q)) / np.sqrt(snr)
    stim = np.array([f"s{i:04d}" for i in range(n)])
    return _assembly(X, stim, "f"), _assembly(Y, stim), np.sqrt(snr / (1 + snr))


@pytest.mark.parametrize("method", ["ridge", "pls"])
def test_responses_predict_themselves(method):
    _, resp, _ = _linear_case(q=10)
    result = cross_validated_score(resp, resp, method, n_components=10)
    assert result.center == pytest.approx(1.0, abs=1e-6)
    assert result.per_neuroid.shape == (10, 10)


@pytest.mark.parametrize("method", ["ridge", "pls"])
def test_linear_map_plus_noise_recovers_expected_r(method):
    feats, resp, expected = _linear_case(n=1500, snr=1.0)
    result = cross_validated_score(feats, resp, method, n_components=8, n_boot=200)
    assert result.center == pytest.approx(expected, abs=0.03)
    assert result.ci_low < result.center < result.ci_high
    assert 0 < result.error < 0.05


def test_permuting_feature_rows_changes_nothing():
    feats, resp, _ = _linear_case(n=300)
    perm = np.random.default_rng(1).permutation(300)
    a = cross_validated_score(feats, resp, "ridge", seed=3)
    b = cross_validated_score(feats.isel(presentation=perm), resp, "ridge", seed=3)
    np.testing.assert_allclose(a.per_neuroid, b.per_neuroid, atol=1e-10)


def test_splits_are_brainscore_shufflesplit():
    from sklearn.model_selection import ShuffleSplit

    ours = shuffle_splits(1200, seed=1)
    ref = list(ShuffleSplit(n_splits=10, train_size=0.9, random_state=1).split(np.zeros(1200)))
    assert len(ours) == 10
    for (a, b), (c, d) in zip(ours, ref):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_bad_inputs_get_clear_errors():
    feats, resp, _ = _linear_case(n=100)
    with pytest.raises(DataError, match=r"3 of 100 response stimuli have no features"):
        cross_validated_score(feats.isel(presentation=slice(3, None)), resp)
    bad = feats.copy()
    bad[5, 2] = np.nan
    with pytest.raises(DataError, match="NaN/inf"):
        cross_validated_score(bad, resp)
    with pytest.raises(DataError, match="too few stimuli"):
        cross_validated_score(
            feats.isel(presentation=slice(0, 8)), resp.isel(presentation=slice(0, 8))
        )
    with pytest.raises(ValueError, match="method"):
        cross_validated_score(feats, resp, "lasso")


def test_constant_and_nan_neuroids_are_dropped_with_warning():
    feats, resp, _ = _linear_case(n=200, q=6)
    resp = resp.copy()
    resp[:, 1] = 3.0
    resp[7, 4] = np.nan
    with pytest.warns(UserWarning, match="1 neuroid\\(s\\) with NaN/inf and 1 constant"):
        result = cross_validated_score(feats, resp)
    assert result.dropped_neuroids == ("n1", "n4")
    assert len(result.neuroid_ids) == 4


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


def test_bootstrap_interval_narrows_with_more_stimuli():
    rng = np.random.default_rng(0)

    def width(n):
        t = rng.normal(size=(n, 5))
        p = t + rng.normal(size=(n, 5))
        low, high, samples = bootstrap_score([p], [t], n_boot=300, seed=0)
        assert samples.shape == (300,)
        return high - low

    assert width(1000) < width(60)


def test_layer_sweep_selects_the_informative_layer_on_training_data():
    feats, resp, _ = _linear_case(n=400, snr=2.0)
    rng = np.random.default_rng(5)
    noise = feats.copy(data=rng.normal(size=feats.shape))
    mixed = feats.copy(data=feats.values + 2.0 * rng.normal(size=feats.shape))
    layers = {"noise": noise, "signal": feats, "mixed": mixed}
    for method in ("ridge", "pls"):
        df = layer_sweep(layers, resp, method, n_components=8)
        assert list(df["layer"]) == ["noise", "signal", "mixed"]
        assert df.attrs["selected"]["layer"] == "signal"
        assert df.loc[df.selected, "layer"].item() == "signal"
        assert df.attrs["selected"]["score"] == pytest.approx(df.loc[1, "score"])
        assert df.loc[0, "score"] < 0.2 < df.loc[1, "score"]


def test_float32_features_score_like_float64_and_are_not_copied():
    import xarray as xr

    from neuroalign.encoding.crossval import align

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 300)).astype(np.float32)
    Y = X[:, :5].astype(np.float64) @ rng.normal(size=(5, 4)) + rng.normal(size=(60, 4))
    ids = np.array([f"s{i}" for i in range(60)])
    da = xr.DataArray(
        X, dims=("presentation", "neuroid"), coords={"stimulus_id": ("presentation", ids)}
    )
    assert np.shares_memory(align(da, ids), X)  # already in order: no copy, float32 kept
    a = cross_validated_score(X, Y, "ridge", seed=1)
    b = cross_validated_score(X.astype(np.float64), Y, "ridge", seed=1)
    np.testing.assert_allclose(a.per_neuroid, b.per_neuroid, atol=1e-10)
