"""Fixtures of the Brain-Score tests: isolated caches, tiny checkpoints, installed plugins."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated_result_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTCACHING_HOME", str(tmp_path / "result_caching"))
    monkeypatch.setenv("BS_INSTALL_DEPENDENCIES", "no")


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    """An empty torch hub cache ($TORCH_HOME) for one test."""
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


def unique_identifier(stem: str) -> str:
    """A plugin identifier no other test run (or helper sharing the venv) uses."""
    return f"{stem}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def make_checkpoint(path: Path, *, loss: str = "clamp", seed: int = 0, cifar_stem: bool = True):
    """A neuroalign checkpoint of a ResNet-18 (random weights under ``seed``) for 32 px input."""
    import torch

    from neuroalign.backbones import create_ssl_model
    from neuroalign.backbones.checkpoint import write_checkpoint

    torch.manual_seed(seed)
    ssl = create_ssl_model("resnet18", (32,), cifar_stem=cifar_stem)
    spec = {"arch": "resnet18", "cifar_stem": cifar_stem, "head_dims": [32]}
    prep = {"image_size": 32, "resize": 32, "mean": [0.5, 0.4, 0.3], "std": [0.25, 0.2, 0.3]}
    payload = {"arch": "resnet18", "model_spec": spec, "model": ssl.state_dict(),
               "preprocessing": prep, "config": {"loss": loss}, "epoch": 3}  # fmt: skip
    return write_checkpoint(payload, path)


def write_pngs(folder: Path, n: int, size: int = 48, seed: int = 0) -> list[Path]:
    """``n`` random RGB PNG files (PNG: decoded identically by every loader)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"s{i}.png"
        Image.fromarray(rng.integers(0, 256, (size, size + 8 * i, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def installed():
    """Install plugin files into brainscore_vision/models for one test; removed afterwards."""
    from neuroalign.brainscore import uninstall_plugin

    identifiers: list[str] = []
    yield identifiers
    for identifier in identifiers:
        uninstall_plugin(identifier)
