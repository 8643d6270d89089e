"""run_rsa on the real 92 images with a small network: table, best layer (a known answer),
figures, folder."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from neuroalign.data import load_kriegeskorte2008
from neuroalign.extract import LoadedModel
from neuroalign.extract.model_spec import state_dict_sha256
from neuroalign.preprocessing import Preprocessing
from neuroalign.rsa import RSAConfig, compare_rdms, run_rsa


class _ConvOrIT(nn.Module):
    """Two candidate layers for the 92 images whose ranking is known.

    ``conv``: a small random convolution of the image (its RDM hardly resembles IT's);
    ``it``: the row of the monkey IT RDM of the image, recognised as the nearest of the 92
    preprocessed images (its RDM is nearly IT's own). The best layer must be ``it``.
    """

    def __init__(self, images: torch.Tensor, rdm_rows: torch.Tensor):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(4))
        self.it = nn.Identity()
        self.register_buffer("images", images.flatten(1))  # (92, 3 * S * S)
        self.register_buffer("rdm_rows", rdm_rows)  # (92, 92)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.conv(x)
        index = torch.cdist(x.flatten(1), self.images).argmin(dim=1)
        return self.it(self.rdm_rows[index])


@pytest.fixture(scope="module")
def result(shared_data):
    from neuroalign.extract.stimuli import load_images

    data = load_kriegeskorte2008()
    prep = Preprocessing(image_size=32, resize=32)
    paths = [data.stimulus_set.get_stimulus(s) for s in data.stimulus_set["stimulus_id"]]
    rows = torch.as_tensor(np.asarray(data.brain_rdms["monkey_IT"]), dtype=torch.float32)
    torch.manual_seed(0)
    net = _ConvOrIT(load_images(paths, prep), rows).eval()
    loaded = LoadedModel(net, "tiny", prep, state_dict_sha256(net), "tiny")
    cfg = RSAConfig(layers=("conv", "it"), n_bootstrap=20, device="cpu")
    return run_rsa(cfg, model=loaded, progress=False)


def test_table_best_layer_and_reference_point(result):
    table = result.table
    assert set(table["reference"]) == {"monkey_IT", "human_IT"} and len(table) == 4
    assert (table["model"] == "tiny").all() and (table["n_stimuli"] == 92).all()
    # known answer: the layer that carries IT's own dissimilarities is the best one, by far
    assert result.best_layer == "it"
    scores = table.set_index(["layer", "reference"])["score"]
    assert scores["it", "monkey_IT"] > 0.8 and scores["conv", "monkey_IT"] < 0.3, scores
    assert scores["it", "human_IT"] > scores["conv", "human_IT"], scores
    k92 = load_kriegeskorte2008()
    rdms = list(k92.brain_rdms.values())
    assert result.species_agreement == pytest.approx(compare_rdms(*rdms))
    assert len(result.categories) == 92 and result.categories[0] == "human bodypart"
    assert list(result.rdms) == [f"tiny {result.best_layer}", "monkey IT", "human IT"]


def test_writes_one_folder(result, tmp_path):
    written = result.write(tmp_path)
    assert {p.name for p in written.values()} == {
        "run.json",
        "rsa_scores.csv",
        "rsa_scores.png",
        "rdms.png",
        "config.yaml",
    }
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["best_layer"] == result.best_layer and len(run["scores"]) == 4
    assert run["config"]["layers"] == ["conv", "it"] and run["model"]["weights_sha256"]
