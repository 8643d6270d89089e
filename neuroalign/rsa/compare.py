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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError
from neuroalign.rsa.rdm import RDM_DIMS, _is_dataarray, _triu_mask, n_stimuli_from_condensed

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


def _condensed_float64(x: Any) -> bool:
    """A float64 numpy condensed RDM ``(P,)`` or stack ``(k, P)`` (never a square ``(n, n)``)."""
    return (
        isinstance(x, np.ndarray)
        and x.dtype == np.float64
        and (x.ndim == 1 or (x.ndim == 2 and x.shape[0] != x.shape[1]))
    )


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
# weighted similarity engine (batched; numpy arrays on the CPU, torch tensors on other devices)
# --------------------------------------------------------------------------------------------
def _is_numpy(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def engine_arrays(*xs: torch.Tensor) -> tuple[Any, ...]:
    """The engine's arrays for tensors: numpy views on the CPU (numpy's SIMD sort and
    single-threaded passes are faster there than torch's, and start no thread pool), the
    tensors themselves elsewhere."""
    return tuple(x.numpy() if x.device.type == "cpu" else x for x in xs)


def mask_nan_pairs(u: Any, v: Any) -> tuple[Any | None, Any, Any]:
    """Pairs that are NaN in any RDM of ``u`` ``(K_u, P)`` or ``v`` ``(K_v, P)`` get weight 0:
    ``(0/1 mask (P,) or None if all finite, u, v with NaN replaced by 0)``."""
    if _is_numpy(u):
        if np.isfinite(u.sum()) and np.isfinite(v.sum()):  # one pass, no temporaries
            return None, u, v
        keep = np.isfinite(u).all(0) & np.isfinite(v).all(0)
        if keep.all():
            return None, u, v
        return keep.astype(u.dtype), np.nan_to_num(u), np.nan_to_num(v)
    keep = torch.isfinite(u).all(0) & torch.isfinite(v).all(0)
    if bool(keep.all()):
        return None, u, v
    return keep.to(u.dtype), torch.nan_to_num(u), torch.nan_to_num(v)


def _take(values: Any, index: Any) -> Any:
    """``values[:, index]`` for ``values`` ``(B, m)`` and ``index`` ``(P,)``."""
    if _is_numpy(values):
        return np.take(values, index, axis=1)
    return values.gather(1, index.expand(values.shape[0], -1))


def _cumsum(x: Any) -> Any:
    """Cumulative sums along the rows of ``(B, P)`` (torch's kernel also for numpy arrays: it
    vectorises the scan, numpy's does not, ~3x faster; zero-copy views both ways)."""
    if _is_numpy(x):
        return torch.from_numpy(x).cumsum(1).numpy()
    return x.cumsum(1)


def _arange(n: int, like: Any) -> Any:
    return np.arange(n) if _is_numpy(like) else torch.arange(n, device=like.device)


def _stack(arrays: list[Any], axis: int) -> Any:
    return np.stack(arrays, axis) if _is_numpy(arrays[0]) else torch.stack(arrays, axis)


def _where(cond: Any, a: Any, b: Any) -> Any:
    return np.where(cond, a, b) if _is_numpy(cond) else torch.where(cond, a, b)


def _triu_pairs(n: int, like: Any) -> tuple[Any, Any]:
    """Row and column stimulus index ``(P,)`` of every pair, in condensed (row-major) order."""
    if _is_numpy(like):
        return np.nonzero(_triu_mask(n))
    rows, cols = torch.triu_indices(n, n, offset=1, device=like.device)
    return rows, cols


class _SortedVector:
    """Sort order and tie groups of one dissimilarity vector ``(P,)``, reused for every weighting.

    Ranks under pair weights come from a cumulative sum in sorted order: a tie group of total
    weight ``g`` preceded by total weight ``W`` gets the rank ``W + (g + 1) / 2`` (the mean rank
    of its ``g`` copies), exactly what ranking the vector with each entry repeated would give.
    The order inside a tie group does not matter, so the sort need not be stable (numpy's
    default sort uses the CPU's SIMD units).
    """

    def __init__(self, x: Any) -> None:
        n_pairs = len(x)
        self.perm = np.argsort(x) if _is_numpy(x) else torch.argsort(x)
        self._inverse: Any = None
        xs = x[self.perm]
        starts = xs[1:] != xs[:-1]  # a new tie group starts at position i + 1
        self.has_ties = not bool(starts.all())
        if self.has_ties:  # first and last sorted position of each entry's tie group
            group = starts.cumsum(0)  # group index of positions 1..P-1 (position 0: group 0)
            if _is_numpy(x):
                first_pos = np.concatenate([[0], np.flatnonzero(starts) + 1])
                group = np.concatenate([[0], group])
                last_pos = np.concatenate([first_pos[1:], [n_pairs]]) - 1
            else:
                after = torch.nonzero(starts).flatten() + 1
                first_pos = torch.cat([after.new_zeros(1), after])
                group = torch.cat([group.new_zeros(1), group])
                last_pos = torch.cat([first_pos[1:], first_pos.new_tensor([n_pairs])]) - 1
            self.first = first_pos[group]
            self.last = last_pos[group]
        self._pairs: dict[int, tuple[Any, Any]] = {}

    def sorted_pairs(self, n: int) -> tuple[Any, Any]:
        """Row and column stimulus index ``(P,)`` of each pair, in sorted order."""
        if n not in self._pairs:
            rows, cols = _triu_pairs(n, self.perm)
            self._pairs[n] = (rows[self.perm], cols[self.perm])
        return self._pairs[n]

    def centred_ranks(self, w_sorted: Any, total: Any) -> Any:
        """Ranks minus their weighted mean ``(W + 1) / 2`` (``W = sum(w)``), ``(B, P)`` in sorted
        order, from weights ``w_sorted`` ``(B, P)`` given in sorted order."""
        cum = _cumsum(w_sorted)
        if not self.has_ties:
            cum -= 0.5 * w_sorted
            ranks = cum
        else:
            ranks = _take(cum, self.last)
            ranks += _take(cum, self.first)
            ranks -= _take(w_sorted, self.first)
            ranks *= 0.5
        ranks -= total[:, None] / 2.0  # ranks - 1/2 have mean W / 2
        return ranks

    @property
    def inverse(self) -> Any:
        """Sorted position ``(P,)`` of each entry (the inverse permutation)."""
        if self._inverse is None:
            self._inverse = self.perm * 0
            self._inverse[self.perm] = _arange(len(self.perm), self.perm)
        return self._inverse

    def plain_ranks(self) -> Any:
        """Tie-averaged ranks minus their mean ``(P,)`` in the original order, all weights 1
        (the mean position ``(first + last) / 2`` of each entry's tie group)."""
        n_pairs = len(self.perm)
        if self.has_ties:
            ranks_sorted = (self.first + self.last) / 2.0 - (n_pairs - 1) / 2.0
        else:
            ranks_sorted = _arange(n_pairs, self.perm) - (n_pairs - 1) / 2.0
        ranks = ranks_sorted * 0
        ranks[self.perm] = ranks_sorted
        return ranks

    def unsort(self, x: Any) -> Any:
        """Values ``(B, P)`` in sorted order back to the original pair order."""
        return _take(x, self.inverse)

    def weights_sorted(self, w: Any) -> Any:
        return _take(w, self.perm)


#: Vectors at least this long are ranked on ``torch.get_num_threads()`` threads, one vector
#: each (numpy releases the GIL while it sorts); shorter ones are not worth a thread pool.
PARALLEL_RANK_PAIRS = 50_000


def _plain_ranks(x: np.ndarray) -> np.ndarray:
    """Tie-averaged ranks minus their mean, ``(K, P)``, of every row of ``x`` ``(K, P)`` (numpy).

    Each row costs one sort, one gather and one scatter. A row with ties (the usual case for
    pooled rank sums, rare for real-valued dissimilarities) gives each tie group the mean of its
    sorted positions, ``(first + last) / 2``, spread over the group by ``np.repeat``. This is the
    whole cost of a plain Spearman comparison, so it is kept to a few array calls per row, and
    long rows are ranked in parallel (see :data:`PARALLEL_RANK_PAIRS`).
    """
    n_pairs = x.shape[1]
    centre = (n_pairs - 1) / 2.0
    centred = np.arange(n_pairs) - centre
    ranks = np.empty(x.shape)

    def rank_row(i: int) -> None:
        perm = np.argsort(x[i])
        xs = x[i][perm]
        new_group = xs[1:] != xs[:-1]
        if new_group.all():
            ranks[i, perm] = centred
        else:
            bounds = np.concatenate([[0], np.flatnonzero(new_group) + 1, [n_pairs]])
            mean_position = (bounds[:-1] + bounds[1:] - 1) / 2.0 - centre
            ranks[i, perm] = np.repeat(mean_position, np.diff(bounds))

    workers = min(len(x), torch.get_num_threads())
    if workers > 1 and n_pairs >= PARALLEL_RANK_PAIRS:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(rank_row, range(len(x))))
    else:
        for i in range(len(x)):
            rank_row(i)
    return ranks


