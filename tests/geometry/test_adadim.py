from __future__ import annotations

import numpy as np
import pytest

from neuroalign.errors import DataError
from neuroalign.geometry import (
    adadim_summary,
    gram_matrix,
    matrix_joint_entropy,
    matrix_mutual_information,
    matrix_renyi_entropy,
)


def test_gram_matrix_is_trace_normalised_cosine_kernel():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 4))
    A = gram_matrix(3.0 * X)
    assert np.trace(A) == pytest.approx(1.0)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(A, unit @ unit.T / 10, rtol=1e-12)


@pytest.mark.parametrize("alpha", [1.0, 1.01, 2.0])
def test_entropy_bounds_and_orthogonal_samples(alpha):
    n = 16
    assert matrix_renyi_entropy(np.eye(n), alpha) == pytest.approx(np.log2(n))
    assert matrix_renyi_entropy(np.ones((n, 3)), alpha) == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(1)
    s = matrix_renyi_entropy(rng.standard_normal((n, 5)), alpha)
    assert 0.0 < s <= np.log2(n) + 1e-9


@pytest.mark.parametrize("alpha", [1.0, 1.01, 2.0])
def test_self_information_of_one_hot_features_is_the_entropy(alpha):
    labels = np.array([0, 0, 1, 2, 2, 2, 3, 1])
    R = np.eye(4)[labels]
    s = matrix_renyi_entropy(R, alpha)
    assert matrix_mutual_information(R, R, alpha) == pytest.approx(s, rel=1e-9)
    # the entropy of a clustering is the Renyi entropy of the cluster sizes
    p = np.bincount(labels) / len(labels)
    expected = -np.sum(p * np.log2(p)) if alpha == 1.0 else np.log2(np.sum(p**alpha)) / (1 - alpha)
    assert s == pytest.approx(expected, rel=1e-9)


def test_information_with_a_constant_is_zero_and_bounded_otherwise():
    rng = np.random.default_rng(2)
    R = rng.standard_normal((30, 8))
    assert matrix_mutual_information(R, np.ones((30, 4))) == pytest.approx(0.0, abs=1e-9)
    Z = R @ rng.standard_normal((8, 3)) + 0.1 * rng.standard_normal((30, 3))
    mi = matrix_mutual_information(R, Z)
    assert 0.0 <= mi <= min(matrix_renyi_entropy(R), matrix_renyi_entropy(Z)) + 1e-9
    assert matrix_joint_entropy(R, Z) >= max(matrix_renyi_entropy(R), matrix_renyi_entropy(Z))


def test_rotation_and_scale_invariance():
    rng = np.random.default_rng(4)
    R = rng.standard_normal((20, 6))
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    assert matrix_renyi_entropy(2.0 * R @ q) == pytest.approx(matrix_renyi_entropy(R), rel=1e-10)


def test_summary_and_errors():
    rng = np.random.default_rng(5)
    R, Z = rng.standard_normal((25, 10)), rng.standard_normal((25, 4))
    out = adadim_summary(R, Z)
    assert out["mutual_information"] == pytest.approx(
        out["entropy_R"] + out["entropy_Z"] - out["joint_entropy"]
    )
    assert 1.0 <= out["effective_rank_Z"] <= 4.0
    with pytest.raises(DataError, match="same number of samples"):
        matrix_mutual_information(R, Z[:10])
    with pytest.raises(ValueError, match="alpha"):
        matrix_renyi_entropy(R, alpha=0.0)
