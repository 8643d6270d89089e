"""Linear dimension of a representation: participation ratio and effective rank.

Both take a data matrix ``X`` of shape (n_samples, n_features) (or, with ``is_spectrum=True``,
a 1-D spectrum) and return one float.

- Participation ratio (Gao et al. 2017; Litwin-Kumar et al. 2017): for the eigenvalues
  lambda_k of the covariance of ``X``, PR = (sum lambda)^2 / sum lambda^2. It equals k for k
  equal non-zero eigenvalues and lies in [1, rank].
- Effective rank (Roy & Vetterli, "The effective rank: a measure of effective dimensionality",
  EUSIPCO 2007): for the singular values sigma_k of ``X``, p_k = sigma_k / sum sigma and
  erank = exp(-sum p_k log p_k). It equals k for k equal non-zero singular values. Computed by
  the torch function :func:`neuroalign.losses.information.effective_rank` (its one home, shared
  with the AdaDim loss).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike

from neuroalign.errors import DataError
from neuroalign.losses import information

__all__ = ["covariance_spectrum", "effective_rank", "participation_ratio"]


def _as_matrix(X: ArrayLike, name: str = "X") -> np.ndarray:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise DataError(
            f"{name}: expected a 2-D array (n_samples, n_features), got shape {arr.shape}"
        )
    if arr.shape[0] < 2:
        raise DataError(f"{name}: need at least 2 samples, got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name}: contains NaN or infinite values")
    return arr


def _as_spectrum(values: ArrayLike, name: str = "spectrum") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"{name}: expected a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name}: contains NaN or infinite values")
    if np.any(arr < -1e-12 * max(1.0, float(np.abs(arr).max()))):
        raise DataError(f"{name}: must be non-negative (min {arr.min():.3g})")
    return np.clip(arr, 0.0, None)


def covariance_spectrum(X: ArrayLike) -> np.ndarray:
    """Eigenvalues of the sample covariance of ``X`` (n_samples, n_features), descending.

    Computed from the singular values of the centred data (sigma^2 / (n - 1)), so it costs
    O(n d min(n, d)) and never forms a d x d matrix. Returns min(n, d) values.
    """
    arr = _as_matrix(X)
    centred = arr - arr.mean(axis=0, keepdims=True)
    sing = np.linalg.svd(centred, compute_uv=False)
    return np.sort(sing**2 / (arr.shape[0] - 1))[::-1]


def participation_ratio(X: ArrayLike, *, is_spectrum: bool = False) -> float:
    """Participation ratio (sum lambda)^2 / sum lambda^2 of a covariance spectrum.

    Args:
        X: data (n_samples, n_features), whose covariance eigenvalues are used; or, with
            ``is_spectrum=True``, the eigenvalues themselves (1-D, non-negative).

    Returns:
        PR in [1, rank]; 0.0 when the spectrum is identically zero.
    """
    lam = _as_spectrum(X) if is_spectrum else covariance_spectrum(X)
    denom = float(np.sum(lam**2))
    if denom == 0.0:
        return 0.0
    return float(np.sum(lam) ** 2 / denom)


def effective_rank(X: ArrayLike, *, center: bool = True, is_spectrum: bool = False) -> float:
    """Effective rank exp(H(p)), p_k = sigma_k / sum sigma (Roy & Vetterli 2007).

    Args:
        X: a matrix (n_samples, n_features) whose singular values are used (centred over
            samples first when ``center``); or, with ``is_spectrum=True``, the singular values.
        center: subtract the mean sample before the SVD (the rank of the spread, not of the
            offset); ignored for spectra.

    Returns:
        The effective rank in [1, rank]; 0.0 for an all-zero matrix.
    """
    if is_spectrum:
        sing = _as_spectrum(X, "singular values")
        return float(information.effective_rank_of_spectrum(torch.from_numpy(sing)))
    arr = np.ascontiguousarray(_as_matrix(X))
    return float(information.effective_rank(torch.from_numpy(arr), center=center))