def _plain_spearman(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Spearman correlation ``(K_u, K_v)`` of every row of ``u`` with every row of ``v``
    (numpy, finite values, all weights 1): the Pearson r of the tie-averaged ranks, NaN where
    a row is constant. The one-off comparison's path, without the weighting machinery."""
    if u.shape[1] >= PARALLEL_RANK_PAIRS:  # all rows in one thread pool: no thread waits
        ranks = _plain_ranks(np.concatenate([u, v]))
        return _rank_pearson(ranks[: len(u)], ranks[len(u) :])
    return _rank_pearson(_plain_ranks(u), _plain_ranks(v))


def _rank_pearson(ranks_u: np.ndarray, ranks_v: np.ndarray) -> np.ndarray:
    """Pearson r ``(K_u, K_v)`` of centred rank rows ``(K_u, P)`` and ``(K_v, P)`` (from
    :func:`_plain_ranks`), NaN where a row is constant."""
    # one BLAS dot per row (several partial sums): einsum("ij,ij->i") sums a row in one
    # accumulator, which rounds once the sum of squares passes 2**53 (P > ~440k pairs)
    ss_u = np.array([row @ row for row in ranks_u])
    ss_v = np.array([row @ row for row in ranks_v])
    den = np.sqrt(np.multiply.outer(ss_u, ss_v))
    n_pairs = ranks_u.shape[1]
    scale = n_pairs**3 / 12.0  # the sum of squares of untied centred ranks
    constant = (ss_u[:, None] <= 1e-10 * scale) | (ss_v[None, :] <= 1e-10 * scale)
    out = (ranks_u @ ranks_v.T) / np.where(constant, 1.0, den)
    return np.where(constant, np.nan, out.clip(-1.0, 1.0))


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


def _to_numpy(x: Any) -> np.ndarray:
    return x if _is_numpy(x) else x.cpu().numpy()


def _tau_a(u: Any, v: Any, w: Any) -> Any:
    """Tau-a ``(B, K_u, K_v)`` with integer pair weights ``w`` ``(B, P)`` (repeats expanded)."""
    u_np, v_np, w_np = _to_numpy(u), _to_numpy(v), _to_numpy(w)
    if not np.allclose(w_np, np.round(w_np)):
        raise ValueError("tau_a supports integer pair weights only")
    w_int = np.round(w_np).astype(np.int64)
    out = np.empty((w_int.shape[0], u.shape[0], v.shape[0]))
    for b in range(w_int.shape[0]):
        for i in range(u.shape[0]):
            x = np.repeat(u_np[i], w_int[b])
            for j in range(v.shape[0]):
                out[b, i, j] = _tau_a_counts(x, np.repeat(v_np[j], w_int[b]))
    return out.astype(u_np.dtype) if _is_numpy(u) else torch.as_tensor(out).to(u)


def _pair_products(values: Any, rows: Any, cols: Any) -> Any:
    """``values[:, rows] * values[:, cols]`` ``(B, P)`` for per-stimulus values ``(B, n)``."""
    out = _take(values, rows)
    out *= _take(values, cols)
    return out


def _rowdot(a: Any, b: Any) -> Any:
    """Row-wise dot products ``(B,)`` of ``(B, P)`` arrays, accumulated in float64.

    A float32 BLAS dot over ~1e6 terms loses ~1e-5 relative accuracy, so float32 products are
    summed in float64 (numpy: ``einsum`` with a float64 accumulator; torch: cascade summation).
    """
    if _is_numpy(a):
        if a.dtype == np.float64:
            return np.einsum("ij,ij->i", a, b)
        return np.einsum("ij,ij->i", a, b, dtype=np.float64)
    if a.dtype == torch.float64:
        return torch.bmm(a.unsqueeze(1), b.unsqueeze(2)).reshape(-1)
    return (a * b).sum(1, dtype=torch.float64)


def _spearman_moments(
    u: Any,
    v: Any,
    w: Any | None,
    total: Any,
    counts: Any | None,
    pair_mask: Any | None,
    sorted_u: list[Any] | None,
    sorted_v: list[Any] | None,
) -> tuple[Any, Any, Any]:
    """Weighted co-moments of the centred ranks ``(B, K_u, K_v)`` and the weighted variances
    ``(B, K_u)``, ``(B, K_v)``.

    Every RDM's ranks are computed in its own sort order; the co-moment of a model and a data
    RDM is the dot product of (weight x model rank) and (data rank) after both are put back in
    the original pair order (one random-access pass each).
    """
    n = n_stimuli_from_condensed(u.shape[-1]) if counts is not None else 0

    def ranks(x: Any, cache: list[Any] | None, weighted: bool) -> tuple[list[Any], Any]:
        out, second = [], []
        for s in cache or [_SortedVector(r) for r in x]:
            if counts is not None:  # weights straight from the stimulus counts, sorted
                ws = _pair_products(counts, *s.sorted_pairs(n))
                if pair_mask is not None:
                    ws *= pair_mask[s.perm]
            else:
                ws = s.weights_sorted(w)
            r = s.centred_ranks(ws, total)
            ws *= r  # weight x rank
            second.append(_rowdot(ws, r))  # order-free: computed in sorted order
            out.append(s.unsort(ws if weighted else r))
        return out, _stack(second, 1)

    WU, var_u = ranks(u, sorted_u, weighted=True)
    V, var_v = ranks(v, sorted_v, weighted=False)
    num = _stack([_stack([_rowdot(wr, q) for q in V], -1) for wr in WU], 1)
    return num, var_u, var_v


def weighted_similarity(
    u: Any,
    v: Any,
    weights: Any | None = None,
    method: str = "spearman",
    *,
    counts: Any | None = None,
    pair_mask: Any | None = None,
    sorted_u: list[Any] | None = None,
    sorted_v: list[Any] | None = None,
) -> Any:
    """Similarity of every RDM in ``u`` with every RDM in ``v`` under each pair weighting.

    Args:
        u: condensed RDMs ``(K_u, P)``; v: condensed RDMs ``(K_v, P)`` (finite values); numpy
            arrays (CPU) or torch tensors (any device), all arguments of one kind.
        weights: ``(B, P)`` non-negative pair weights (integer multiplicities for ``spearman``
            and ``tau_a``); ``None`` = one weighting of all ones.
        method: one of :data:`COMPARE_METHODS`.
        counts: instead of ``weights``, stimulus multiplicities ``(B, n)`` of resamples; the
            weight of pair ``(k, l)`` is ``counts[k] * counts[l]`` (the bootstrap's weights,
            computed without gathering a ``(B, P)`` array per RDM).
        pair_mask: optional ``(P,)`` 0/1 factor on every weight (e.g. to leave out NaN pairs).
        sorted_u, sorted_v: optional cached sort orders (internal, for the bootstrap).

    Returns:
        ``(B, K_u, K_v)`` of the inputs' kind; NaN where the similarity is undefined.
    """
    _check_method(method)
    n_pairs = u.shape[-1]
    if v.shape[-1] != n_pairs:
        raise DataError(f"RDMs of different sizes: {n_pairs} vs {v.shape[-1]} pairs")
    w = None
    if counts is not None:
        if method != "spearman" or pair_mask is not None:
            w = _pair_products(counts, *_triu_pairs(n_stimuli_from_condensed(n_pairs), counts))
            total = w.sum(1) if pair_mask is None else w @ pair_mask
        else:  # sum over pairs k < l of c_k c_l, without forming the pair weights
            total = (counts.sum(1) ** 2 - (counts * counts).sum(1)) / 2.0
    else:
        w = weights if weights is not None else u[:1] * 0 + 1
        total = w.sum(1) if pair_mask is None else w @ pair_mask
    if pair_mask is not None and w is not None:
        w = w * pair_mask
    if method == "tau_a":
        return _tau_a(u, v, w)
    if method == "spearman" and weights is None and counts is None and pair_mask is None:
        # one plain comparison: Pearson r of the tie-averaged ranks
        ranks_u = _stack([s.plain_ranks() for s in sorted_u or map(_SortedVector, u)], 0)
        ranks_v = _stack([s.plain_ranks() for s in sorted_v or map(_SortedVector, v)], 0)
        num = (ranks_u @ ranks_v.T)[None]
        var_u, var_v = (ranks_u * ranks_u).sum(1)[None], (ranks_v * ranks_v).sum(1)[None]
        raw_u = raw_v = (total * total * total / 12.0)[:, None]  # variance of W untied ranks
    elif method == "spearman":
        num, var_u, var_v = _spearman_moments(u, v, w, total, counts, pair_mask, sorted_u, sorted_v)
        raw_u = raw_v = (total * total * total / 12.0)[:, None]  # variance of W untied ranks
    else:  # weighted sums of u, v and their products are matrix-vector products with w
        total = total[:, None]  # (B, 1)
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
    var_u, var_v = var_u * (var_u > 0), var_v * (var_v > 0)
    den = var_u[:, :, None] ** 0.5 * var_v[:, None, :] ** 0.5
    out = num / _where(tiny, 1.0, den)
    out = out.clip(-1.0, 1.0)
    return _where(tiny, float("nan"), out)


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
    if device is None and _condensed_float64(a) and _condensed_float64(b):
        # the usual call (condensed numpy RDMs): no round trip through torch
        u, v = np.atleast_2d(a), np.atleast_2d(b)
        single_a, single_b = a.ndim == 1, b.ndim == 1
        n_stimuli_from_condensed(u.shape[1])  # a clear error for a length no RDM has
    else:
        u, single_a = rdm_stack(a)
        v, single_b = rdm_stack(b)
        u, v = engine_arrays(u.to(device or "cpu"), v.to(device or "cpu"))
    if u.shape[1] != v.shape[1]:
        raise DataError(
            f"RDMs over different numbers of stimuli: {n_stimuli_from_condensed(u.shape[1])} vs "
            f"{n_stimuli_from_condensed(v.shape[1])}"
        )
    mask, u, v = mask_nan_pairs(u, v)
    if method == "spearman" and mask is None and _is_numpy(u):
        sim = _plain_spearman(u, v)
    else:
        sim = _to_numpy(weighted_similarity(u, v, None, method, pair_mask=mask)[0])
    if single_a and single_b:
        return float(sim[0, 0])
    return sim
