"""Reductions: Gaussian and sparse random projections, PCA; reduced extraction streamed
equals reduced in memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.extract import Reduction, extract_activations, open_assembly, stream_activations
from neuroalign.extract.reduce import GaussianProjection, PCAReducer, SparseProjection


def test_gaussian_projection_is_blockwise_and_seeded():
    x = torch.randn(5, 40000)
    proj = GaussianProjection(40000, 16, seed=3)
    full = proj.matrix()
    assert full.shape == (40000, 16)
    np.testing.assert_allclose(proj.transform(x), x @ full, rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(proj.transform(x[:2]), proj.transform(x)[:2], rtol=1e-4, atol=1e-2)
    assert torch.equal(GaussianProjection(40000, 16, seed=3).matrix(), full)
    assert not torch.equal(GaussianProjection(40000, 16, seed=4).matrix(), full)
    # Johnson-Lindenstrauss scaling: E||x R||^2 = ||x||^2 with R_ij ~ N(0, 1/k)
    assert abs(float(full.pow(2).sum(1).mean()) - 1.0) < 0.02


def test_sparse_projection_density_and_scale():
    d, k = 10000, 64
    proj = SparseProjection(d, k, seed=0)
    m = proj.matrix().to_dense()
    density = float((m != 0).float().mean())
    assert abs(density - 1 / np.sqrt(d)) < 0.002
    assert abs(float(m.pow(2).sum(1).mean()) - 1.0) < 0.05
    x = torch.randn(3, d)
    np.testing.assert_allclose(proj.transform(x), x @ m, rtol=1e-4, atol=1e-4)


def test_pca_matches_sklearn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 200)) @ rng.normal(size=(200, 200)) * 0.1
    for data in (x, x[:, :20]):  # d > n (Gram route) and d < n (SVD route)
        ours = PCAReducer.fit(torch.from_numpy(data).float(), 5)
        ref = PCA(5).fit(data)
        a, b = ours.transform(torch.from_numpy(data).float()).numpy(), ref.transform(data)
        signs = np.sign((a * b).sum(0))
        np.testing.assert_allclose(a, b * signs, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="k=50"):
        PCAReducer.fit(torch.from_numpy(x).float(), 50)


def test_reduced_extraction_stream_equals_memory(small_resnet18, image_files, tmp_path):
    for red in (Reduction("gaussian", k=8), Reduction("sparse", k=8), Reduction("pca", k=4)):
        mem = extract_activations(
            small_resnet18, image_files, ["layer2"], reduction=red, num_workers=0
        )
        disk = stream_activations(
            small_resnet18, image_files, ["layer2"], tmp_path / red.method, reduction=red,
            num_workers=0,
        )  # fmt: skip
        d = open_assembly(disk["layer2"])
        assert mem["layer2"].shape == (len(image_files), red.k)
        assert list(mem["layer2"]["component"].values) == list(range(red.k))
        np.testing.assert_allclose(d.values, mem["layer2"].values, rtol=1e-4, atol=1e-4)
    full = extract_activations(small_resnet18, image_files, ["layer2"], num_workers=0)
    full = full["layer2"].values
    proj = GaussianProjection(full.shape[1], 8, seed=0)
    red = extract_activations(
        small_resnet18, image_files, ["layer2"], reduction=Reduction(k=8), num_workers=0
    )
    np.testing.assert_allclose(
        red["layer2"].values, proj.transform(torch.from_numpy(full)).numpy(), rtol=1e-4, atol=1e-4
    )
