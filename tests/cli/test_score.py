"""`neuroalign score` end to end on the mirrored data, with a small torchvision network."""

from __future__ import annotations

import json

import pytest
import torch.nn as nn

from neuroalign.cli import build_parser, main
from neuroalign.extract.model_spec import LoadedModel
from neuroalign.preprocessing import Preprocessing


def test_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    text = capsys.readouterr().out
    assert "Examples:" in text and "--benchmark" in text and "r^2/ceiling" in text
    assert "V4  -> Cowley2023.V4-pls" in text and "Cowley2023.V4-ridge" in text
    assert "no crop" in text and "--no-cache" in text
    args = build_parser().parse_args(["score", "--layers", "layer3,avgpool", "--n-boot", "5"])
    assert args.layers == ("layer3", "avgpool") and args.n_boot == 5


def _loaded(module: nn.Module) -> LoadedModel:
    prep = Preprocessing(image_size=32, resize=32, mean=(0.5,) * 3, std=(0.5,) * 3)
    return LoadedModel(module, "m", prep, "0", "m")


def test_default_layers():
    resnet_like = nn.Sequential()
    for name in ("conv1", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"):
        resnet_like.add_module(name, nn.Identity())
    stages = ["layer1", "layer2", "layer3", "layer4", "avgpool"]
    assert _loaded(resnet_like).default_layers() == stages
    checkpoint_like = nn.Module()
    checkpoint_like.backbone = resnet_like
    checkpoint_like.head = nn.Identity()
    assert _loaded(checkpoint_like).default_layers() == stages
    assert _loaded(checkpoint_like).default_layers(("maxpool", "layer4")) == ["layer4"]
    other = nn.Sequential()
    other.add_module("features", nn.Sequential(nn.Identity()))
    other.add_module("classifier", nn.Identity())
    assert _loaded(other).default_layers() == ["features", "classifier"]


def test_bad_input_exits_2_with_message(shared_data, tmp_path, capsys):
    assert main(["score", "--model", "resnet18", "--benchmark", "V8"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err
    # a --data-root without the data: the loader's own words, naming the folder
    assert main(["score", "--benchmark", "V4", "--data-root", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'none'}: no such folder" in err and "offline" not in err
    # a model that is neither a spec nor a registered Brain-Score model: one line
    assert main(["score", "--model", "no-such-model-xyz", "--benchmark", "IT"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "unknown model 'no-such-model-xyz'" in err[-1]
    assert "registered Brain-Score model" in err[-1]
    assert main(["score", "--model", "brainscore:no-such-model", "--benchmark", "IT"]) == 2
    assert "'no-such-model' is not a registered Brain-Score model" in capsys.readouterr().err
    code = main(
        [
            "score",
            "--model",
            "mobilenet_v3_small",
            "--benchmark",
            "Kriegeskorte2008.IT-rsa",
            "--layers",
            "nope",
        ]
    )
    assert code == 2
    assert "unknown layer 'nope'" in capsys.readouterr().err


@pytest.mark.slow
def test_score_it_writes_reproducible_outputs(shared_data, tmp_path, capsys):
    out = tmp_path / "res" / "it"
    code = main(
        [
            "score", "--model", "mobilenet_v3_small", "--benchmark", "IT",
            "--layers", "features.1,features.3", "--n-boot", "20", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr()
    assert "Kriegeskorte2008.IT-rsa" in printed.out and "features.3" in printed.out
    assert "mobilenet_v3_small (random init)" in printed.out
    assert "preprocessing: resize the whole image to 224x224 px (no crop)" in printed.out
    assert "alias IT -> Kriegeskorte2008.IT-rsa" in printed.err
    record = json.loads((out / "run.json").read_text())
    assert record["benchmark"] == "Kriegeskorte2008.IT-rsa"
    assert len(record["model"]["weights_sha256"]) == 64
    assert record["config"]["layers"] == ["features.1", "features.3"]
    assert "bootstrap over the 92 stimuli" in record["conventions"]["interval"]
    layers = record["result"]["layers"]
    assert [row["layer"] for row in layers] == ["features.1", "features.3"]
    assert all(-1 <= row["score"] <= 1 for row in layers)
    for name in ("scores.csv", "scores.png", "config.yaml"):
        assert (out / name).stat().st_size > 0


@pytest.mark.slow
def test_score_v4_session_with_ceiling(shared_data, tmp_path, capsys):
    out = tmp_path / "v4"
    code = main(
        [
            "score", "--model", "mobilenet_v3_small", "--benchmark", "V4",
            "--sessions", "210325", "--layers", "features.1", "--n-boot", "100",
            "--out", str(out), "--no-plot",
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "r²/ceil" in printed and "explained_variance = r^2 / ceiling" in printed
    record = json.loads((out / "run.json").read_text())
    assert record["benchmark"] == "Cowley2023.V4-pls"
    row = record["result"]["layers"][0]
    assert 0.5 < row["ceiling"] < 1.0
    assert row["explained_variance"] == pytest.approx(row["score"] ** 2 / row["ceiling"])
    assert row["ci_low"] < row["score"] < row["ci_high"]
    meta = record["result"]["meta"]
    assert meta["seed"] == 1 and meta["n_splits"] == 10 and meta["sessions"] == ["210325"]
    assert "Nadeau & Bengio" in record["conventions"]["interval"]
    assert not (out / "scores.png").exists()
