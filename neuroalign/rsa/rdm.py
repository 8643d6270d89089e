"""Representational dissimilarity matrices (RDMs) over stimuli.

An RDM holds, for every pair of stimuli, how differently a system responds to them
(Kriegeskorte, Mur & Bandettini 2008, "Representational similarity analysis - connecting the
branches of systems neuroscience", Front. Syst. Neurosci.). Definitions follow rsatoolbox
(github.com/rsagroup/rsatoolbox, ``rsatoolbox.rdm.calc``) so that values agree with it:

=============== ==============================================================================
``correlation`` ``1 - r(x_i, x_j)``, Pearson r across features (rsatoolbox ``correlation``).
``euclidean``   **squared** Euclidean distance divided by the number of features,
                ``||x_i - x_j||^2 / n_features`` (rsatoolbox ``euclidean``, which it labels
                "squared euclidean").
``cosine``      ``1 - cos(x_i, x_j)`` (as ``scipy.spatial.distance.cosine``; rsatoolbox has
                no cosine RDM).
``crossnobis``  cross-validated squared Mahalanobis distance (Walther et al. 2016,
                NeuroImage 137): leave one run (fold) out, ``(m_i - m_j)^T P (m'_i - m'_j) /
                n_features`` between the held-out run's means ``m'`` and the other runs' means
                ``m``, averaged over folds; ``P`` is a noise precision matrix (identity when none
                is given). Unbiased: its expected value is 0 for identical patterns, so it can be
                negative. Needs single trials with a run / fold label (rsatoolbox
                ``crossnobis`` with ``cv_descriptor``).
=============== ==============================================================================

Shapes: patterns ``X`` are ``(n_stimuli, n_features)`` (or batched ``(..., n_stimuli,
n_features)``); a square RDM is ``(n_stimuli, n_stimuli)`` and its condensed form is the upper
triangle above the diagonal in row-major order, ``(n_stimuli * (n_stimuli - 1) / 2,)`` (the order
of ``scipy.spatial.distance.squareform`` and of rsatoolbox's vectors).

Inputs may be numpy arrays (numpy out), torch tensors (torch out, computed on their device) or
xarray DataArrays ``presentation x neuroid`` with a ``stimulus_id`` coordinate (DataArray out,
dims :data:`RDM_DIMS` both indexed by stimulus id).
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError

__all__ = [
    "RDM_DIMS",
    "RDM_METHODS",
    "compute_rdm",
    "condensed_to_square",
    "n_stimuli_from_condensed",
    "rdm_dataarray",
    "square_to_condensed",
]

#: Dissimilarity measures accepted by :func:`compute_rdm`.
RDM_METHODS: tuple[str, ...] = ("correlation", "euclidean", "cosine", "crossnobis")

#: Dimension names of an RDM DataArray; each is indexed by the stimulus ids.
RDM_DIMS: tuple[str, str] = ("stimulus_id_i", "stimulus_id_j")


# --------------------------------------------------------------------------------------------
# square <-> condensed
# --------------------------------------------------------------------------------------------
def n_stimuli_from_condensed(length: int) -> int:
    """Number of stimuli ``n`` of a condensed RDM of ``length = n (n - 1) / 2`` entries."""
    n = round((1 + math.sqrt(1 + 8 * length)) / 2)
    if n * (n - 1) // 2 != length or n < 2:
        raise DataError(
            f"a condensed RDM has n*(n-1)/2 entries for some n >= 2; got length {length}"
        )
    return n


def _triu(n: int, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    rows, cols = torch.triu_indices(n, n, offset=1, device=device)
    return rows, cols


@functools.lru_cache(maxsize=4)
def _triu_mask(n: int) -> np.ndarray:
    """Boolean mask (n, n) of the entries above the diagonal (read-only, cached)."""
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    mask.flags.writeable = False
    return mask


def square_to_condensed(rdm: Any) -> Any:
    """Upper triangle (above the diagonal, row-major) of square RDMs ``(..., n, n) -> (..., P)``.

    Works on numpy arrays and torch tensors; ``P = n (n - 1) / 2``.
    """
    if isinstance(rdm, torch.Tensor) and rdm.device.type != "cpu":
        n = rdm.shape[-1]
        if rdm.ndim < 2 or rdm.shape[-2] != n:
            raise DataError(f"expected square RDMs (..., n, n), got shape {tuple(rdm.shape)}")
        rows, cols = _triu(n, rdm.device)
        return rdm[..., rows, cols]
    arr = rdm.numpy() if isinstance(rdm, torch.Tensor) else np.asarray(rdm)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise DataError(f"expected square RDMs (..., n, n), got shape {arr.shape}")
    out = arr[..., _triu_mask(arr.shape[-1])]  # row-major order of the masked entries
    return torch.from_numpy(out) if isinstance(rdm, torch.Tensor) else out


def condensed_to_square(vector: Any) -> Any:
    """Symmetric square RDMs with a zero diagonal from condensed ones ``(..., P) -> (..., n, n)``."""
    is_torch = isinstance(vector, torch.Tensor)
    vec = vector if is_torch else torch.as_tensor(np.asarray(vector))
    n = n_stimuli_from_condensed(vec.shape[-1])
    rows, cols = _triu(n, vec.device)
    out = vec.new_zeros((*vec.shape[:-1], n, n))
    out[..., rows, cols] = vec
    out[..., cols, rows] = vec
    return out if is_torch else out.numpy()


# --------------------------------------------------------------------------------------------
# the dissimilarity measures (batched over leading dims; numpy arrays on the CPU, torch tensors
# on other devices: the code uses only operators the two share)
# --------------------------------------------------------------------------------------------
def _check_finite(x: Any, what: str) -> None:
    finite = np.isfinite(x) if isinstance(x, np.ndarray) else torch.isfinite(x)
    if not bool(finite.all()):
        raise DataError(f"{what} contain NaN or infinite values")


def _gram(x: Any) -> Any:
    """``x x^T`` over the last two dims, ``(..., n, p) -> (..., n, n)``.

    For numpy arrays numpy's BLAS recognises ``a @ a.T`` and calls ``syrk``, which computes one
    triangle (half the flops of the general product torch uses on the CPU) and mirrors it.
    """
    return x @ x.swapaxes(-1, -2)


def _diagonal(G: Any) -> Any:
    """The diagonals ``(..., n)`` of ``(..., n, n)`` (a view; same call for numpy and torch)."""
    return G.diagonal(0, -2, -1)


def _check_norms(sq: Any, what: str) -> None:
    """Error naming the stimuli whose pattern has zero norm (``sq``: squared norms (..., n))."""
    bad = np.asarray(sq.cpu() if isinstance(sq, torch.Tensor) else sq) <= 0
    if bad.any():
        idx = np.nonzero(bad.reshape(-1, bad.shape[-1]).any(0))[0].tolist()
        raise DataError(
            f"{what} undefined for stimuli whose pattern is constant / all zero "
            f"(stimulus rows {idx[:10]}{'...' if len(idx) > 10 else ''})"
        )


def _one_minus_normalised(G: Any, what: str) -> Any:
    """``1 - G_ij / sqrt(G_ii G_jj)`` for Gram matrices ``G`` (..., n, n), in place."""
    sq = _diagonal(G)
    _check_norms(sq, what)
    norm = sq**0.5  # a copy: G changes below
    G /= norm[..., :, None] * norm[..., None, :]
    G *= -1.0
    G += 1.0
    return G


#: The correlation RDM is computed from the raw Gram matrix and the row sums (no centred copy of
#: the patterns) when every pattern's variance is at least this fraction of its mean square: the
#: rounding error of the centred products is then amplified at most 10-fold (~1e-15 absolute in
#: float64). Patterns whose mean dominates their spread are centred explicitly.
UNCENTRED_MIN_VARIANCE_FRACTION = 0.1


def _correlation(x: Any) -> Any:
    """``1 - r`` between rows: the normalised Gram matrix of the row-centred patterns.

    ``(x_i - m_i).(x_j - m_j) = x_i.x_j - s_i s_j / p`` (``s``: row sums, ``p``: features), so
    one product of the raw patterns gives it without writing a centred copy of ``x`` (see
    :data:`UNCENTRED_MIN_VARIANCE_FRACTION` for when the copy is made anyway). Every
    expression is symmetric in ``i, j``, so a symmetric ``G`` gives an exactly symmetric RDM.
    """
    p = x.shape[-1]
    s = x.sum(-1)
    _check_finite(s, "patterns")  # a NaN / inf anywhere makes its row sum non-finite
    if x.dtype in (np.float64, torch.float64):
        G = _gram(x)
        sq = _diagonal(G)
        if bool(((sq - s * s / p) >= UNCENTRED_MIN_VARIANCE_FRACTION * sq).all()):
            G -= s[..., :, None] * s[..., None, :] / p
            return _one_minus_normalised(G, "correlation distance is")
    return _one_minus_normalised(_gram(x - (s / p)[..., None]), "correlation distance is")


def _cosine(x: Any) -> Any:
    G = _gram(x)
    _check_finite(_diagonal(G), "patterns")  # NaN / inf in a row reach its squared norm
    return _one_minus_normalised(G, "cosine distance is")


def _euclidean(x: Any) -> Any:
    G = _gram(x)
    sq = _diagonal(G) * 1.0  # a copy
    _check_finite(sq, "patterns")
    G *= -2.0
    G += sq[..., :, None]
    G += sq[..., None, :]
    G[G < 0] = 0.0
    G /= x.shape[-1]
    return G


def _zero_diagonal(d: Any) -> Any:
    d = d + d.swapaxes(-1, -2)  # exact symmetry despite rounding
    d *= 0.5
    if isinstance(d, np.ndarray):
        idx = np.arange(d.shape[-1])
        d[..., idx, idx] = 0.0
    else:
        d.diagonal(dim1=-2, dim2=-1).zero_()
    return d


def _crossnobis(
    trials: torch.Tensor,
    stim_index: torch.Tensor,
    n_stim: int,
    run_index: torch.Tensor,
    n_runs: int,
    noise: torch.Tensor | None,
) -> torch.Tensor:
    """Leave-one-run-out crossnobis RDM (n_stim, n_stim) from trials (n_trials, n_features)."""
    n_feat = trials.shape[-1]
    cell = stim_index * n_runs + run_index  # (stimulus, run) cell of each trial
    sums = trials.new_zeros((n_stim * n_runs, n_feat)).index_add_(0, cell, trials)
    counts = torch.bincount(cell, minlength=n_stim * n_runs).to(trials.dtype)
    sums = sums.view(n_stim, n_runs, n_feat)
    counts = counts.view(n_stim, n_runs)
    total_sum, total_count = sums.sum(1), counts.sum(1)
    rdm = trials.new_zeros((n_stim, n_stim))
    for run in range(n_runs):
        test = sums[:, run] / counts[:, run, None]
        train = (total_sum - sums[:, run]) / (total_count - counts[:, run])[:, None]
        kernel = train @ (noise @ test.T if noise is not None else test.T)
        diag = kernel.diagonal()
        rdm += diag[:, None] + diag[None, :] - kernel - kernel.T
    return rdm / (n_runs * n_feat)


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------
def _is_dataarray(x: Any) -> bool:
    """Whether ``x`` is an xarray DataArray, without importing xarray (its first import takes
    ~0.5-1 s, which made every first RDM call in a session 20x slower than the next)."""
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(x, xr.DataArray)


def _presentation_matrix(data: Any) -> tuple[np.ndarray, Any]:
    """(values (n_presentations, n_features) float64, the presentation coordinate object)."""
    if "presentation" not in data.dims:
        raise DataError(
            f"expected a DataArray with a 'presentation' dimension, got dims {data.dims}"
        )
    other = [d for d in data.dims if d != "presentation"]
    data = data.transpose("presentation", *other)
    values = np.asarray(data.values, dtype=np.float64).reshape(data.sizes["presentation"], -1)
    return values, data["presentation"]


def _presentation_coord(data: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(data[name].values)
    except KeyError:
        raise DataError(
            f"the DataArray has no presentation coordinate {name!r}; "
            f"available: {sorted(str(c) for c in data.coords)}"
        ) from None


def rdm_dataarray(rdm: Any, stimulus_ids: Any, **attrs: Any) -> Any:
    """Wrap a square RDM ``(n, n)`` as a DataArray with dims :data:`RDM_DIMS` (stimulus ids)."""
    import xarray as xr

    values = rdm.detach().cpu().numpy() if isinstance(rdm, torch.Tensor) else np.asarray(rdm)
    ids = np.asarray(stimulus_ids).astype(str)
    if values.shape != (len(ids), len(ids)):
        raise DataError(f"RDM of shape {values.shape} does not match {len(ids)} stimulus ids")
    if len(set(ids.tolist())) != len(ids):
        raise DataError("stimulus ids of an RDM must be unique")
    return xr.DataArray(
        values, dims=RDM_DIMS, coords={RDM_DIMS[0]: ids, RDM_DIMS[1]: ids}, attrs=attrs
    )


def _labels_to_index(labels: Any, what: str, n: int) -> tuple[torch.Tensor, np.ndarray]:
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise DataError(f"{what} must have one label per trial ({n}), got shape {arr.shape}")
    values, inverse = np.unique(arr, return_inverse=True)
    return torch.as_tensor(inverse, dtype=torch.long), values


def compute_rdm(
    X: Any,
    method: str = "correlation",
    *,
    condensed: bool = False,
    stimuli: Any = None,
    runs: Any = None,
    noise: Any = None,
    stimulus_coord: str = "stimulus_id",
    run_coord: str = "run",
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
) -> Any:
    """RDM of the stimulus patterns ``X``; the measure is one of :data:`RDM_METHODS`.

    Args:
        X: patterns ``(n_stimuli, n_features)``, or ``(..., n_stimuli, n_features)`` batched
            (numpy or torch), or a DataArray ``presentation x neuroid`` whose ``stimulus_id``
            coordinate names the stimuli (ids must be unique, except for ``crossnobis``, where
            rows are single trials).
        method: ``correlation`` (default), ``euclidean`` (squared, divided by the number of
            features, as rsatoolbox), ``cosine`` or ``crossnobis`` (see the module docstring).
        condensed: return the condensed upper triangle ``(..., P)`` instead of ``(..., n, n)``.
        stimuli, runs: for ``crossnobis`` with array input, the stimulus label and the run /
            fold label of each trial row. With DataArray input they come from the
            ``stimulus_coord`` and ``run_coord`` coordinates. Every stimulus needs at least one
            trial in every run; the RDM rows follow the sorted unique stimulus labels.
        noise: ``crossnobis`` only: noise precision matrix ``(n_features, n_features)``
            (e.g. the inverse of a shrunk residual covariance); identity when ``None``.
        device, dtype: where and in which precision to compute (default: the input tensor's
            device or CPU; float64).

    Returns:
        numpy in -> numpy out, torch -> torch, DataArray -> DataArray with dims
        :data:`RDM_DIMS` (square; ``condensed`` is ignored) and ``attrs['method']``.
    """
    if method not in RDM_METHODS:
        raise ValueError(f"unknown RDM method {method!r}; choose one of {RDM_METHODS}")
    as_xarray = _is_dataarray(X)
    as_torch = isinstance(X, torch.Tensor)
    ids: np.ndarray | None = None
    if as_xarray:
        values, _ = _presentation_matrix(X)
        labels = _presentation_coord(X, stimulus_coord)
        if method == "crossnobis":
            stimuli = labels
            runs = _presentation_coord(X, run_coord)
        else:
            ids = labels.astype(str)
            uniq, counts = np.unique(ids, return_counts=True)
            if (counts > 1).any():
                raise DataError(
                    f"{int((counts > 1).sum())} stimulus ids occur more than once (e.g. "
                    f"{uniq[counts > 1][:3].tolist()}); average repeats first, or use "
                    "method='crossnobis' for single trials"
                )
        x = torch.as_tensor(values)
    elif as_torch:
        x = X
    else:
        x = torch.as_tensor(np.ascontiguousarray(X))  # torch rejects negative strides
    if x.ndim < 2:
        raise DataError(f"patterns must be (n_stimuli, n_features), got shape {tuple(x.shape)}")
    if device is None:
        device = x.device
    x = x.to(device=device, dtype=dtype)

    if method == "crossnobis":
        _check_finite(x, "patterns")
        if x.ndim != 2:
            raise DataError("crossnobis takes 2-D trial data (n_trials, n_features)")
        if stimuli is None or runs is None:
            raise DataError(
                "crossnobis needs single trials with a stimulus label and a run (fold) label "
                "per row: pass stimuli=... and runs=..., or a DataArray with "
                f"'{stimulus_coord}' and '{run_coord}' coordinates"
            )
        stim_index, stim_values = _labels_to_index(stimuli, "stimuli", x.shape[0])
        run_index, run_values = _labels_to_index(runs, "runs", x.shape[0])
        if len(run_values) < 2:
            raise DataError("crossnobis needs at least two runs (folds)")
        n_stim, n_runs = len(stim_values), len(run_values)
        cell_counts = np.bincount(
            stim_index.numpy() * n_runs + run_index.numpy(), minlength=n_stim * n_runs
        ).reshape(n_stim, n_runs)
        missing = np.argwhere(cell_counts == 0)
        if len(missing):
            examples = [(str(stim_values[i]), str(run_values[j])) for i, j in missing[:3]]
            raise DataError(
                f"crossnobis needs every stimulus in every run; {len(missing)} (stimulus, run) "
                f"cells have no trial, e.g. {examples}"
            )
        prec = None
        if noise is not None:
            prec = torch.as_tensor(
                np.asarray(noise) if not isinstance(noise, torch.Tensor) else noise
            ).to(device=device, dtype=dtype)
            if prec.shape != (x.shape[1], x.shape[1]):
                raise DataError(
                    f"noise precision must be (n_features, n_features) = "
                    f"{(x.shape[1], x.shape[1])}, got {tuple(prec.shape)}"
                )
        rdm = _crossnobis(x, stim_index.to(device), n_stim, run_index.to(device), n_runs, prec)
        ids = stim_values.astype(str)
    else:
        if noise is not None:
            raise ValueError("noise is only used by method='crossnobis'")
        if x.shape[-2] < 2:
            raise DataError(f"an RDM needs at least 2 stimuli, got {x.shape[-2]}")
        measure = {"correlation": _correlation, "euclidean": _euclidean, "cosine": _cosine}
        on_cpu = x.device.type == "cpu"  # numpy there: syrk, and no thread start-up per call
        rdm = measure[method](x.detach().numpy() if on_cpu else x)
    rdm = _zero_diagonal(rdm)

    if as_xarray:
        return rdm_dataarray(rdm, ids, method=method, n_features=int(x.shape[-1]))
    out = square_to_condensed(rdm) if condensed else rdm
    if as_torch:
        return torch.from_numpy(out) if isinstance(out, np.ndarray) else out
    return out if isinstance(out, np.ndarray) else out.cpu().numpy()
