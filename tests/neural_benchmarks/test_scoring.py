"""The score workflow: tables, plots, titles, the activation cache, Brain-Score agreement, and
registered Brain-Score models scored through their BrainModel interface."""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch.nn as nn

from neuroalign.extract.model_spec import LoadedModel
from neuroalign.neural_benchmarks import (
    ScoreConfig,
    format_table,
    model_title,
    plot_scores,
    run_score,
)
from neuroalign.preprocessing import Preprocessing

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _isolated_result_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTCACHING_HOME", str(tmp_path / "result_caching"))
    monkeypatch.setenv("RESULTCACHING_DISABLE", "1")
    monkeypatch.setenv("BS_INSTALL_DEPENDENCIES", "no")


def _table(ceiled: bool) -> pd.DataFrame:
    nan = float("nan")
    return pd.DataFrame(
        {
            "layer": ["layer3", "avgpool"],
            "score": [0.30, 0.25],
            "error": [0.01, 0.02],
            "ci_low": [0.25, 0.18],
            "ci_high": [0.35, 0.32],
            "ceiling": [0.8, 0.8] if ceiled else [nan, nan],
            "explained_variance": [0.1125, 0.078125] if ceiled else [nan, nan],
            "ev_ci_low": [0.078, 0.04] if ceiled else [nan, nan],
            "ev_ci_high": [0.153, 0.128] if ceiled else [nan, nan],
            "train_score": [0.29, 0.2],
            "selected": [True, False],
        }
    )


def test_format_table_shows_what_exists():
    text = format_table(_table(ceiled=True))
    header = text.splitlines()[0]
    assert "r²/ceil" in header and "95% CI r²/ceil" in header and "monkey IT" not in header
    assert "[0.250, 0.350]" in text and "0.113" in text
    assert "ceiling" not in format_table(_table(ceiled=False)).splitlines()[0]


def test_plot_is_titled_with_the_model_and_says_what_is_ceiled():
    import matplotlib.pyplot as plt

    fig = plot_scores(_table(ceiled=True), "resnet18 (random init) on Cowley2023.V4-pls")
    assert fig._suptitle.get_text() == "resnet18 (random init) on Cowley2023.V4-pls"
    raw, ceiled = fig.axes
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert "r² / ceiling" in ceiled.get_ylabel()
    lines = {line.get_label(): line.get_ydata()[0] for line in raw.get_lines()}
    assert lines["√ceiling: expected r of a perfect model"] == pytest.approx(np.sqrt(0.8))
    assert len(plot_scores(_table(ceiled=False), "m").axes) == 1
    plt.close("all")


def test_model_title_names_the_model_not_the_file():
    net = nn.Linear(2, 2)
    prep = Preprocessing()
    checkpoint = LoadedModel(
        net, "last", prep, "0", "runs/clamp/checkpoints/last.pt",
        metadata={"config": {"arch": "resnet18", "loss": "clamp", "dataset": "cifar10"},
                  "epoch": 3},
        file_sha256="ab", kind="checkpoint",
    )  # fmt: skip
    assert model_title(checkpoint) == "resnet18 CLAMP (cifar10, epoch 3)"
    random = LoadedModel(net, "resnet18", prep, "0", "resnet18", kind="torchvision")
    assert model_title(dataclasses.replace(random, pretrained=False)) == "resnet18 (random init)"
    # pretrained weights come from a file too, and are neither a checkpoint nor random
    pretrained = dataclasses.replace(
        random, identifier="resnet18:IMAGENET1K_V1", spec="resnet18:IMAGENET1K_V1",
        kind="torchvision-pretrained", file_sha256="cd", metadata={"config": {"arch": "x"}},
    )  # fmt: skip
    assert model_title(pretrained) == "resnet18:IMAGENET1K_V1"
    neuroalign_random = dataclasses.replace(
        random, identifier="neuroalign-resnet18", spec="neuroalign:resnet18", pretrained=False
    )
    assert model_title(neuroalign_random) == "neuroalign-resnet18 (random init)"


@pytest.mark.slow
def test_warm_run_reads_the_activation_cache(shared_data, tmp_path, monkeypatch):
    from neuroalign.extract import activations

    monkeypatch.setenv("NEUROALIGN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NEUROALIGN_MIRROR", str(shared_data))
    cfg = ScoreConfig(
        model="mobilenet_v3_small", benchmark="IT", layers=("features.1",), n_boot=0,
        out=tmp_path / "cold",
    )  # fmt: skip
    cold = run_score(cfg)
    assert list((tmp_path / "home" / "activations").iterdir())  # one cache entry

    def boom(*args, **kwargs):
        raise AssertionError("re-extracted despite the cache")

    monkeypatch.setattr(activations, "run_extraction", boom)
    warm = run_score(ScoreConfig(**{**cfg.__dict__, "out": tmp_path / "warm"}))
    pd.testing.assert_frame_equal(cold.result.table, warm.result.table)
    record = json.loads((tmp_path / "warm" / "run.json").read_text())
    assert "no crop" in record["conventions"]["preprocessing"]
    assert record["model"]["preprocessing"]["resize"] == 256  # the model's own, kept
    assert {p.name for p in (tmp_path / "warm").iterdir()} >= {
        "run.json", "scores.csv", "scores_per_session.csv", "scores.png", "config.yaml",
    }  # fmt: skip
    with pytest.raises(AssertionError, match="re-extracted"):
        run_score(ScoreConfig(**{**cfg.__dict__, "cache": False, "out": None}))


