"""The Kriegeskorte et al. (2008) IT RSA benchmark agrees with scipy on the mirrored data."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuroalign.errors import DataError
from neuroalign.neural_benchmarks import Kriegeskorte2008IT


@pytest.mark.slow
def test_kriegeskorte_rsa_matches_scipy(shared_data):
    from scipy.spatial.distance import pdist, squareform
    from scipy.stats import spearmanr

    bench = Kriegeskorte2008IT(n_boot=30)
    data = bench.data
    X = data.images.reshape(92, -1)[:, ::5].astype(np.float64)
    features = xr.DataArray(
        X,
        dims=("presentation", "neuroid"),
        coords={"stimulus_id": ("presentation", list(data.stimulus_set["stimulus_id"]))},
    )
    comp = bench.compare(features.isel(presentation=np.random.default_rng(0).permutation(92)))
    iu = np.triu_indices(92, 1)
    model_rdm = squareform(pdist(X, "correlation"))
    for name in ("monkey_IT", "human_IT"):
        expected = spearmanr(model_rdm[iu], np.asarray(data.brain_rdms[name])[iu])[0]
        assert comp[name] == pytest.approx(expected, abs=1e-10)
    assert comp["score"] == pytest.approx((comp["monkey_IT"] + comp["human_IT"]) / 2)
    result = bench.score_features({"pix": features, "pix_half": features[:, ::2]})
    assert list(result.table["layer"]) == ["pix", "pix_half"]
    assert (result.table["ci_low"] <= result.table["score"]).all()
    # as a Brain-Score benchmark: no ceiling, so the value is the raw score
    score = result.to_score("pix")
    assert float(score) == pytest.approx(comp["score"])
    assert float(score.attrs["raw"]) == float(score) and np.isnan(score.attrs["ceiling"])
    with pytest.raises(DataError, match="no features"):
        bench.compare(features.isel(presentation=slice(0, 50)))
