"""AdaDim quantities: effective rank of the representation and I(R; Z).

Kokilepersaud, Prabhushankar & AlRegib (2025), "AdaDim": track the effective rank of the
backbone representation R and the mutual information between R and the projection-head
embedding Z during self-supervised training. I(R; Z) is estimated with the matrix-based
alpha-order Renyi entropy (Sanchez Giraldo, Rao & Principe, "Measures of entropy from data
using infinitely divisible kernels", IEEE Trans. Inf. Theory 61, 535-548, online 2014):

- Gram matrix of n samples: rows of X L2-normalised, K = X X^T (linear kernel, K_ii = 1);
  A = K / trace(K).
- S_alpha(A) = 1 / (1 - alpha) * log2(sum_k lambda_k(A)^alpha)   (bits; alpha -> 1 gives the
  von Neumann entropy -sum lambda log2 lambda).
- Joint entropy from the Hadamard product: S_alpha(A_R, A_Z) = S_alpha(A_R o A_Z / tr(A_R o A_Z)).
- I(R; Z) = S(R) + S(Z) - S(R, Z).

These are numpy front-ends (float results, ``DataError`` on bad input) of the torch functions in
:mod:`neuroalign.losses.information`, which the AdaDim loss also uses during training.

Properties: 0 <= S(A) <= log2 n; S(A o B) >= max(S(A), S(B)) so 0 <= I(R; Z) <= min(S(R), S(Z));
if Z is constant across samples, I(R; Z) = 0. The estimator's I(R; R) = 2 S(R) - S(R o R) equals
S(R) exactly when the Gram entries are 0 or 1 (e.g. one-hot features), not in general.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike

from neuroalign.errors import DataError
from neuroalign.geometry.dimension import effective_rank
from neuroalign.losses import information

__all__ = [
    "adadim_summary",
    "gram_matrix",
    "matrix_joint_entropy",
    "matrix_mutual_information",
    "matrix_renyi_entropy",
]

#: Default Renyi order; close to 1 (Shannon-like) as is common for this estimator.
DEFAULT_ALPHA = 1.01


def _samples(X: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise DataError(f"{name}: expected (n_samples >= 2, n_features), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name}: contains NaN or infinite values")
    return arr


def _gram_input(X: ArrayLike, name: str) -> torch.Tensor:
    """Validated float64 samples as a tensor for :mod:`neuroalign.losses.information`."""
    arr = _samples(X, name)
    if not np.any(arr):
        raise DataError(f"{name}: all rows are zero; the Gram matrix is undefined")
    return torch.from_numpy(np.ascontiguousarray(arr))


def _gram_pair(X: ArrayLike, Y: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = _gram_input(X, "X"), _gram_input(Y, "Y")
    if x.shape[0] != y.shape[0]:
        raise DataError(
            f"X and Y must have the same number of samples, got {x.shape[0]} and {y.shape[0]}"
        )
    return x, y


def _check_alpha(alpha: float) -> float:
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    return float(alpha)


def gram_matrix(X: ArrayLike) -> np.ndarray:
    """Trace-normalised Gram matrix A (n, n) of the L2-normalised rows of X (n, d).

    Rows of zero norm are left at zero (their kernel row is 0); an all-zero X is an error.
    """
    return information.gram_matrix(_gram_input(X, "X")).numpy()


def matrix_renyi_entropy(X: ArrayLike, alpha: float = DEFAULT_ALPHA) -> float:
    """S_alpha of the samples X (n, d) in bits (0 <= S <= log2 n)."""
    alpha = _check_alpha(alpha)
    return float(information.matrix_renyi_entropy(_gram_input(X, "X"), alpha))


def matrix_joint_entropy(X: ArrayLike, Y: ArrayLike, alpha: float = DEFAULT_ALPHA) -> float:
    """Joint S_alpha(X, Y) from the Hadamard product of the two Gram matrices (bits)."""
    alpha = _check_alpha(alpha)
    return float(information.matrix_joint_entropy(*_gram_pair(X, Y), alpha))


def matrix_mutual_information(X: ArrayLike, Y: ArrayLike, alpha: float = DEFAULT_ALPHA) -> float:
    """I(X; Y) = S(X) + S(Y) - S(X, Y) with the matrix-based Renyi entropy (bits).

    Args:
        X: (n, d_x) samples, e.g. the backbone representation R.
        Y: (n, d_y) the same n samples in another space, e.g. the embedding Z.
    """
    alpha = _check_alpha(alpha)
    return float(information.matrix_mutual_information(*_gram_pair(X, Y), alpha))


def adadim_summary(R: ArrayLike, Z: ArrayLike, alpha: float = DEFAULT_ALPHA) -> dict[str, float]:
    """AdaDim's tracked quantities for representation R (n, d_r) and embedding Z (n, d_z).

    Returns:
        dict with effective_rank_R, effective_rank_Z (Roy & Vetterli 2007, centred), entropy_R,
        entropy_Z, joint_entropy, mutual_information (bits) and alpha.
    """
    R = _samples(R, "R")
    Z = _samples(Z, "Z")
    s_r, s_z = matrix_renyi_entropy(R, alpha), matrix_renyi_entropy(Z, alpha)
    s_rz = matrix_joint_entropy(R, Z, alpha)
    return {
        "effective_rank_R": effective_rank(R),
        "effective_rank_Z": effective_rank(Z),
        "entropy_R": s_r,
        "entropy_Z": s_z,
        "joint_entropy": s_rz,
        "mutual_information": s_r + s_z - s_rz,
        "alpha": float(alpha),
    }
