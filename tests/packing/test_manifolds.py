from __future__ import annotations

import numpy as np
import pytest

from neuroalign.geometry import submanifold_summary, submanifold_table
from neuroalign.packing.manifolds import submanifold_packing


def embeddings(seed=0, m=6, b=30, d=12, spread=0.3):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1, b, d))
    return centres + spread * rng.standard_normal((m, b, d))


def test_matches_the_geometry_report():
    z = embeddings()
    labels = np.repeat(np.arange(5), 6)
    out = submanifold_packing(z, r_s=2.0, labels=labels)
    summary = submanifold_summary(z, labels, r_s=2.0)
    assert out["z"] == pytest.approx(summary["neighbour_count"])
    assert out["overlap_fraction"] == pytest.approx(summary["overlap_fraction"])
    table = submanifold_table(z, labels, r_s=2.0)
    assert out["f_active"] == pytest.approx((table["n_neighbours"] > 0).mean())
    assert 0 <= out["f_active_inter"] <= out["f_active"]


def test_limits_of_the_radius_scale():
    z = embeddings()
    tiny = submanifold_packing(z, r_s=1e-4)
    assert tiny["f_active"] == 0 and tiny["z"] == 0 and tiny["overlap_fraction"] == 0
    huge = submanifold_packing(z, r_s=1e3)
    assert huge["f_active"] == 1 and huge["z"] == 29 and huge["overlap_fraction"] == 1
