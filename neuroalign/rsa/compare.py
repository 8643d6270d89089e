"""Comparing RDMs: rank and linear correlations of their upper triangles.

Kriegeskorte, Mur & Bandettini 2008 compare RDMs by correlating their dissimilarities over
stimulus pairs (the upper triangle; the diagonal is zero by construction). Nili et al. 2014
("A toolbox for representational similarity analysis", PLoS Comput. Biol.) recommend Kendall's
tau-a when a model predicts tied dissimilarities. Definitions follow rsatoolbox
(``rsatoolbox.rdm.compare``):

============ ===================================================================================
``spearman`` Pearson r of the tie-averaged ranks (rsatoolbox ``spearman``).
``tau_a``    Kendall tau-a: (concordant - discordant pairs) / (P (P - 1) / 2), ties count in the
             denominator only (rsatoolbox ``tau-a``).
``pearson``  Pearson r of the dissimilarities (rsatoolbox ``corr``).
``cosine``   cosine of the angle between the dissimilarity vectors (rsatoolbox ``cosine``).
============ ===================================================================================

Entries that are NaN in any compared RDM are left out (as rsatoolbox does). A comparison that is
undefined (a constant RDM for the correlations, an all-zero RDM for cosine) is NaN.

The engine (:func:`weighted_similarity`) takes a weight per stimulus pair: an integer weight
``w`` counts the pair ``w`` times, exactly as if the dissimilarity were repeated ``w`` times in
the vectors. The bootstrap over stimuli (:mod:`neuroalign.rsa.inference`) uses it so that a
resample of stimuli needs no copy of the RDMs; plain comparisons use weight 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError
from neuroalign.rsa.rdm import RDM_DIMS, _is_dataarray, n_stimuli_from_condensed

__all__ = [
    "COMPARE_METHODS",
    "RSATOOLBOX_NAMES",
    "align_rdms",
    "compare_rdms",
    "rdm_stack",
    "weighted_similarity",
]

#: RDM comparison methods accepted by :func:`compare_rdms`.
COMPARE_METHODS: tuple[str, ...] = ("spearman", "tau_a", "pearson", "cosine")

#: The same methods under rsatoolbox's names (``rsatoolbox.rdm.compare(method=...)``).
RSATOOLBOX_NAMES: dict[str, str] = {
    "spearman": "spearman",
    "tau_a": "tau-a",
    "pearson": "corr",
    "cosine": "cosine",
}


def _check_method(method: str) -> None:
    if method not in COMPARE_METHODS:
        raise ValueError(
            f"unknown RDM comparison method {method!r}; choose one of {COMPARE_METHODS}"
        )


# --------------------------------------------------------------------------------------------
# inputs -> stacks of condensed vectors
# --------------------------------------------------------------------------------------------
def _rdm_ids(rdm: Any) -> np.ndarray:
    if tuple(rdm.dims) != RDM_DIMS:
        raise DataError(f"an RDM DataArray has dims {RDM_DIMS}, got {tuple(rdm.dims)}")
    ids_i = np.asarray(rdm[RDM_DIMS[0]].values).astype(str)
    ids_j = np.asarray(rdm[RDM_DIMS[1]].values).astype(str)
    if not np.array_equal(ids_i, ids_j):
        raise DataError("an RDM DataArray must have the same stimulus ids on both dims")
    return ids_i


def align_rdms(a: Any, b: Any) -> tuple[Any, Any]:
    """Reorder RDM DataArray ``b`` to ``a``'s stimulus order; error if their stimulus ids differ.

    Both are DataArrays with dims :data:`neuroalign.rsa.rdm.RDM_DIMS`. Returns ``(a, b)``.
    """
    ids_a, ids_b = _rdm_ids(a), _rdm_ids(b)
    if np.array_equal(ids_a, ids_b):
        return a, b
    only_a = np.setdiff1d(ids_a, ids_b)
    only_b = np.setdiff1d(ids_b, ids_a)
    if len(only_a) or len(only_b):
        raise DataError(
            f"the two RDMs are over different stimuli: {len(only_a)} stimulus ids only in the "
            f"first (e.g. {only_a[:3].tolist()}), {len(only_b)} only in the second "
            f"(e.g. {only_b[:3].tolist()})"
        )
    b = b.sel({RDM_DIMS[0]: ids_a, RDM_DIMS[1]: ids_a})
    return a, b


def _looks_square(arr: torch.Tensor) -> bool:
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        return False
    finite = torch.nan_to_num(arr)
    return bool(torch.allclose(finite, finite.T, rtol=1e-6, atol=1e-9))


def rdm_stack(rdms: Any, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, bool]:
    """Condensed vectors ``(k, P)`` of one or several RDMs, and whether a single RDM was given.

    Accepts a condensed vector ``(P,)``; a square RDM ``(n, n)`` (symmetric); a stack of square
    RDMs ``(k, n, n)``; a stack of condensed vectors ``(k, P)`` (any 2-D array that is not a
    symmetric square); a DataArray RDM; or a list of any of these (numpy or torch).
    """
    if (
        isinstance(rdms, Sequence)
        and not isinstance(rdms, str | bytes)
        and not hasattr(rdms, "shape")
    ):
        parts = [rdm_stack(r, dtype)[0] for r in rdms]
        if not parts:
            raise DataError("an empty list of RDMs was given")
        lengths = {p.shape[1] for p in parts}
        if len(lengths) > 1:
            raise DataError(f"RDMs of different sizes cannot be stacked (lengths {lengths})")
        return torch.cat(parts), False
    if _is_dataarray(rdms):
        _rdm_ids(rdms)
        rdms = np.asarray(rdms.values)
    x = rdms if isinstance(rdms, torch.Tensor) else torch.as_tensor(np.asarray(rdms))
    x = x.to(dtype)
    if x.ndim == 1:
        n_stimuli_from_condensed(x.shape[0])
        return x[None], True
    if x.ndim == 2 and _looks_square(x):
        rows, cols = torch.triu_indices(x.shape[0], x.shape[0], offset=1, device=x.device)
        return x[rows, cols][None], True
    if x.ndim == 2:
        n_stimuli_from_condensed(x.shape[1])
        return x, False
    if x.ndim == 3 and x.shape[1] == x.shape[2]:
        rows, cols = torch.triu_indices(x.shape[1], x.shape[1], offset=1, device=x.device)
        return x[:, rows, cols], False
    raise DataError(
        f"cannot read RDMs of shape {tuple(x.shape)}: expected (P,), (n, n), (k, P) or (k, n, n)"
    )


# --------------------------------------------------------------------------------------------
# weighted similarity engine (torch, batched)
# --------------------------------------------------------------------------------------------
def _take(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values[:, index]`` for ``values`` ``(B, m)`` and ``index`` ``(P,)`` (numpy's ``take`` on
    CPU, about 2-3x faster there than torch's gather; torch elsewhere)."""
    if values.device.type == "cpu":
        out = np.take(values.numpy(), index.numpy(), axis=1)
        return torch.from_numpy(out)
    return values.gather(1, index.expand(values.shape[0], -1))


