"""Per-neuroid Pearson correlation between predicted and recorded responses.

Brain-Score scores a regression by ``scipy.stats.pearsonr`` between prediction and recording
over held-out stimuli, separately for each neuroid, then takes the median over neuroids
(Schrimpf et al. 2018, "Brain-Score"); neuroids whose r is undefined (constant prediction or
response) are skipped by the median, as xarray's ``median(skipna=True)`` does there.
"""

from __future__ import annotations

import numpy as np

from neuroalign.encoding import backend as B

__all__ = ["median_over_neuroids", "pearson_columns"]


def pearson_columns(a: B.Array, b: B.Array) -> np.ndarray:
    """Pearson r between matching columns of ``a`` and ``b`` (both (n, q)); returns (q,) NumPy.

    Columns that are constant in either input give NaN. The leading axes may be batched:
    inputs of shape (..., n, q) give r of shape (..., q).
    """
    a = B.to_numpy(a).astype(np.float64, copy=False)
    b = B.to_numpy(b).astype(np.float64, copy=False)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    a_c = a - a.mean(axis=-2, keepdims=True)
    b_c = b - b.mean(axis=-2, keepdims=True)
    num = (a_c * b_c).sum(axis=-2)
    den = np.sqrt((a_c * a_c).sum(axis=-2) * (b_c * b_c).sum(axis=-2))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    tiny = den <= 1e-300
    r[tiny] = np.nan
    return np.clip(r, -1.0, 1.0)


def median_over_neuroids(r: np.ndarray) -> np.ndarray:
    """Median over the last axis, ignoring NaN (all-NaN gives NaN without a warning)."""
    r = np.asarray(r, dtype=np.float64)
    if r.shape[-1] == 0:
        return np.full(r.shape[:-1], np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(r, axis=-1)
