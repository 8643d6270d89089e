"""The Cowley et al. (2023) V4 benchmark on the mirrored data: its ceiling, per-session and
pooled scores."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.encoding import cross_validated_score, split_half_ceiling
from neuroalign.errors import DataError
from neuroalign.neural_benchmarks import Cowley2023V4

from .conftest import pixel_layers


@pytest.fixture(scope="module")
def v4(shared_data):
    return Cowley2023V4("ridge", sessions=["210325", "210305"], n_boot=200)


def test_cowley_ceiling_is_brainscore_internal_consistency_of_210325(v4, shared_data):
    from neuroalign.data import load_cowley2023_trials

    assert set(v4.ceilings) == {"210325"}
    expected = split_half_ceiling(load_cowley2023_trials(sessions=["210325"])["210325"])
    assert float(v4.ceiling) == pytest.approx(expected.center)
    assert 0.5 < float(v4.ceiling) < 1.0


@pytest.mark.slow
def test_cowley_score_features_per_session_and_pooled(v4):
    from neuroalign.encoding import score_interval, sessions_interval

    features = {s: pixel_layers(a) for s, a in v4.assemblies.items()}
    result = v4.score_features(features)
    per = result.per_set.set_index(["session", "layer"])
    for session, layers in features.items():
        direct = cross_validated_score(layers["px8"], v4.assemblies[session], "ridge", seed=1)
        assert per.loc[(session, "px8"), "score"] == pytest.approx(direct.center, abs=1e-10)
        ci = score_interval(direct.per_neuroid, 0.1, direct.n_stimuli, 200, seed=1)
        assert per.loc[(session, "px8"), "ci_low"] == pytest.approx(ci.low, abs=1e-10)
    table = result.table.set_index("layer")
    session_scores = per.xs("px8", level="layer")["score"]
    assert table.loc["px8", "score"] == pytest.approx(session_scores.mean())
    assert table.loc["px8", "n_sessions"] == 2
    # two sessions: a t-interval over sessions (it covers session-to-session differences)
    low, high, _ = sessions_interval(session_scores.to_numpy())
    assert (table.loc["px8", "ci_low"], table.loc["px8", "ci_high"]) == pytest.approx((low, high))
    # ceiled only where every pooled session has a ceiling (210305 has no trials)
    r = per.loc[("210325", "px8"), "score"]
    assert per.loc[("210325", "px8"), "explained_variance"] == pytest.approx(
        r**2 / float(v4.ceiling)
    )
    assert np.isnan(per.loc[("210305", "px8"), "ceiling"])
    assert np.isnan(table.loc["px8", "explained_variance"])
    assert result.selected["layer"] in ("px3", "px8")
    meta = result.to_dict()["meta"]
    assert meta["pooling"] == "mean over sessions" and "Nadeau" in meta["interval"]
    assert "r^2 / ceiling" in meta["ceiled_score"]
    with pytest.raises(DataError, match="no features for stimulus set"):
        v4.score_features({"210325": features["210325"]})
    # one session alone: its own interval, and the ceiled interval is r²/ceiling of its ends
    single = Cowley2023V4("ridge", sessions=["210325"], n_boot=200)
    row = single.score_features({"210325": features["210325"]}).table.set_index("layer").loc["px8"]
    c = float(single.ceiling)
    assert row["explained_variance"] == pytest.approx(row["score"] ** 2 / c)
    assert row["ev_ci_low"] == pytest.approx(max(row["ci_low"], 0) ** 2 / c)
    assert row["ev_ci_high"] == pytest.approx(row["ci_high"] ** 2 / c)
