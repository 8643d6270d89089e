"""The estimators are written once over the array backend: torch in gives numpy's results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.encoding import PLSEncoder, RidgeCVEncoder

from .conftest import regression_data


@pytest.mark.parametrize("estimator", [RidgeCVEncoder, PLSEncoder])
def test_torch_input_matches_numpy(estimator):
    X, Y, Xt = regression_data(70, 90)
    est_np = estimator().fit(X, Y)
    est_t = estimator().fit(torch.from_numpy(X), torch.from_numpy(Y))
    pred_t = est_t.predict(torch.from_numpy(Xt))
    assert isinstance(pred_t, torch.Tensor) and pred_t.dtype == torch.float64
    np.testing.assert_allclose(pred_t.numpy(), est_np.predict(Xt), rtol=1e-9, atol=1e-9)
