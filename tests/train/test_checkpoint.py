"""RNG-state capture/restore survives a weights-only torch.save round trip."""

# ruff: noqa: NPY002  (the legacy global numpy generator is exactly what is saved and restored)

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.train.checkpoint import (
    capture_rng_state,
    check_resume_compatible,
    restore_rng_state,
)


def _draw() -> tuple:
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random(), np.random.randn())


def test_rng_round_trip_through_a_weights_only_file(tmp_path):
    torch.manual_seed(3)
    np.random.seed(3)
    random.seed(3)
    np.random.randn()  # leave a cached Gaussian in numpy's state
    torch.save({"rng": capture_rng_state()}, tmp_path / "rng.pt")
    expected = _draw()
    _draw()  # move every generator on
    restore_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True)["rng"])
    assert _draw() == expected


def test_resume_compatibility_names_the_differences():
    saved = {"arch": "resnet18", "views": 4, "head_dims": [64, 32], "batch_size": 8}
    check_resume_compatible(saved, {**saved, "head_dims": (64, 32), "epochs": 5}, "x.pt")
    with pytest.raises(DataError, match="views: checkpoint 4 vs now 8"):
        check_resume_compatible(saved, {**saved, "views": 8}, "x.pt")
