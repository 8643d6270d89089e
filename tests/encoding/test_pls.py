"""PLSEncoder agrees with scikit-learn's PLSRegression (the reference Brain-Score uses)."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_bad_input_is_named():
    X, Y, _ = regression_data(40, 10)
    with pytest.raises(DataError, match="n_components"):
        PLSEncoder(25).fit(X, Y)  # only 10 features
