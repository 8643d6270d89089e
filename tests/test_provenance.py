"""Run records and result folders: standard JSON, every file written, the backend untouched."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import neuroalign
from neuroalign.provenance import run_record, to_json, write_report


@dataclass(frozen=True)
class _Config:
    layers: tuple[str, ...] = ("layer1",)
    out: Path = Path("x")


def test_to_json_makes_standard_json():
    value = {"a": float("nan"), "b": np.float32(1.5), "c": np.arange(3), "d": (Path("p"), None)}
    assert to_json(value) == {"a": None, "b": 1.5, "c": [0, 1, 2], "d": ["p", None]}
    json.dumps(to_json({"x": [np.inf, -np.inf, np.int64(2)]}), allow_nan=False)


def test_run_record_holds_versions_config_and_fields():
    record = run_record(config=_Config(), benchmark="B", score=np.float64("nan"))
    assert record["neuroalign_version"] == neuroalign.__version__
    assert record["config"] == {"layers": ["layer1"], "out": "x"}
    assert record["benchmark"] == "B" and record["score"] is None
    assert "torch" in record and "T" in record["date"]


def test_write_report_writes_every_file_and_keeps_the_backend(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    table = pd.DataFrame({"layer": ["a", "b"], "score": [0.1, np.nan]})
    paths = write_report(
        tmp_path / "out",
        {"k": 1},
        tables={"scores": table},
        figures={"plot": fig},
        config=_Config(),
    )
    assert json.loads(paths["run"].read_text()) == {"k": 1}
    assert pd.read_csv(paths["scores"]).shape == (2, 2)
    assert paths["plot.png"].read_bytes()[:4] == b"\x89PNG"
    assert yaml.safe_load(paths["config"].read_text())["layers"] == ["layer1"]
    assert matplotlib.get_backend() == backend and not plt.fignum_exists(fig.number)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "config.yaml",
        "plot.png",
        "run.json",
        "scores.csv",
    ]


def test_model_name_is_the_training_run_not_the_file(tmp_path):
    from types import SimpleNamespace

    from neuroalign.provenance import model_name

    def checkpoint(path):
        return SimpleNamespace(
            identifier=path.stem, spec=str(path), file_sha256="0" * 64, kind="checkpoint"
        )

    run = tmp_path / "runs" / "clamp-cifar10" / "checkpoints"
    assert model_name(checkpoint(run / "last.pt")) == "clamp-cifar10"
    assert model_name(checkpoint(run / "init.pt")) == "clamp-cifar10 (init)"
    assert model_name(checkpoint(tmp_path / "mine" / "model.pt")) == "mine (model)"
    built = SimpleNamespace(identifier="resnet18", spec="resnet18", file_sha256=None)
    assert model_name(built) == "resnet18"
    pretrained = SimpleNamespace(  # its weights come from a cached file, yet it is no checkpoint
        identifier="resnet18:IMAGENET1K_V1",
        spec="resnet18:IMAGENET1K_V1",
        file_sha256="1" * 64,
        kind="torchvision-pretrained",
    )
    assert model_name(pretrained) == "resnet18:IMAGENET1K_V1"
