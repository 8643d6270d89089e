"""Cross-validated scores: known answers, clear errors, and Brain-Score's own PLS metric
reproduced on real V4 data (Cowley et al. 2023, session 210325)."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.encoding import cross_validated_score
from neuroalign.errors import DataError

from .conftest import linear_case


@pytest.mark.parametrize("method", ["ridge", "pls"])
def test_responses_predict_themselves(method):
    _, resp, _ = linear_case(q=10)
    result = cross_validated_score(resp, resp, method, n_components=10)
    assert result.center == pytest.approx(1.0, abs=1e-6)
    assert result.per_neuroid.shape == (10, 10)


@pytest.mark.parametrize("method", ["ridge", "pls"])
def test_linear_map_plus_noise_recovers_expected_r(method):
    feats, resp, expected = linear_case(n=1500, snr=1.0)
    result = cross_validated_score(feats, resp, method, n_components=8, n_boot=200)
    assert result.center == pytest.approx(expected, abs=0.03)
    assert result.ci_low < result.center < result.ci_high
    assert 0 < result.error < 0.05


def test_permuting_feature_rows_changes_nothing():
    feats, resp, _ = linear_case(n=300)
    perm = np.random.default_rng(1).permutation(300)
    a = cross_validated_score(feats, resp, "ridge", seed=3)
    b = cross_validated_score(feats.isel(presentation=perm), resp, "ridge", seed=3)
    np.testing.assert_allclose(a.per_neuroid, b.per_neuroid, atol=1e-10)


def test_bad_inputs_get_clear_errors():
    feats, resp, _ = linear_case(n=100)
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
    feats, resp, _ = linear_case(n=200, q=6)
    resp = resp.copy()
    resp[:, 1] = 3.0
    resp[7, 4] = np.nan
    with pytest.warns(UserWarning, match="1 neuroid\\(s\\) with NaN/inf and 1 constant"):
        result = cross_validated_score(feats, resp)
    assert result.dropped_neuroids == ("n1", "n4")
    assert len(result.neuroid_ids) == 4


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


@pytest.mark.slow
def test_pls_matches_brainscore_pls_metric(v4, tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTCACHING_HOME", str(tmp_path))
    from brainscore_vision import load_metric

    features, responses, _ = v4
    metric = load_metric("pls", crossvalidation_kwargs=dict(stratification_coord=None))
    reference = metric(features, responses)
    ours = cross_validated_score(features, responses, "pls", seed=1)
    assert ours.center == pytest.approx(float(reference), abs=0.005)
    assert ours.center == pytest.approx(float(reference), abs=1e-8)  # in fact: same numbers
    assert ours.error == pytest.approx(float(reference.attrs["error"]), abs=1e-8)
