"""PLSEncoder agrees with scikit-learn's PLSRegression (the reference Brain-Score uses)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.cross_decomposition import PLSRegression

from neuroalign.encoding import PLSEncoder
from neuroalign.errors import DataError

from .conftest import regression_data


@pytest.mark.parametrize(("n", "p"), [(150, 40), (80, 300)])
@pytest.mark.parametrize("solver", ["primal", "kernel"])
def test_pls_equals_sklearn_plsregression(n, p, solver):
    X, Y, Xt = regression_data(n, p)
    ref = PLSRegression(n_components=25, scale=False).fit(X, Y)
    ours = PLSEncoder(25, solver=solver).fit(X, Y)
    assert ours.n_iter_ == list(ref.n_iter_)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt), rtol=1e-8, atol=1e-8)
    if solver == "primal":  # identical weights up to sklearn's sign convention
        signs = np.sign(ref.x_weights_[np.abs(ref.x_weights_).argmax(axis=0), range(25)])
        own = np.sign(ours.x_weights_[np.abs(ours.x_weights_).argmax(axis=0), range(25)])
        np.testing.assert_allclose(ours.x_weights_ * own, ref.x_weights_ * signs, atol=1e-8)


def test_pls_single_target_equals_sklearn():
    X, Y, Xt = regression_data(90, 20, q=1)
    ref = PLSRegression(n_components=5, scale=False).fit(X, Y[:, 0])
    for solver in ("primal", "kernel"):
        ours = PLSEncoder(5, solver=solver).fit(X, Y[:, 0])
        np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt).ravel(), rtol=1e-8)


def test_torch_input_matches_numpy():
    X, Y, Xt = regression_data(70, 90)
    est_np = PLSEncoder().fit(X, Y)
    est_t = PLSEncoder().fit(torch.from_numpy(X), torch.from_numpy(Y))
    pred_t = est_t.predict(torch.from_numpy(Xt))
    assert isinstance(pred_t, torch.Tensor) and pred_t.dtype == torch.float64
    np.testing.assert_allclose(pred_t.numpy(), est_np.predict(Xt), rtol=1e-9, atol=1e-9)


def test_bad_input_is_named():
    X, Y, _ = regression_data(40, 10)
    with pytest.raises(DataError, match="n_components"):
        PLSEncoder(25).fit(X, Y)  # only 10 features


def test_kernel_fit_makes_no_centred_copy_of_the_features():
    """Peak memory of a wide fit stays near the features themselves (issue 15: <= 1.2x)."""
    import tracemalloc

    X, Y, _ = regression_data(40, 30000)
    tracemalloc.start()
    PLSEncoder().fit(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    coef_bytes = X.shape[1] * Y.shape[1] * 8  # the fitted coefficients (p, q) and a temporary
    assert peak < 0.1 * X.nbytes + 3 * coef_bytes  # a centred copy would be 1.0 * X.nbytes
