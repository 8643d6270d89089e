"""Eigenspectra, power-law decay and dimensional collapse.

- Power law (Stringer et al., Nature 2019): the covariance eigenvalues of a representation
  decay as lambda_n ~ n^-alpha; alpha is the slope of a least-squares line through
  (log n, log lambda_n) on a stated range of ranks n (1-based, inclusive).
- Dimensional collapse (Jing, Vincent, LeCun & Tian, ICLR 2022): the sorted singular values of
  the embedding covariance matrix, on a log scale; a dimension is counted as collapsed when its
  singular value is below ``rel_threshold`` times the largest one. (The covariance is symmetric
  positive semi-definite, so its singular values are its eigenvalues.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from neuroalign.defaults import COLLAPSE_THRESHOLD
from neuroalign.errors import DataError
from neuroalign.geometry.dimension import _as_spectrum, covariance_spectrum

__all__ = [
    "PowerLawFit",
    "collapsed_dimensions",
    "eigenspectrum_table",
    "fit_power_law",
]


@dataclass(frozen=True)
class PowerLawFit:
    """lambda_n ~ exp(intercept) * n^-alpha fitted on ranks ``fit_range`` (1-based, inclusive)."""

    alpha: float
    intercept: float
    r2: float
    fit_range: tuple[int, int]


def fit_power_law(eigenvalues: ArrayLike, fit_range: tuple[int, int] = (10, 100)) -> PowerLawFit:
    """Fit alpha in lambda_n ~ n^-alpha by least squares in log-log on ranks ``fit_range``.

    Args:
        eigenvalues: 1-D spectrum (any order; sorted descending here).
        fit_range: (first, last) rank n, 1-based and inclusive; ``last`` is clipped to the
            number of positive eigenvalues. At least 3 ranks must remain.
    """
    lam = np.sort(_as_spectrum(eigenvalues, "eigenvalues"))[::-1]
    first, last = int(fit_range[0]), int(fit_range[1])
    if first < 1 or last < first:
        raise ValueError(
            f"fit_range must be (first, last) with 1 <= first <= last, got {fit_range}"
        )
    n_pos = int(np.sum(lam > 0))
    last = min(last, n_pos)
    if last - first + 1 < 3:
        raise DataError(
            f"fit_range {fit_range}: only {max(0, last - first + 1)} positive eigenvalues in range "
            f"(spectrum has {n_pos} positive values); need at least 3"
        )
    ranks = np.arange(first, last + 1, dtype=np.float64)
    x = np.log(ranks)
    y = np.log(lam[first - 1 : last])
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else 1.0
    return PowerLawFit(float(-slope), float(intercept), r2, (first, last))


def collapsed_dimensions(
    X: ArrayLike, *, rel_threshold: float = COLLAPSE_THRESHOLD, is_spectrum: bool = False
) -> int:
    """Number of collapsed dimensions (Jing et al. 2022).

    Counts the singular values of the d x d embedding covariance (d = n_features, including
    the d - n + 1 that are exactly zero when n_samples <= d) below ``rel_threshold`` times the
    largest.

    Args:
        X: embeddings (n_samples, n_features), or with ``is_spectrum=True`` the covariance
            spectrum (all d values).
        rel_threshold: relative threshold on lambda_k / lambda_1 (default 1e-5).
    """
    if not rel_threshold > 0:
        raise ValueError(f"rel_threshold must be > 0, got {rel_threshold}")
    if is_spectrum:
        lam = _as_spectrum(X, "spectrum")
        d = lam.size
    else:
        arr = np.asarray(X)
        lam = covariance_spectrum(arr)
        d = arr.shape[1]
    top = float(lam.max()) if lam.size else 0.0
    if top == 0.0:
        return int(d)
    return int(np.sum(lam < rel_threshold * top) + (d - lam.size))


def eigenspectrum_table(X: ArrayLike, *, max_rank: int | None = None) -> pd.DataFrame:
    """Tidy covariance eigenspectrum of ``X``: columns rank (1-based), eigenvalue, relative.

    ``relative`` is lambda_n / lambda_1 (the quantity thresholded by
    :func:`collapsed_dimensions`). ``max_rank`` truncates the table.
    """
    lam = covariance_spectrum(X)
    if max_rank is not None:
        lam = lam[:max_rank]
    top = lam[0] if lam.size and lam[0] > 0 else 1.0
    return pd.DataFrame(
        {"rank": np.arange(1, lam.size + 1), "eigenvalue": lam, "relative": lam / top}
    )
