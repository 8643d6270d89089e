"""alignment_metrics: V4 predictivity and IT RSA of a training network, on real data.

Known answer: the tracker's numbers are those of the project's benchmarks run the usual way
(files decoded by the extraction pipeline, the whole stimulus resized to the input,
``Cowley2023V4.score_model`` with the same Gaussian projection,
``Kriegeskorte2008IT.score_model``), here for a network that is trained on centre crops.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from neuroalign.defaults import V4_SESSION
from neuroalign.extract import LoadedModel
from neuroalign.extract.reduce import Reduction
from neuroalign.preprocessing import Preprocessing
from neuroalign.tracking import AlignmentProbe, alignment_metrics

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crop_prep(prep) -> Preprocessing:
    """The test network's statistics with an ImageNet-style evaluation crop (resize 20, crop
    16): the benchmarks show it the whole stimulus instead (full field)."""
    return dataclasses.replace(prep, resize=20)


@pytest.fixture(scope="module")
def v4_probe(crop_prep, shared_data) -> AlignmentProbe:
    return AlignmentProbe.load(crop_prep)


def _values(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if k != "alignment/seconds"}


def test_equals_the_benchmarks_on_the_same_network(ssl_model, crop_prep, v4_probe) -> None:
    from neuroalign.neural_benchmarks import Cowley2023V4, Kriegeskorte2008IT

    assert v4_probe.v4_images.shape == (640, 3, 16, 16) and v4_probe.v4_images.dtype == torch.uint8
    assert v4_probe.it_images.shape == (92, 3, 16, 16)
    got = alignment_metrics(ssl_model, v4_probe, preprocessing=crop_prep)
    assert ssl_model.training  # train mode given back
    loaded = LoadedModel.from_module(ssl_model, crop_prep, "ssl")
    v4 = Cowley2023V4("ridge", [V4_SESSION])
    table = v4.score_model(loaded, ["layer3"], reduction=Reduction("gaussian", 256, seed=0)).table
    it = Kriegeskorte2008IT().score_model(loaded, ["layer4"]).table
    ssl_model.train()
    row = table.set_index("layer").loc["layer3"]
    assert got["alignment/layer3/v4_r"] == pytest.approx(row["score"], abs=1e-6)
    assert got["alignment/layer3/v4_ev"] == pytest.approx(row["explained_variance"], abs=1e-6)
    it_row = it.set_index("layer").loc["layer4"]
    assert got["alignment/layer4/it_monkey"] == pytest.approx(it_row["monkey_IT"], abs=1e-6)
    assert got["alignment/layer4/it_human"] == pytest.approx(it_row["human_IT"], abs=1e-6)
    assert 0 < got["alignment/seconds"]
    # a LoadedModel with the same network gives the same numbers; so does every later call
    assert _values(alignment_metrics(loaded, v4_probe)) == pytest.approx(_values(got), abs=1e-6)


def test_subset_layers_and_bad_settings(ssl_model, prep, v4_probe, shared_data) -> None:
    small = AlignmentProbe.load(prep, n_v4_images=60)
    assert small.v4_ceiling is None and len(small.v4_splits) == 10
    assert all(len(test) == 6 for _, test in small.v4_splits)  # Brain-Score's 90/10
    got = alignment_metrics(ssl_model, small, v4_layers=("layer2", "backbone"), it_layers=())
    assert set(got) == {
        "alignment/layer2/v4_r",
        "alignment/representation/v4_r",
        "alignment/seconds",
    }
    other = dataclasses.replace(prep, image_size=32, resize=32)
    with pytest.raises(ValueError, match="probe was loaded for .* the model uses"):
        alignment_metrics(ssl_model, small, preprocessing=other)
    with pytest.raises(ValueError, match="at least one V4 or IT layer"):
        alignment_metrics(ssl_model, small, v4_layers=(), it_layers=())
    with pytest.raises(ValueError, match="n_v4_images must be >= 20"):
        AlignmentProbe.load(Preprocessing(), n_v4_images=5)
