"""run_rsa on the real 92 images with a small network: table, best layer, figures, folder."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from neuroalign.data import load_kriegeskorte2008
from neuroalign.extract import LoadedModel
from neuroalign.extract.model_spec import state_dict_sha256
from neuroalign.preprocessing import Preprocessing
from neuroalign.rsa import RSAConfig, compare_rdms, run_rsa


@pytest.fixture(scope="module")
def result(shared_data):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(4))
    loaded = LoadedModel(
        net.eval(), "tiny", Preprocessing(image_size=32, resize=32), state_dict_sha256(net), "tiny"
    )
    cfg = RSAConfig(layers=("0", "2"), n_bootstrap=20, device="cpu")
    return run_rsa(cfg, model=loaded, progress=False)


def test_table_best_layer_and_reference_point(result):
    table = result.table
    assert set(table["reference"]) == {"monkey_IT", "human_IT"} and len(table) == 4
    assert (table["model"] == "tiny").all() and (table["n_stimuli"] == 92).all()
    means = table.groupby("layer")["score"].mean()
    assert result.best_layer == means.idxmax()
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
    assert run["config"]["layers"] == ["0", "2"] and run["model"]["weights_sha256"]
