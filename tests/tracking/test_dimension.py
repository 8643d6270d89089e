"""dimension_metrics: participation ratio, effective rank and I(R; Z) on fixed probe images."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from neuroalign.extract import layer_views
from neuroalign.geometry import effective_rank, matrix_mutual_information, participation_ratio
from neuroalign.tracking import dimension_metrics


def test_equals_the_geometry_functions_on_the_same_features(ssl_model, prep, probe) -> None:
    got = dimension_metrics(ssl_model, probe, preprocessing=prep)
    feats = layer_views(ssl_model, probe.images, ["backbone", "output"], preprocessing=prep)
    R, Z = (feats[k].double().numpy() for k in ("backbone", "output"))
    assert got["dimension/representation/participation_ratio"] == pytest.approx(
        participation_ratio(R), rel=1e-9
    )
    assert got["dimension/embedding/effective_rank"] == pytest.approx(effective_rank(Z), rel=1e-9)
    assert got["dimension/mutual_information"] == pytest.approx(
        matrix_mutual_information(R, Z, alpha=2.0), rel=1e-9
    )
    assert got["dimension/seconds"] > 0
    again = dimension_metrics(ssl_model, probe, preprocessing=prep)
    assert {k: v for k, v in got.items() if k != "dimension/seconds"} == {
        k: v for k, v in again.items() if k != "dimension/seconds"
    }  # the same probe gives the same values at every call


def test_a_rank_one_embedding_has_dimension_one(ssl_model, prep, probe) -> None:
    """Z = (R v) u^T + b spans one direction: participation ratio and effective rank are 1."""
    model = copy.deepcopy(ssl_model)
    last = model.head[-1]
    gen = torch.Generator().manual_seed(2)
    u, v = torch.randn(16, 1, generator=gen), torch.randn(1, last.in_features, generator=gen)
    with torch.no_grad():
        last.weight.copy_(u @ v)
    got = dimension_metrics(model, probe, preprocessing=prep)
    assert got["dimension/embedding/participation_ratio"] == pytest.approx(1.0, abs=1e-5)
    assert got["dimension/embedding/effective_rank"] == pytest.approx(1.0, abs=1e-3)
    assert got["dimension/representation/participation_ratio"] > 1.0
    bound = len(probe) - 1  # N probe images span at most N - 1 centred dimensions
    assert 1.0 <= got["dimension/representation/effective_rank"] <= bound + 1e-9


def test_any_model_with_named_layers(ssl_model, prep, probe) -> None:
    """A bare backbone: R = its avgpool, Z = its output (the same features, flattened)."""
    got = dimension_metrics(ssl_model.backbone, probe, preprocessing=prep, representation="avgpool")
    assert set(got) == {
        "dimension/avgpool/participation_ratio",
        "dimension/avgpool/effective_rank",
        "dimension/embedding/participation_ratio",
        "dimension/embedding/effective_rank",
        "dimension/mutual_information",
        "dimension/seconds",
    }
    assert got["dimension/avgpool/effective_rank"] == pytest.approx(
        got["dimension/embedding/effective_rank"], rel=1e-9
    )
    assert np.isfinite(got["dimension/mutual_information"])
