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


def test_bad_input_exits_2_with_message(shared_data, capsys):
    assert main(["score", "--model", "resnet18", "--benchmark", "V8"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err
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
    out = tmp_path / "res" / "it.json"
    code = main(
        [
            "score", "--model", "mobilenet_v3_small", "--benchmark", "IT",
            "--layers", "features.1,features.3", "--n-boot", "20", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr()
    assert "Kriegeskorte2008.IT-rsa" in printed.out and "features.3" in printed.out
    assert "alias IT -> Kriegeskorte2008.IT-rsa" in printed.err
    record = json.loads(out.read_text())
    assert record["benchmark"] == "Kriegeskorte2008.IT-rsa"
    assert len(record["model"]["weights_sha256"]) == 64
    assert record["config"]["layers"] == ["features.1", "features.3"]
    layers = record["result"]["layers"]
    assert [row["layer"] for row in layers] == ["features.1", "features.3"]
    assert all(-1 <= row["score"] <= 1 for row in layers)
    for suffix in (".csv", ".png", ".yaml"):
        assert out.with_suffix(suffix).stat().st_size > 0


@pytest.mark.slow
def test_score_v4_session_with_ceiling(shared_data, tmp_path, capsys):
    out = tmp_path / "v4.json"
    code = main(
        [
            "score", "--model", "mobilenet_v3_small", "--benchmark", "Cowley2023.V4-pls",
            "--sessions", "210325", "--layers", "features.1", "--n-boot", "0",
            "--out", str(out), "--no-plot",
        ]
    )  # fmt: skip
    assert code == 0
    record = json.loads(out.read_text())
    row = record["result"]["layers"][0]
    assert 0.5 < row["ceiling"] < 1.0
    assert row["explained_variance"] == pytest.approx(row["score"] ** 2 / row["ceiling"])
    meta = record["result"]["meta"]
    assert meta["seed"] == 1 and meta["n_splits"] == 10 and meta["sessions"] == ["210325"]
    assert not out.with_suffix(".png").exists()
