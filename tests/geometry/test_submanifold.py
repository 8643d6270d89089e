from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.geometry import submanifold_pairs, submanifold_summary, submanifold_table
from neuroalign.losses.clamp import submanifold_geometry


def _views(rng, n_images=12, n_views=6, dim=10, spread=0.1, sep=1.0):
    centres = sep * rng.standard_normal((n_images, dim))
    return centres[None] + spread * rng.standard_normal((n_views, n_images, dim))


def test_rotation_and_translation_invariance():
    rng = np.random.default_rng(0)
    z = _views(rng)
    labels = np.arange(12) % 3
    q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    moved = z @ q + rng.standard_normal(10) * 4.0
    for fn in (submanifold_table, submanifold_pairs):
        a, b = fn(z, labels, r_s=3.0), fn(moved, labels, r_s=3.0)
        pd.testing.assert_frame_equal(a, b, rtol=1e-8, atol=1e-10)


def test_radii_come_from_the_clamp_geometry():
    rng = np.random.default_rng(1)
    z = _views(rng, spread=0.3)
    table = submanifold_table(z, r_s=7.0)
    geo = submanifold_geometry(torch.from_numpy(z), r_s=7.0)
    np.testing.assert_allclose(table["radius_rs"], geo.radii.numpy(), rtol=1e-12)
    np.testing.assert_allclose(table["radius"] * 7.0, table["radius_rs"], rtol=1e-9)
    np.testing.assert_allclose(table["size"] ** 2, geo.spreads.numpy(), rtol=1e-12)


def test_overlap_zero_for_separated_clusters_and_one_for_coincident():
    rng = np.random.default_rng(2)
    far = _views(rng, spread=1e-3, sep=10.0)
    summary = submanifold_summary(far, r_s=1.0)
    assert summary["overlap_fraction"] == 0.0
    assert summary["neighbour_count"] == 0.0
    same = np.repeat(rng.standard_normal((6, 1, 10)), 12, axis=1)  # all images share views
    summary = submanifold_summary(same, r_s=1.0)
    assert summary["overlap_fraction"] == 1.0
    assert summary["neighbour_count"] == 11.0


def test_overlap_follows_the_contact_rule_and_intra_inter_split():
    rng = np.random.default_rng(3)
    z = _views(rng, n_images=10, spread=0.5)
    labels = np.array([0] * 4 + [1] * 6)
    pairs = submanifold_pairs(z, labels, r_s=2.0)
    assert len(pairs) == 45
    assert int(pairs["same_class"].sum()) == 6 + 15
    np.testing.assert_array_equal(pairs["overlap"], pairs["distance"] < pairs["contact"])
    summary = submanifold_summary(z, labels, r_s=2.0)
    intra = pairs[pairs["same_class"]]
    assert summary["overlap_fraction_intra"] == pytest.approx(intra["overlap"].mean())
    assert summary["mean_cosine_inter"] == pytest.approx(
        pairs[~pairs["same_class"]]["cosine"].mean()
    )
    per_image = submanifold_table(z, labels, r_s=2.0)
    # every overlapping pair counts once for each of its two members
    assert per_image["n_neighbours"].sum() == 2 * pairs["overlap"].sum()


def test_orientation_similarity_parallel_and_orthogonal_axes():
    n_views, dim = 9, 6
    line = np.linspace(-1, 1, n_views)[:, None]
    e = np.eye(dim)
    # image 0 and 1 spread along e0, image 2 along e1; centroids on e2..e4
    z = np.stack(
        [3 * e[2] + 0.2 * line * e[0], 3 * e[3] + 0.2 * line * e[0], 3 * e[4] + 0.2 * line * e[1]],
        axis=1,
    )
    z = z - z.mean(axis=(0, 1))  # already centred: normalisation barely bends the lines
    pairs = submanifold_pairs(z).set_index(["i", "j"])
    assert pairs.loc[(0, 1), "orientation"] == pytest.approx(1.0, abs=1e-3)
    assert pairs.loc[(0, 2), "orientation"] == pytest.approx(0.0, abs=1e-3)


def test_bad_input():
    with pytest.raises(DataError, match="n_views, n_images, dim"):
        submanifold_table(np.zeros((4, 5)))
    with pytest.raises(DataError, match="at least 2 views"):
        submanifold_table(np.zeros((1, 5, 3)))
    with pytest.raises(DataError, match="labels"):
        submanifold_table(np.random.default_rng(0).standard_normal((3, 5, 2)), labels=[0, 1])
