from __future__ import annotations

import numpy as np
import pytest

from neuroalign.errors import DataError
from neuroalign.geometry.config import GeometryConfig
from neuroalign.geometry.report import STAGES, adadim_table, geometry_report, layer_geometry


def _clustered_views(rng, n_classes=4, per_class=6, n_views=4, dim=20, spread=0.05):
    labels = np.repeat(np.arange(n_classes), per_class)
    class_means = 3.0 * rng.standard_normal((n_classes, dim))
    images = class_means[labels] + 0.3 * rng.standard_normal((labels.size, dim))
    views = images[None] + spread * rng.standard_normal((n_views, labels.size, dim))
    return views, labels


def test_layer_geometry_separates_intra_and_inter_class():
    rng = np.random.default_rng(0)
    views, labels = _clustered_views(rng)
    stages = []
    summary, tables = layer_geometry(
        views, labels, GeometryConfig(r_s=1.0, capacity=False), stages.append
    )
    assert stages == list(STAGES)
    assert summary["mean_distance_intra"] < summary["mean_distance_inter"]
    assert summary["mean_cosine_intra"] > summary["mean_cosine_inter"]
    assert summary["n_images"] == 24 and summary["n_views"] == 4
    assert 1.0 <= summary["pr_global"] <= 20.0
    assert summary["collapsed_dims"] == 0
    assert len(tables["pairs"]) == 24 * 23 // 2
    assert tables["spectrum"]["rank"].max() == 20


@pytest.mark.slow
def test_report_tables_and_xarray():
    rng = np.random.default_rng(1)
    views, labels = _clustered_views(rng)
    small, _ = _clustered_views(rng, dim=8)
    cfg = GeometryConfig(r_s=2.0, n_t=40, n_reps=1, max_capacity_images=8, power_law_range=(2, 8))
    report = geometry_report({"a": views, "b": small}, labels, cfg, progress=True)
    assert report.summary["layer"].tolist() == ["a", "b"]
    assert set(report.capacity["kind"]) == {"class", "augmentation"}
    sizes = report.capacity.groupby(["layer", "kind"]).size().to_dict()
    assert sizes == {
        ("a", "class"): 4,
        ("a", "augmentation"): 8,
        ("b", "class"): 4,
        ("b", "augmentation"): 8,
    }
    da = report.to_xarray()
    assert da.dims == ("layer", "metric")
    assert float(da.sel(layer="b", metric="dim")) == 8
    assert (report.summary["r_s"] == 2.0).all()


def test_adadim_table_and_errors():
    rng = np.random.default_rng(2)
    views, labels = _clustered_views(rng)
    table = adadim_table({"r": views, "z": views[..., :5]}, "r", "z")
    assert table.loc[0, "mutual_information"] > 0
    with pytest.raises(DataError, match="not among"):
        adadim_table({"r": views}, "r", "z")
    with pytest.raises(DataError, match="labels"):
        layer_geometry(views, labels[:-1])


def test_unlabelled_images_have_no_class_statistics():
    rng = np.random.default_rng(3)
    views, _ = _clustered_views(rng)
    summary, tables = layer_geometry(views, None, GeometryConfig(capacity=False))
    assert "overlap_fraction_intra" not in summary and "same_class" not in tables["pairs"]
    assert np.isnan(summary["pr_per_class"]) and summary["r_s"] == 7.0  # defaults.R_S
