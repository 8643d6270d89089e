"""The layer sweep: every layer scored, the informative one selected."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.encoding import layer_sweep

from .conftest import linear_case


def test_layer_sweep_selects_the_informative_layer_on_training_data():
    feats, resp, _ = linear_case(n=400, snr=2.0)
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
