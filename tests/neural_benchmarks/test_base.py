"""NeuralBenchmark as a Brain-Score benchmark: called on a BrainModel, it records the committed
region and returns Brain-Score's ceiled Score (raw and ceiling attached)."""

from __future__ import annotations

import pytest
from brainscore_core.metrics import Score

from neuroalign.encoding import cross_validated_score
from neuroalign.neural_benchmarks import Cowley2023V4

from .conftest import pixel_layers, thumbnails


class _PixelBrainModel:
    """A minimal Brain-Score BrainModel: 8x8 thumbnails of whatever it looks at."""

    def __init__(self):
        self.recorded = None
        self.region_layer_map = {"V4": "px8", "IT": "px8"}

    identifier = "pixels-8x8"

    def start_recording(self, region, time_bins):
        self.recorded = (region, list(time_bins))

    def visual_degrees(self):
        return 8

    def look_at(self, stimuli, number_of_trials=1):
        from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

        ids = list(stimuli["stimulus_id"])
        values = thumbnails(stimuli, ids, 8)[:, :, None]
        return NeuroidAssembly(
            values,
            coords={
                "stimulus_id": ("presentation", ids),
                "image_index": ("presentation", list(range(len(ids)))),
                "neuroid_id": ("neuroid", [f"px{i}" for i in range(values.shape[1])]),
                "layer": ("neuroid", ["px8"] * values.shape[1]),
                "time_bin_start": ("time_bin", [70]),
                "time_bin_end": ("time_bin", [170]),
            },
            dims=["presentation", "neuroid", "time_bin"],
        )


@pytest.mark.slow
def test_cowley_runs_as_a_brainscore_benchmark_on_a_brain_model(shared_data):
    from brainscore_vision.benchmark_helpers.neural_common import explained_variance

    bench = Cowley2023V4("pls", sessions=["210325"])
    model = _PixelBrainModel()
    score = bench(model)
    assert model.recorded == ("V4", [(70, 170)])
    direct = cross_validated_score(
        pixel_layers(bench.assemblies["210325"], (8,))["px8"],
        bench.assemblies["210325"],
        "pls",
        seed=1,
    )
    # Brain-Score's convention: the value is the ceiled score, raw and ceiling are Scores
    raw, ceiling = score.attrs["raw"], score.attrs["ceiling"]
    assert isinstance(raw, Score) and isinstance(ceiling, Score)
    assert float(raw) == pytest.approx(direct.center, abs=1e-10)
    assert float(ceiling) == pytest.approx(float(bench.ceiling))
    reference = explained_variance(raw, bench.ceiling)  # Brain-Score's own function
    assert float(score) == pytest.approx(float(reference), abs=1e-12)
    assert score.attrs["error"] == pytest.approx(direct.error)
    assert score.attrs["layer"] == "px8 (committed to V4)"
    # the same core as the many-layer path: the BrainModel's features scored directly
    layers = {"px8": model.look_at(bench.stimulus_sets()["210325"]).squeeze("time_bin")}
    via_features = bench.score_features({"210325": layers}).to_score("px8")
    assert float(via_features) == pytest.approx(float(score), abs=1e-12)
