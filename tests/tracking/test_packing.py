"""packing_metrics: the CLAMP sub-manifold geometry of fixed views, tracked over training."""

from __future__ import annotations

import copy

import pytest
import torch

from neuroalign.extract import layer_views
from neuroalign.geometry import submanifold_summary
from neuroalign.tracking import PACKING_QUANTITIES, ProbeImages, packing_metrics

SETTINGS = dict(n_views=3, recipe="cifar10", r_s=2.0, seed=5)


def _values(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if not k.endswith("/seconds")}


def test_equals_the_geometry_of_the_same_views(ssl_model, prep, probe) -> None:
    got = packing_metrics(ssl_model, probe, preprocessing=prep, **SETTINGS)
    views = layer_views(
        ssl_model, probe.images, ["output", "backbone"], 3, preprocessing=prep,
        recipe="cifar10", seed=5, max_features=2048,
    )  # fmt: skip
    for layer, label in (("output", "embedding"), ("backbone", "representation")):
        want = submanifold_summary(views[layer], probe.labels.numpy(), r_s=2.0)
        for key in PACKING_QUANTITIES:
            assert got[f"packing/{label}/{key}"] == pytest.approx(want[key], rel=1e-6), key
    assert got["packing/seconds"] > 0
    assert len(got) == 2 * len(PACKING_QUANTITIES) + 1


def test_same_probe_same_values_at_every_call_and_mode_restored(ssl_model, prep, probe) -> None:
    assert ssl_model.training
    first = _values(packing_metrics(ssl_model, probe, preprocessing=prep, **SETTINGS))
    second = _values(packing_metrics(ssl_model, probe, preprocessing=prep, **SETTINGS))
    assert first == second
    assert ssl_model.training  # measured in eval mode, train mode given back


def test_invariant_to_rotating_and_scaling_the_embedding(ssl_model, prep, probe) -> None:
    """Every packing quantity is a property of the geometry: an orthogonal map times a scale
    applied to the embedding leaves it unchanged (steps 1-2 centre and unit-normalise)."""
    rotated = copy.deepcopy(ssl_model)
    last = rotated.head[-1]
    q, _ = torch.linalg.qr(torch.randn(16, 16, generator=torch.Generator().manual_seed(1)))
    with torch.no_grad():
        last.weight.copy_(3.0 * q @ last.weight)
        last.bias.copy_(3.0 * q @ last.bias)
    kw = dict(layers=("output",), preprocessing=prep, **SETTINGS)
    a, b = (
        _values(packing_metrics(ssl_model, probe, **kw)),
        _values(packing_metrics(rotated, probe, **kw)),
    )
    assert a.keys() == b.keys()
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), key


def test_without_labels_no_class_split_and_a_step_changes_the_values(
    ssl_model, prep, probe
) -> None:
    unlabelled = ProbeImages(probe.images)
    kw = dict(layers=("output",), preprocessing=prep, **SETTINGS)
    before = _values(packing_metrics(ssl_model, unlabelled, **kw))
    assert not any(k.endswith(("_intra", "_inter")) for k in before)
    moved = copy.deepcopy(ssl_model)
    with torch.no_grad():
        for p in moved.head.parameters():
            p.add_(0.5 * torch.randn_like(p))
    after = _values(packing_metrics(moved, unlabelled, **kw))
    assert after["packing/embedding/mean_radius"] != before["packing/embedding/mean_radius"]


def test_bad_settings_are_refused(ssl_model, prep, probe) -> None:
    with pytest.raises(ValueError, match="n_views must be >= 2"):
        packing_metrics(ssl_model, probe, preprocessing=prep, n_views=1)
    with pytest.raises(ValueError, match="unknown layer 'layer9'"):
        packing_metrics(ssl_model, probe, preprocessing=prep, layers=("layer9",))
