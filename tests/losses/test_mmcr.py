"""MMCR (Yerxa et al. 2023): nuclear norms of known matrices, numpy agreement, invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuroalign.losses import MMCRLoss, mmcr_loss


@pytest.mark.parametrize(("n_views", "batch", "lmbda"), [(2, 4, 0.0), (4, 3, 0.5), (3, 5, 2.0)])
def test_identical_views_of_orthonormal_images(n_views, batch, lmbda):
    # centroids = orthonormal rows: ||C||_* = B; each view matrix is m copies of a unit row,
    # singular value sqrt(m): loss = (-B + lmbda * B sqrt(m)) / B
    z = (2.0 * torch.eye(batch + 1, dtype=torch.float64)[:batch]).expand(n_views, -1, -1)
    expected = -1.0 + lmbda * math.sqrt(n_views)
    assert mmcr_loss(z, lmbda=lmbda).item() == pytest.approx(expected, rel=1e-12)


def test_orthogonal_views():
    # view 0 of image i = e_{2i}, view 1 = e_{2i+1}: centroids orthogonal with norm 1/sqrt 2,
    # each view matrix has two unit singular values
    batch = 3
    eye = torch.eye(2 * batch, dtype=torch.float64)
    z = torch.stack([eye[0::2], eye[1::2]])
    assert mmcr_loss(z).item() == pytest.approx(-1 / math.sqrt(2), rel=1e-12)
    assert mmcr_loss(z, lmbda=0.25).item() == pytest.approx(-1 / math.sqrt(2) + 0.5, rel=1e-12)


def test_collapsed_embeddings():
    # every embedding the same unit vector: C = 1 u^T has one singular value sqrt(B)
    batch = 9
    z = torch.ones(3, batch, 4, dtype=torch.float64)
    assert mmcr_loss(z).item() == pytest.approx(-math.sqrt(batch) / batch, rel=1e-12)


def test_matches_numpy_svd():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(4, 7, 5, generator=gen, dtype=torch.float64)
    u = z.numpy() / np.linalg.norm(z.numpy(), axis=-1, keepdims=True)
    global_nuc = np.linalg.svd(u.mean(axis=0), compute_uv=False).sum()
    local_nuc = sum(np.linalg.svd(u[:, i], compute_uv=False).sum() for i in range(7))
    expected = (-global_nuc + 0.3 * local_nuc) / 7
    assert mmcr_loss(z, lmbda=0.3).item() == pytest.approx(expected, rel=1e-12)


def test_invariant_to_rotation_scale_and_permutation():
    z = torch.randn(3, 6, 4, generator=torch.Generator().manual_seed(1)).double()
    q, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(2)).double())
    base = mmcr_loss(z, lmbda=0.1)
    torch.testing.assert_close(mmcr_loss(z @ q.T, lmbda=0.1), base)
    torch.testing.assert_close(mmcr_loss(z * 7.0, lmbda=0.1), base)
    perm = torch.randperm(6, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(mmcr_loss(z[:, perm], lmbda=0.1), base)


def test_gradcheck():
    z = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(4)).double()
    z.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: mmcr_loss(x, lmbda=0.2), (z,))


def test_module_matches_function():
    z = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(MMCRLoss(lmbda=0.5)(z), mmcr_loss(z, lmbda=0.5))


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (torch.randn(2, 3, 4, 5), "shape"),
        (torch.randn(1, 4, 3), "n_views"),
        (torch.randn(2, 0, 3), "batch"),
        (torch.tensor([[[float("nan")]], [[1.0]]]), "NaN"),
    ],
)
def test_bad_input_raises(z, match):
    with pytest.raises(ValueError, match=match):
        mmcr_loss(z)
    with pytest.raises(ValueError, match=match):
        MMCRLoss()(z)


def test_negative_lambda_raises():
    with pytest.raises(ValueError, match="lmbda"):
        MMCRLoss(lmbda=-0.1)
