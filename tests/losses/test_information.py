"""Effective rank and matrix-based Renyi information in torch: closed forms, identities, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuroalign import geometry
from neuroalign.losses.information import (
    effective_rank,
    effective_rank_of_spectrum,
    gram_entropy,
    gram_matrix,
    matrix_joint_entropy,
    matrix_mutual_information,
    matrix_renyi_entropy,
    max_effective_rank,
)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def equal_spectrum(n: int, d: int, k: int, seed: int = 0) -> torch.Tensor:
    """n centred samples in d dims with exactly k equal non-zero singular values, plus an offset."""
    centred = randn(n, k, seed=seed)
    centred = centred - centred.mean(dim=0)
    u, _, _ = torch.linalg.svd(centred, full_matrices=False)  # orthonormal, orthogonal to ones
    basis, _ = torch.linalg.qr(randn(d, d, seed=seed + 1))
    return 3.0 * u @ basis[:, :k].T + randn(d, seed=seed + 2)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_effective_rank_of_k_equal_singular_values_is_k(k):
    x = equal_spectrum(40, 8, k)
    assert effective_rank(x).item() == pytest.approx(k, rel=1e-10)
    assert effective_rank_of_spectrum(torch.full((k,), 0.3)).item() == pytest.approx(k)
    # with zeros appended (rank-deficient spectra) the value is unchanged
    padded = torch.cat([torch.full((k,), 0.3), torch.zeros(4)])
    assert effective_rank_of_spectrum(padded).item() == pytest.approx(k)


def test_effective_rank_known_value_and_zero_matrix():
    s = torch.tensor([3.0, 1.0, 0.5], dtype=torch.float64)
    p = s / s.sum()
    assert effective_rank_of_spectrum(s).item() == pytest.approx(math.exp(-(p * p.log()).sum()))
    assert effective_rank(torch.zeros(5, 3)).item() == 0.0
    assert effective_rank_of_spectrum(torch.zeros(3)).item() == 0.0


def test_centring_removes_the_offset_direction():
    x = equal_spectrum(30, 6, 2)  # centred rank 2 plus an offset in a generic direction
    assert effective_rank(x).item() == pytest.approx(2.0, rel=1e-10)
    assert effective_rank(x, center=False).item() > 2.0


def test_max_effective_rank():
    assert max_effective_rank(256, 512) == 255
    assert max_effective_rank(256, 512, center=False) == 256
    assert max_effective_rank(1000, 64) == max_effective_rank(1000, 64, center=False) == 64


def test_half_precision_is_computed_in_float32():
    x = equal_spectrum(20, 5, 3).to(torch.bfloat16)
    assert effective_rank(x).dtype == torch.float32
    assert effective_rank(x).item() == pytest.approx(3.0, rel=0.05)


def test_gram_matrix_is_the_trace_normalised_cosine_kernel():
    x = randn(10, 4, seed=1)
    a = gram_matrix(3.0 * x)
    unit = x / x.norm(dim=1, keepdim=True)
    torch.testing.assert_close(a, unit @ unit.T / 10)
    with_zero_row = torch.cat([x[:3], torch.zeros(1, 4)])
    a0 = gram_matrix(with_zero_row)
    assert torch.all(a0[3] == 0) and torch.trace(a0).item() == pytest.approx(1.0)


@pytest.mark.parametrize("order", [1.0, 1.5, 2.0, 3.0])
def test_entropy_is_the_renyi_entropy_of_the_eigenvalues(order):
    a = gram_matrix(randn(12, 5, seed=2))
    lam = torch.linalg.eigvalsh(a).clamp_min(0)
    lam = lam[lam > 1e-15] / lam.sum()
    if order == 1.0:
        expected = -(lam * torch.log2(lam)).sum()
    else:
        expected = torch.log2((lam**order).sum()) / (1 - order)
    torch.testing.assert_close(gram_entropy(a, order), expected)


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_entropy_bounds(order):
    n = 16
    assert matrix_renyi_entropy(torch.eye(n, dtype=torch.float64), order).item() == pytest.approx(
        math.log2(n)
    )
    assert matrix_renyi_entropy(
        torch.ones(n, 3, dtype=torch.float64), order
    ).item() == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("order", [1.5, 2.0])
def test_one_hot_clusters_known_entropy_and_self_information(order):
    labels = torch.tensor([0, 0, 1, 2, 2, 2, 3, 1])
    r = torch.eye(4, dtype=torch.float64)[labels]
    p = torch.bincount(labels).double() / len(labels)
    expected = math.log2(float((p**order).sum())) / (1 - order)
    assert matrix_renyi_entropy(r, order).item() == pytest.approx(expected, rel=1e-12)
    assert matrix_mutual_information(r, r, order).item() == pytest.approx(expected, rel=1e-12)


def test_information_with_a_constant_is_zero_and_bounded_otherwise():
    r = randn(30, 8, seed=3)
    assert matrix_mutual_information(
        r, torch.ones(30, 4, dtype=torch.float64), 2.0
    ).item() == pytest.approx(0.0, abs=1e-12)
    z = r @ randn(8, 3, seed=4) + 0.1 * randn(30, 3, seed=5)
    mi = matrix_mutual_information(r, z, 2.0).item()
    s_r, s_z = matrix_renyi_entropy(r, 2.0).item(), matrix_renyi_entropy(z, 2.0).item()
    assert 0.0 <= mi <= min(s_r, s_z)
    assert matrix_joint_entropy(r, z, 2.0).item() == pytest.approx(s_r + s_z - mi)


def test_geometry_front_ends_return_the_same_numbers():
    r, z = randn(25, 10, seed=6), randn(25, 4, seed=7)
    for order in (1.01, 2.0):
        assert geometry.matrix_mutual_information(r.numpy(), z.numpy(), order) == pytest.approx(
            matrix_mutual_information(r, z, order).item(), rel=1e-12
        )
    assert geometry.effective_rank(r.numpy()) == pytest.approx(effective_rank(r).item())
    np.testing.assert_allclose(geometry.gram_matrix(r.numpy()), gram_matrix(r).numpy())


@pytest.mark.parametrize("order", [1.5, 2.0])
def test_mutual_information_gradcheck(order):
    x = randn(6, 4, seed=8).requires_grad_(True)
    y = randn(6, 3, seed=9).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: matrix_mutual_information(a, b, order), (x, y))


def test_effective_rank_gradcheck():
    x = randn(7, 4, seed=10).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a: effective_rank(a), (x,))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="effective_rank.*n_samples >= 2"):
        effective_rank(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="gram_matrix.*floating"):
        gram_matrix(torch.ones(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="same number of samples"):
        matrix_mutual_information(randn(5, 2), randn(4, 2), 2.0)
    with pytest.raises(ValueError, match="order must be > 0"):
        matrix_renyi_entropy(randn(5, 2), 0.0)
