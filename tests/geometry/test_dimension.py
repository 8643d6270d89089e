from __future__ import annotations

import numpy as np
import pytest

from neuroalign.errors import DataError
from neuroalign.geometry import covariance_spectrum, effective_rank, participation_ratio


def _random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _equal_spectrum_data(n: int, d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """n samples in d dims whose covariance has exactly k equal non-zero eigenvalues."""
    centred = rng.standard_normal((n, k))
    centred -= centred.mean(axis=0)
    u, _, _ = np.linalg.svd(centred, full_matrices=False)  # orthonormal, orthogonal to ones
    basis = _random_rotation(d, rng)[:, :k]
    return 3.0 * u @ basis.T + rng.standard_normal(d)  # plus an offset


@pytest.mark.parametrize("k", [1, 3, 7])
def test_participation_ratio_of_k_equal_eigenvalues_is_k(k):
    rng = np.random.default_rng(k)
    X = _equal_spectrum_data(200, 20, k, rng)
    assert participation_ratio(X) == pytest.approx(k, rel=1e-9)
    assert participation_ratio(np.r_[np.ones(k), np.zeros(5)], is_spectrum=True) == pytest.approx(k)


def test_participation_ratio_known_unequal_spectrum():
    lam = np.array([4.0, 1.0, 1.0])
    assert participation_ratio(lam, is_spectrum=True) == pytest.approx(36 / 18)


@pytest.mark.parametrize("k", [1, 4, 9])
def test_effective_rank_of_k_equal_singular_values_is_k(k):
    rng = np.random.default_rng(10 + k)
    left = _random_rotation(30, rng)[:, :k]
    right = _random_rotation(12, rng)[:k]
    X = 2.5 * left @ right
    assert effective_rank(X, center=False) == pytest.approx(k, rel=1e-9)
    assert effective_rank(np.full(k, 0.7), is_spectrum=True) == pytest.approx(k)


def test_effective_rank_known_value():
    sing = np.array([2.0, 1.0, 1.0])
    p = sing / 4
    assert effective_rank(sing, is_spectrum=True) == pytest.approx(np.exp(-np.sum(p * np.log(p))))


def test_rotation_and_translation_invariance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 15)) * np.linspace(0.2, 3, 15)
    Y = X @ _random_rotation(15, rng) + 5.0
    assert participation_ratio(Y) == pytest.approx(participation_ratio(X), rel=1e-9)
    assert effective_rank(Y) == pytest.approx(effective_rank(X), rel=1e-9)


def test_covariance_spectrum_matches_numpy():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 6))
    ref = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False)))[::-1]
    np.testing.assert_allclose(covariance_spectrum(X), ref, rtol=1e-10, atol=1e-12)


def test_bad_input_is_named():
    with pytest.raises(DataError, match="2-D"):
        participation_ratio(np.ones(5))
    with pytest.raises(DataError, match="NaN"):
        effective_rank(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(DataError, match="non-negative"):
        participation_ratio(np.array([1.0, -1.0]), is_spectrum=True)
