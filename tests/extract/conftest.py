"""Fixtures of the extraction tests: small image files and a small-input ResNet-18."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest


def write_images(folder: Path, n: int, size: int = 40, seed: int = 0) -> list[Path]:
    """``n`` random RGB PNG files of ``size`` x ``size`` pixels (varying sizes every third)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        h = size + (i % 3) * 4
        pixels = rng.integers(0, 256, (h, size, 3), dtype=np.uint8)
        path = folder / f"img{i:03d}.png"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def image_files(tmp_path: Path) -> list[Path]:
    return write_images(tmp_path / "images", 7)


@pytest.fixture(scope="session")
def small_resnet18():
    """torchvision ResNet-18 (seed 0) fed 32 x 32 crops of images resized to 36."""
    from neuroalign.extract import load_model
    from neuroalign.preprocessing import Preprocessing

    loaded = load_model("resnet18")
    loaded.preprocessing = Preprocessing(image_size=32, resize=36)
    return loaded


def with_preprocessing(loaded, **changes):
    """A shallow copy of a LoadedModel with other preprocessing."""
    return dataclasses.replace(
        loaded, preprocessing=dataclasses.replace(loaded.preprocessing, **changes)
    )
