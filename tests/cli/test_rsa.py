"""`neuroalign rsa`: parser, and an end-to-end run on the mirrored Kriegeskorte data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from neuroalign.cli import build_parser, main
from neuroalign.config import config_from_args
from neuroalign.rsa import RSAConfig


def test_help_teaches(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["rsa", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "neuroalign rsa --model resnet18 --benchmark IT" in text
    assert "--compare" in text and "--n-bootstrap" in text


def test_flags_resolve_to_config():
    args = build_parser().parse_args(
        [
            "rsa",
            "--model",
            "resnet50",
            "--layers",
            "layer3,layer4",
            "--compare",
            "tau_a",
            "--n-bootstrap",
            "10",
            "--benchmark",
            "kriegeskorte2008",
        ]
    )
    cfg = config_from_args(RSAConfig, args)
    assert cfg.model == "resnet50" and cfg.layers == ("layer3", "layer4")
    assert cfg.compare == "tau_a" and cfg.n_bootstrap == 10
    assert cfg.benchmark == "kriegeskorte2008"


def test_bad_choice_is_rejected(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["rsa", "--compare", "kendall"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_end_to_end_resnet18(shared_data, tmp_path):
    out = tmp_path / "report"
    code = main(
        [
            "rsa",
            "--model",
            "resnet18",
            "--benchmark",
            "IT",
            "--layers",
            "layer2,avgpool",
            "--n-bootstrap",
            "50",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "rsa_scores.csv")
    assert len(table) == 4
    assert set(table["reference"]) == {"monkey_IT", "human_IT"}
    assert set(table["layer"]) == {"layer2", "avgpool"}
    assert table["score"].between(-1, 1).all()
    assert (table["ci_low"] <= table["ci_high"]).all()
    assert (table["n_stimuli"] == 92).all()
    run = json.loads((out / "run.json").read_text())
    assert run["best_layer"] in {"layer2", "avgpool"} and run["model"]["name"] == "resnet18"
    for name in ("rsa_scores.png", "rdms.png", "config.yaml"):
        assert (out / name).stat().st_size > 0
