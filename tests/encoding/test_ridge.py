"""RidgeCVEncoder agrees with scikit-learn's Ridge / RidgeCV (the reference Brain-Score uses)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge, RidgeCV

from neuroalign.encoding import PLSEncoder, RidgeCVEncoder
from neuroalign.errors import DataError

from .conftest import regression_data

ALPHAS = np.logspace(-2, 6, 17)


@pytest.mark.parametrize(("n", "p"), [(120, 30), (60, 200)])
@pytest.mark.parametrize("solver", ["primal", "dual"])
def test_ridge_single_alpha_equals_sklearn_ridge(n, p, solver):
    X, Y, Xt = regression_data(n, p)
    ours = RidgeCVEncoder(alphas=[7.0], solver=solver).fit(X, Y)
    ref = Ridge(alpha=7.0).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(("n", "p"), [(120, 30), (60, 200)])
@pytest.mark.parametrize("solver", ["primal", "dual"])
def test_ridge_alpha_per_target_equals_sklearn_ridgecv(n, p, solver):
    X, Y, Xt = regression_data(n, p)
    ours = RidgeCVEncoder(alphas=ALPHAS, solver=solver).fit(X, Y)
    ref = RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(X, Y)
    np.testing.assert_array_equal(ours.alpha_, ref.alpha_)
    np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt), rtol=1e-8, atol=1e-8)
    single = RidgeCVEncoder(alphas=ALPHAS, alpha_per_target=False, solver=solver).fit(X, Y)
    ref1 = RidgeCV(alphas=ALPHAS).fit(X, Y)
    assert np.all(single.alpha_ == ref1.alpha_)


def test_ridge_loo_predictions_are_true_leave_one_out():
    X, Y, _ = regression_data(30, 5, q=2)
    est = RidgeCVEncoder(alphas=[3.0]).fit(X, Y)
    for i in (0, 7, 29):
        keep = np.arange(30) != i
        ref = Ridge(alpha=3.0).fit(X[keep], Y[keep]).predict(X[i : i + 1])[0]
        np.testing.assert_allclose(est.loo_predictions_[i], ref, rtol=1e-9)


def test_bad_input_is_named():
    X, Y, _ = regression_data(40, 10)
    with pytest.raises(DataError, match="presentations"):
        RidgeCVEncoder().fit(X, Y[:-1])
    with pytest.raises(ValueError, match="positive"):
        RidgeCVEncoder(alphas=[0.0]).fit(X, Y)
    with pytest.raises(DataError, match="shape"):
        RidgeCVEncoder().fit(X, Y).predict(X[:, :3])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_centred_gram_equals_gram_of_a_centred_copy(dtype):
    from neuroalign.encoding.ridge import centred_gram

    X = (np.random.default_rng(1).normal(size=(30, 1000)) + 2.0).astype(dtype)
    K, mean = centred_gram(X)
    X64 = X.astype(np.float64)
    centred = X64 - X64.mean(axis=0)
    assert K.dtype == np.float64
    np.testing.assert_allclose(K, centred @ centred.T, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(mean, X64.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("estimator", [RidgeCVEncoder, PLSEncoder])
def test_kernel_fit_makes_no_centred_copy_of_the_features(estimator):
    """Peak memory of a wide fit stays near the features themselves (issue 15: <= 1.2x): both
    estimators fit from :func:`centred_gram`, which centres a block of columns at a time."""
    import tracemalloc

    X, Y, _ = regression_data(40, 30000)
    tracemalloc.start()
    estimator().fit(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    coef_bytes = X.shape[1] * Y.shape[1] * 8  # the fitted coefficients (p, q) and a temporary
    assert peak < 0.1 * X.nbytes + 3 * coef_bytes  # a centred copy would be 1.0 * X.nbytes