@pytest.mark.slow
def test_score_gives_brainscores_number(shared_data, tmp_path):
    """`neuroalign score --model resnet18 --benchmark Cowley2023.V4-pls --sessions 210305
    --layers avgpool` against Brain-Score's own PytorchWrapper (its image loading and
    preprocessing) and its own `pls` metric on the same session."""
    import torch
    import torchvision
    from brainscore_vision import load_metric
    from brainscore_vision.model_helpers.activations.pytorch import (
        PytorchWrapper,
        load_preprocess_images,
    )

    from neuroalign.cli import main
    from neuroalign.data import load_cowley2023
    from neuroalign.extract.model_spec import state_dict_sha256

    session, out = "210305", tmp_path / "res"
    code = main(
        [
            "score", "--model", "resnet18", "--benchmark", "Cowley2023.V4-pls",
            "--sessions", session, "--layers", "avgpool", "--n-boot", "0", "--no-cache",
            "--no-plot", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    record = json.loads((out / "run.json").read_text())
    ours = record["result"]["layers"][0]

    with torch.random.fork_rng(devices=[]):  # torchvision's resnet18, random init, seed 0
        torch.manual_seed(0)
        net = torchvision.models.get_model("resnet18", weights=None).eval()
    assert state_dict_sha256(net) == record["model"]["weights_sha256"]
    responses = load_cowley2023(sessions=[session])[session]
    wrapper = PytorchWrapper(
        identifier="brainscore-resnet18-seed0",
        model=net,
        preprocessing=functools.partial(load_preprocess_images, image_size=224),
    )
    features = wrapper(stimuli=responses.attrs["stimulus_set"], layers=["avgpool"])
    metric = load_metric("pls", crossvalidation_kwargs=dict(stratification_coord=None))
    reference = metric(features, responses)
    assert ours["score"] == pytest.approx(float(reference), abs=1e-5)  # measured: 9e-8
    assert ours["error"] == pytest.approx(float(reference.attrs["error"]), abs=1e-5)


def _example_plugin_as(identifier: str, folder: Path) -> Path:
    """The repository's example plugin (models/neuroalign-resnet18-random) under another id."""
    source = REPO / "models" / "neuroalign-resnet18-random"
    target = folder / identifier
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yml", ".json"):
            text = path.read_text().replace("neuroalign-resnet18-random", identifier)
            path.write_text(text)
        if "neuroalign-resnet18-random" in path.name:
            path.rename(path.with_name(path.name.replace("neuroalign-resnet18-random", identifier)))
    return target


@pytest.mark.slow
def test_registered_brainscore_model_is_scored_through_its_brain_model(shared_data, tmp_path):
    """A registered Brain-Score model (the example plugin: torchvision resnet18, random init,
    V4 committed to layer3) on the V4 and IT benchmarks through brainscore_vision.load_model;
    its V4 score equals neuroalign's own many-layer path on layer3 (same preprocessing)."""
    from neuroalign.brainscore import install_plugin, uninstall_plugin

    identifier = "neuroalign-test-score-bm"
    install_plugin(_example_plugin_as(identifier, tmp_path), force=True)
    try:
        v4 = run_score(
            ScoreConfig(model=identifier, benchmark="V4", sessions=("210305",), n_boot=0)
        )
        it = run_score(ScoreConfig(model=identifier, benchmark="IT", n_boot=0))
    finally:
        uninstall_plugin(identifier)
    assert v4.benchmark == "Cowley2023.V4-pls" and v4.model_name == identifier
    assert list(v4.result.table["layer"]) == ["layer3 (committed to V4)"]
    assert list(it.result.table["layer"]) == ["layer4 (committed to IT)"]
    assert "Brain-Score model's own" in v4.result.meta["preprocessing"]
    ours = run_score(
        ScoreConfig(model="resnet18", benchmark="V4", sessions=("210305",), layers=("layer3",),
                    n_boot=0)
    )  # fmt: skip
    assert float(v4.result.table["score"].iloc[0]) == pytest.approx(
        float(ours.result.table["score"].iloc[0]), abs=1e-4
    )


def test_brainscore_benchmark_rows_keep_raw_and_ceiled(monkeypatch):
    """Rows built from Brain-Score's own Scores (value ceiled, attrs raw and ceiling); the real
    S3 path is exercised in test_passthrough.py."""
    from brainscore_core.metrics import Score
    from brainscore_vision.benchmark_helpers.neural_common import explained_variance

    from neuroalign.neural_benchmarks import passthrough

    calls = []

    def fake(benchmark, model, region, layer):
        calls.append((region, layer))
        raw = Score(0.5 if layer == "layer3" else 0.4)
        raw.attrs["error"] = 0.01
        return explained_variance(raw, Score(0.8))

    monkeypatch.setattr(passthrough, "score_with_brainscore", fake)
    result = passthrough.score_layers_with_brainscore(
        None, "MajajHong2015public.V4-pls", "resnet18", ["layer3", "layer4"]
    )
    assert calls == [("V4", "layer3"), ("V4", "layer4")]
    table = result.table.set_index("layer")
    assert table.loc["layer3", "score"] == pytest.approx(0.5)
    assert table.loc["layer3", "explained_variance"] == pytest.approx(0.25 / 0.8)
    assert table.loc["layer4", "ceiling"] == pytest.approx(0.8)
    assert "brainscore_vision" in result.meta["scored_by"]
