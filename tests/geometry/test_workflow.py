"""run_geometry: r_s and recipe from a checkpoint's training config, provenance, the folder."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from neuroalign.extract import LoadedModel
from neuroalign.extract.model_spec import state_dict_sha256
from neuroalign.geometry import GeometryConfig, balanced_subset, run_geometry
from neuroalign.preprocessing import Preprocessing


def test_balanced_subset_takes_classes_in_turn():
    labels = np.array([0] * 10 + [1] * 3 + [2] * 5)
    even = balanced_subset(labels, 9, seed=0)
    assert np.bincount(labels[even]).tolist() == [3, 3, 3]
    # class 1 runs out: the others take turns until 14 are picked
    assert np.bincount(labels[balanced_subset(labels, 14, seed=0)]).tolist() == [6, 3, 5]
    assert np.all(np.diff(even) > 0)
    assert np.array_equal(even, balanced_subset(labels, 9, seed=0))
    assert not np.array_equal(even, balanced_subset(labels, 9, seed=1))
    assert len(balanced_subset(labels, 100)) == 18


def _tiny_checkpoint(r_s: float) -> LoadedModel:
    """A small conv net posing as a neuroalign checkpoint trained at ``r_s``."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return LoadedModel(
        model=net.eval(),
        identifier="last",
        preprocessing=Preprocessing(image_size=16, resize=16),
        weights_sha256=state_dict_sha256(net),
        spec="runs/tiny-clamp/checkpoints/last.pt",
        metadata={"config": {"r_s": 3.5, "augment": "cifar10"}},
        file_sha256="0" * 64,
        kind="checkpoint",
    )


@pytest.fixture(scope="module")
def images():
    gen = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (12, 3, 16, 16), dtype=torch.uint8, generator=gen)


def test_r_s_and_recipe_come_from_the_checkpoint(images, tmp_path):
    loaded = _tiny_checkpoint(r_s=3.5)
    labels = np.repeat([0, 1, 2], 4)
    cfg = GeometryConfig(layers=("1", "3"), views=2, capacity=False, device="cpu")
    result = run_geometry(cfg, model=loaded, images=images, labels=labels, progress=False)
    assert result.name == "tiny-clamp"
    assert result.config.r_s == 3.5 and result.config.recipe == "cifar10"
    assert result.record["r_s_source"] == "the checkpoint's training config"
    assert (result.summary["r_s"] == 3.5).all()
    assert result.summary["layer"].tolist() == ["1", "3"]
    assert result.summary["dim"].tolist() == [8 * 14 * 14, 8]

    given = run_geometry(
        GeometryConfig(layers=("3",), views=2, capacity=False, device="cpu", r_s=1.0),
        model=loaded,
        images=images,
        labels=labels,
        progress=False,
    )
    assert given.config.r_s == 1.0 and given.record["r_s_source"].startswith("given")

    written = result.write(tmp_path / "geo")
    names = {p.name for p in written.values()}
    assert {"summary.csv", "pairs.csv", "spectra.csv", "run.json", "config.yaml"} <= names
    assert {"submanifolds.png", "overlap.png", "spectra.png", "dimension.png"} <= names
    run = json.loads((tmp_path / "geo" / "run.json").read_text())
    assert run["r_s"] == 3.5 and run["recipe"] == "cifar10"
    assert run["model"]["name"] == "tiny-clamp"
    assert "resize" in run["model"]["preprocessing_description"]
    assert yaml.safe_load((tmp_path / "geo" / "config.yaml").read_text())["r_s"] == 3.5


def test_unlabelled_images(images):
    result = run_geometry(
        GeometryConfig(layers=("3",), views=2, capacity=False, device="cpu"),
        model=_tiny_checkpoint(r_s=2.0),
        images=images,
        progress=False,
    )
    assert "overlap_fraction_intra" not in result.summary
    assert set(result.figures()) == {"submanifolds", "overlap", "spectra", "dimension"}


def test_bad_options_are_one_line_errors():
    with pytest.raises(ValueError, match=r"views \(--views\) must be >= 2"):
        GeometryConfig(views=1)
    with pytest.raises(ValueError, match="two layers"):
        GeometryConfig(adadim=("avgpool",))
