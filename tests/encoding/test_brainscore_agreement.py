"""Agreement with Brain-Score's own metrics on real V4 data (Cowley et al. 2023, session 210325)."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.encoding import cross_validated_score, split_half_ceiling

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def v4(shared_data):
    from PIL import Image

    from neuroalign.data import load_cowley2023, load_cowley2023_trials

    responses = load_cowley2023(sessions=["210325"])["210325"]
    trials = load_cowley2023_trials(sessions=["210325"])["210325"]
    stimuli = responses.attrs["stimulus_set"]
    ids = responses["stimulus_id"].values
    # cheap, deterministic "model features": 12x12 RGB thumbnails (432 features)
    pixels = np.stack(
        [
            np.asarray(
                Image.open(stimuli.get_stimulus(s)).convert("RGB").resize((12, 12), Image.BILINEAR),
                dtype=np.float64,
            ).ravel()
            for s in ids
        ]
    )
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    features = NeuroidAssembly(
        pixels,
        coords={
            "stimulus_id": ("presentation", ids),
            "image_index": ("presentation", np.arange(len(ids))),
            "neuroid_id": ("neuroid", [f"px{i}" for i in range(pixels.shape[1])]),
            "layer": ("neuroid", ["pixels"] * pixels.shape[1]),
        },
        dims=["presentation", "neuroid"],
    )
    return features, responses, trials


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


def test_ceiling_matches_brainscore_internal_consistency(v4):
    from brainscore_vision import load_metric

    _, _, trials = v4
    reference = load_metric("internal_consistency")(trials)
    ours = split_half_ceiling(trials)
    assert ours.center == pytest.approx(float(reference), abs=1e-10)
    assert ours.error == pytest.approx(float(reference.attrs["error"]), abs=1e-10)