class _SortedVector:
    """Sort order and tie groups of one dissimilarity vector ``(P,)``, reused for every weighting.

    Ranks under pair weights come from a cumulative sum in sorted order: a tie group of total
    weight ``g`` preceded by total weight ``W`` gets the rank ``W + (g + 1) / 2`` (the mean rank
    of its ``g`` copies), exactly what ranking the vector with each entry repeated would give.
    """

    def __init__(self, x: torch.Tensor) -> None:
        n_pairs = len(x)
        self.perm = torch.argsort(x, stable=True)
        self.inverse = torch.empty_like(self.perm)
        self.inverse[self.perm] = torch.arange(n_pairs, device=x.device)
        _, group, counts = torch.unique_consecutive(
            x[self.perm], return_inverse=True, return_counts=True
        )
        self.has_ties = len(counts) < n_pairs
        if self.has_ties:  # first and last sorted position of each entry's tie group
            ends = torch.cumsum(counts, 0)
            self.first = (ends - counts)[group]
            self.last = (ends - 1)[group]
        self._pairs: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def sorted_pairs(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Row and column stimulus index ``(P,)`` of each pair, in sorted order."""
        if n not in self._pairs:
            rows, cols = torch.triu_indices(n, n, offset=1, device=self.perm.device)
            self._pairs[n] = (rows[self.perm], cols[self.perm])
        return self._pairs[n]

    def centred_ranks(self, w_sorted: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
        """Ranks minus their weighted mean ``(W + 1) / 2`` (``W = sum(w)``), ``(B, P)`` in sorted
        order, from weights ``w_sorted`` ``(B, P)`` given in sorted order."""
        cum = torch.cumsum(w_sorted, dim=1)
        if not self.has_ties:
            ranks = cum.sub_(w_sorted, alpha=0.5)
        else:
            ranks = _take(cum, self.last)
            ranks += _take(cum, self.first)
            ranks -= _take(w_sorted, self.first)
            ranks.mul_(0.5)
        return ranks.sub_(total[:, None] / 2.0)  # ranks - 1/2 have mean W / 2

    def unsort(self, x: torch.Tensor) -> torch.Tensor:
        """Values ``(B, P)`` in sorted order back to the original pair order."""
        return _take(x, self.inverse)

    def weights_sorted(self, w: torch.Tensor) -> torch.Tensor:
        return _take(w, self.perm)


def _tau_a_counts(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall tau-a of two vectors via scipy's tau-b and the tie counts (O(P log P))."""
    from scipy.stats import kendalltau

    n = len(x)
    total = n * (n - 1) / 2.0

    def tied_pairs(v: np.ndarray) -> float:
        _, counts = np.unique(v, return_counts=True)
        return float((counts * (counts - 1) / 2.0).sum())

    free_x, free_y = total - tied_pairs(x), total - tied_pairs(y)
    if total == 0:
        return float("nan")
    if free_x == 0 or free_y == 0:
        return 0.0  # one vector constant: no concordant or discordant pair
    tau_b = kendalltau(x, y, variant="b").statistic
    return float(np.clip(tau_b * np.sqrt(free_x * free_y) / total, -1.0, 1.0))


def _tau_a(u: torch.Tensor, v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Tau-a ``(B, K_u, K_v)`` with integer pair weights ``w`` ``(B, P)`` (repeats expanded)."""
    u_np, v_np, w_np = u.cpu().numpy(), v.cpu().numpy(), w.cpu().numpy()
    if not np.allclose(w_np, np.round(w_np)):
        raise ValueError("tau_a supports integer pair weights only")
    w_int = np.round(w_np).astype(np.int64)
    out = np.empty((w_int.shape[0], u.shape[0], v.shape[0]))
    for b in range(w_int.shape[0]):
        for i in range(u.shape[0]):
            x = np.repeat(u_np[i], w_int[b])
            for j in range(v.shape[0]):
                out[b, i, j] = _tau_a_counts(x, np.repeat(v_np[j], w_int[b]))
    return torch.as_tensor(out, dtype=u.dtype, device=u.device)


def _pair_products(values: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """``values[:, rows] * values[:, cols]`` ``(B, P)`` for per-stimulus values ``(B, n)``."""
    return _take(values, rows).mul_(_take(values, cols))


def _spearman_moments(
    u: torch.Tensor,
    v: torch.Tensor,
    w: torch.Tensor,
    counts: torch.Tensor | None,
    pair_mask: torch.Tensor | None,
    sorted_u: list[Any] | None,
    sorted_v: list[Any] | None,
) -> tuple[torch.Tensor, ...]:
    """Weighted co-moments of the centred ranks: ``(B, K_u, K_v)``, ``(B, K_u)``, ``(B, K_v)``,
    and a scale of the variances ``(B, 1)``, ``(B, 1)`` (to detect constant vectors)."""
    n = n_stimuli_from_condensed(u.shape[-1]) if counts is not None else 0
    total = w.sum(1)  # (B,)

    def ranks(x: torch.Tensor, cache: list[Any] | None) -> tuple[list, torch.Tensor]:
        out, second = [], []
        for s in cache or [_SortedVector(r) for r in x]:
            if counts is not None:  # weights straight from the stimulus counts, sorted
                ws = _pair_products(counts, *s.sorted_pairs(n))
                if pair_mask is not None:
                    ws = ws * pair_mask[s.perm]
            else:
                ws = s.weights_sorted(w)
            r = s.centred_ranks(ws, total)
            second.append(_rowdot(ws * r, r))  # order-free: computed in sorted order
            out.append(s.unsort(r))
        return out, torch.stack(second, 1)

    U, var_u = ranks(u, sorted_u)
    V, var_v = ranks(v, sorted_v)
    num = torch.stack([torch.stack([_rowdot(r * w, q) for q in V], -1) for r in U], 1)
    scale = (total.double() ** 3 / 12.0)[:, None]  # the variance of W untied ranks, about
    return num, var_u, var_v, scale, scale


def _rowdot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise dot products ``(B,)`` of ``(B, P)`` arrays, accumulated in float64.

    float64 inputs: one BLAS pass. float32 inputs: products summed by torch's cascade summation
    into float64 (a BLAS float32 dot over ~1e6 terms loses ~1e-5 relative accuracy).
    """
    if a.dtype == torch.float64:
        return torch.bmm(a.unsqueeze(1), b.unsqueeze(2)).reshape(-1)
    return (a * b).sum(1, dtype=torch.float64)


def weighted_similarity(
    u: torch.Tensor,
    v: torch.Tensor,
    weights: torch.Tensor | None = None,
    method: str = "spearman",
    *,
    counts: torch.Tensor | None = None,
    pair_mask: torch.Tensor | None = None,
    sorted_u: list[Any] | None = None,
    sorted_v: list[Any] | None = None,
) -> torch.Tensor:
    """Similarity of every RDM in ``u`` with every RDM in ``v`` under each pair weighting.

    Args:
        u: condensed RDMs ``(K_u, P)``; v: condensed RDMs ``(K_v, P)`` (finite values).
        weights: ``(B, P)`` non-negative pair weights (integer multiplicities for ``spearman``
            and ``tau_a``); ``None`` = one weighting of all ones.
        method: one of :data:`COMPARE_METHODS`.
        counts: instead of ``weights``, stimulus multiplicities ``(B, n)`` of resamples; the
            weight of pair ``(k, l)`` is ``counts[k] * counts[l]`` (the bootstrap's weights,
            computed without gathering a ``(B, P)`` array per RDM).
        pair_mask: optional ``(P,)`` 0/1 factor on every weight (e.g. to leave out NaN pairs).
        sorted_u, sorted_v: optional cached sort orders (internal, for the bootstrap).

    Returns:
        ``(B, K_u, K_v)``; NaN where the similarity is undefined.
    """
    _check_method(method)
    n_pairs = u.shape[-1]
    if v.shape[-1] != n_pairs:
        raise DataError(f"RDMs of different sizes: {n_pairs} vs {v.shape[-1]} pairs")
    if counts is not None:
        n = n_stimuli_from_condensed(n_pairs)
        rows, cols = torch.triu_indices(n, n, offset=1, device=u.device)
        w = _pair_products(counts, rows, cols)
    elif weights is not None:
        w = weights
    else:
        w = u.new_ones((1, n_pairs))
    if pair_mask is not None:
        w = w * pair_mask
    if method == "tau_a":
        return _tau_a(u, v, w)
    if method == "spearman":
        num, var_u, var_v, raw_u, raw_v = _spearman_moments(
            u, v, w, counts, pair_mask, sorted_u, sorted_v
        )
    else:  # weighted sums of u, v and their products are matrix-vector products with w
        total = w.sum(1)[:, None]  # (B, 1)
        cross = (u[:, None, :] * v[None, :, :]).reshape(-1, n_pairs)
        num = (w @ cross.T).reshape(-1, u.shape[0], v.shape[0])
        var_u, var_v = w @ (u * u).T, w @ (v * v).T  # (B, K_u), (B, K_v)
        raw_u, raw_v = var_u, var_v
        if method == "pearson":
            sum_u, sum_v = w @ u.T, w @ v.T
            num = num - sum_u[:, :, None] * sum_v[:, None, :] / total[:, :, None]
            var_u = var_u - sum_u**2 / total
            var_v = var_v - sum_v**2 / total
    # a constant (pearson, spearman) or zero (cosine) vector: the similarity is undefined
    const_u, const_v = var_u <= 1e-10 * raw_u, var_v <= 1e-10 * raw_v
    tiny = const_u[:, :, None] | const_v[:, None, :]
    den = var_u.clamp_min(0).sqrt()[:, :, None] * var_v.clamp_min(0).sqrt()[:, None, :]
    out = num / torch.where(tiny, torch.ones_like(den), den)
    out = out.clamp(-1.0, 1.0)
    return torch.where(tiny, torch.full_like(out, float("nan")), out)


# --------------------------------------------------------------------------------------------
# public comparison
# --------------------------------------------------------------------------------------------
def compare_rdms(
    a: Any,
    b: Any,
    method: str = "spearman",
    *,
    device: str | torch.device | None = None,
) -> Any:
    """Compare RDMs on their upper triangles (Kriegeskorte et al. 2008; Nili et al. 2014).

    Args:
        a, b: one RDM each (square ``(n, n)``, condensed ``(P,)`` or an RDM DataArray) or stacks
            of RDMs (``(k, n, n)``, ``(k, P)``, a list, or a dict name -> RDM). Two DataArrays
            are aligned by stimulus id first (an error names how many ids differ).
        method: ``spearman`` (default), ``tau_a``, ``pearson`` or ``cosine``.
        device: where to compute (default CPU).

    Returns:
        a float when ``a`` and ``b`` are single RDMs, else a numpy array ``(k_a, k_b)`` of every
        pair (a single RDM counts as a stack of one).
    """
    _check_method(method)
    if isinstance(a, Mapping):
        a = list(a.values())
    if isinstance(b, Mapping):
        b = list(b.values())
    if _is_dataarray(a) and _is_dataarray(b):
        a, b = align_rdms(a, b)
    u, single_a = rdm_stack(a)
    v, single_b = rdm_stack(b)
    if u.shape[1] != v.shape[1]:
        raise DataError(
            f"RDMs over different numbers of stimuli: {n_stimuli_from_condensed(u.shape[1])} vs "
            f"{n_stimuli_from_condensed(v.shape[1])}"
        )
    u, v = u.to(device or "cpu"), v.to(device or "cpu")
    keep = torch.isfinite(u).all(0) & torch.isfinite(v).all(0)
    mask = None
    if not keep.all():  # NaN pairs get weight 0
        mask = keep.to(u.dtype)
        u, v = torch.nan_to_num(u), torch.nan_to_num(v)
    sim = weighted_similarity(u, v, None, method, pair_mask=mask)[0].cpu().numpy()
    if single_a and single_b:
        return float(sim[0, 0])
    return sim
