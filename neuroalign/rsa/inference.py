"""Inference on RDM comparisons: bootstrap over stimuli and noise ceilings.

Bootstrap over stimuli (Nili et al. 2014, PLoS Comput. Biol.; Schütt et al. 2023, eLife,
"Statistical inference on representational geometries"; rsatoolbox
``inference.eval_bootstrap_pattern``): draw ``n`` stimuli with replacement, restrict every RDM to
the drawn stimuli, and compare. As in rsatoolbox (``RDMs.subsample_pattern``), the resampled RDM
keeps one entry per pair of drawn positions, so a pair of stimuli drawn ``c_k`` and ``c_l`` times
counts ``c_k * c_l`` times, and pairs of a stimulus with itself are dropped; resamples with fewer
than 3 distinct stimuli are NaN. Here each resample is a vector of pair weights ``c_k c_l`` given
to :func:`neuroalign.rsa.compare.weighted_similarity`, batched on torch (CPU or CUDA), so no
RDM is copied: Spearman ranks under weights are cumulative sums of the weights in each RDM's
precomputed sort order, Pearson / cosine moments are matrix products with the weights.

Noise ceiling (Nili et al. 2014; rsatoolbox ``inference.boot_noise_ceiling``) for several
subject RDMs: the upper bound is the mean similarity of each subject's RDM with the pooled RDM of
all subjects, the lower bound with the pooled RDM of the other subjects (leave one out). The
unit left out is the subject: when several RDMs come from one subject (sessions, runs), pass
their ``subjects`` labels and they are averaged per subject (or left out together). Pooling
maximises the chosen similarity: mean ranks (``spearman``, ``tau_a``), mean z-scored
dissimilarities (``pearson``), mean RMS-normalised dissimilarities (``cosine``).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError
from neuroalign.rsa.compare import (
    _check_method,
    _plain_ranks,
    _rank_pearson,
    _SortedVector,
    align_rdms,
    engine_arrays,
    mask_nan_pairs,
    rdm_stack,
    weighted_similarity,
)
from neuroalign.rsa.rdm import _is_dataarray, n_stimuli_from_condensed

__all__ = [
    "BootstrapDifference",
    "BootstrapResult",
    "NoiseCeiling",
    "bootstrap_compare",
    "bootstrap_difference",
    "bootstrap_indices",
    "noise_ceiling",
    "pool_rdms",
]


#: On the CPU, at most this many (resample, pair) entries per array in one batch of the
#: bootstrap: ~2 MB of float32, so each pass over a batch stays in the CPU's cache.
CPU_BATCH_ELEMENTS = 2**19


@dataclass(frozen=True)
class BootstrapDifference:
    """Bootstrap test of the difference ``score[a] - score[b]`` (paired resamples).

    ``p_value`` is two-sided, as rsatoolbox's ``bootstrap_pair_tests``: twice the smaller
    proportion of resamples in which the order of the two models flips, shrunk towards
    ``1 / n_bootstrap`` so it is never 0.
    """

    a: str
    b: str
    observed: float
    samples: np.ndarray  # (n_bootstrap,)
    ci: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class BootstrapResult:
    """Scores of ``K`` model RDMs against data RDMs with their bootstrap distribution.

    ``observed``: ``(K,)`` the scores on all stimuli (mean over data RDMs);
    ``samples``: ``(n_bootstrap, K)`` the scores on each resample (NaN if undefined);
    ``ci_low``/``ci_high``: percentile confidence interval at level ``ci``.
    """

    names: tuple[str, ...]
    method: str
    observed: np.ndarray
    samples: np.ndarray
    ci: float

    def _per_model(self, fn: Any) -> np.ndarray:
        out = np.full(self.samples.shape[1], np.nan)
        for k in range(len(out)):
            column = self.samples[:, k]
            column = column[np.isfinite(column)]
            if len(column) > 1:
                out[k] = fn(column)
        return out

    @property
    def ci_low(self) -> np.ndarray:
        """Lower percentile bound ``(K,)`` (NaN without at least 2 valid resamples)."""
        return self._per_model(lambda s: np.percentile(s, 100 * (1 - self.ci) / 2))

    @property
    def ci_high(self) -> np.ndarray:
        """Upper percentile bound ``(K,)``."""
        return self._per_model(lambda s: np.percentile(s, 100 * (1 + self.ci) / 2))

    @property
    def std(self) -> np.ndarray:
        """Bootstrap standard error of each score, ``(K,)``."""
        return self._per_model(lambda s: np.std(s, ddof=1))

    def _index(self, name: str | int) -> int:
        if isinstance(name, int | np.integer):
            return int(name)
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no model named {name!r}; have {list(self.names)}") from None

    def difference(self, a: str | int, b: str | int) -> BootstrapDifference:
        """Bootstrap CI and two-sided test of ``score[a] - score[b]`` on the same resamples."""
        i, j = self._index(a), self._index(b)
        sa, sb = self.samples[:, i], self.samples[:, j]
        ok = np.isfinite(sa) & np.isfinite(sb)
        sa, sb = sa[ok], sb[ok]
        diff = sa - sb
        n = len(diff)
        if n == 0:
            raise DataError("no valid bootstrap resample to compare the two models on")
        ties = int(np.sum(sa == sb))
        prop = np.sum(sa < sb) / (n - ties) if n > ties else 0.5
        p = 2 * min(prop, 1 - prop)
        p = (n - 1) / n * p + 1 / n
        lo, hi = np.percentile(diff, [100 * (1 - self.ci) / 2, 100 * (1 + self.ci) / 2])
        return BootstrapDifference(
            a=self.names[i],
            b=self.names[j],
            observed=float(self.observed[i] - self.observed[j]),
            samples=diff,
            ci=self.ci,
            ci_low=float(lo),
            ci_high=float(hi),
            p_value=float(p),
        )

    def to_frame(self) -> Any:
        """A tidy pandas DataFrame: one row per model (name, score, ci_low, ci_high, std)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "model": list(self.names),
                "method": self.method,
                "score": self.observed,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "bootstrap_std": self.std,
                "n_bootstrap": int(np.isfinite(self.samples).all(1).sum()),
            }
        )


@dataclass(frozen=True)
class NoiseCeiling:
    """Lower (leave-one-subject-out) and upper (all subjects) bounds of the noise ceiling.

    ``n_rdms`` RDMs were passed; ``grouping`` says how they were read as subjects (each RDM one
    subject, or several RDMs -- sessions, runs -- per subject and how they were combined).
    """

    lower: float
    upper: float
    method: str
    n_subjects: int
    n_rdms: int = 0
    grouping: str = ""


# --------------------------------------------------------------------------------------------
def bootstrap_indices(
    n_stimuli: int, n_bootstrap: int, seed: int | None = 0, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """Stimulus indices of ``n_bootstrap`` resamples with replacement, ``(n_bootstrap, n)``."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed) if seed is not None else int(torch.seed()))
    idx = torch.randint(n_stimuli, (n_bootstrap, n_stimuli), generator=gen)
    return idx.to(device)


def _named_stack(rdms: Any, default: str) -> tuple[torch.Tensor, tuple[str, ...], Any]:
    """(condensed stack, names, first DataArray or None) of model / data RDM inputs."""
    names: tuple[str, ...]
    first_da = None
    if isinstance(rdms, Mapping):
        names = tuple(str(k) for k in rdms)
        values = list(rdms.values())
        if values and _is_dataarray(values[0]):
            first_da = values[0]
            values = [align_rdms(first_da, v)[1] for v in values]
        stack, _ = rdm_stack(values)
        return stack, names, first_da
    if _is_dataarray(rdms):
        first_da = rdms
    stack, single = rdm_stack(rdms)
    names = (default,) if single else tuple(f"{default}{i}" for i in range(stack.shape[0]))
    return stack, names, first_da


def _align_inputs(models: Any, data: Any) -> tuple[Any, Any]:
    """Reorder DataArray data RDMs to the models' stimulus order (both DataArrays)."""
    m0 = next(iter(models.values())) if isinstance(models, Mapping) else models
    if not _is_dataarray(m0):
        return models, data
    if isinstance(data, Mapping):
        return models, {k: align_rdms(m0, v)[1] if _is_dataarray(v) else v for k, v in data.items()}
    if _is_dataarray(data):
        return models, align_rdms(m0, data)[1]
    return models, data


def bootstrap_compare(
    models: Any,
    data: Any,
    method: str = "spearman",
    *,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
    indices: Any = None,
    device: str | torch.device | None = None,
    max_elements: int = 2**23,
    dtype: torch.dtype | None = None,
) -> BootstrapResult:
    """Scores of model RDMs against data RDMs with a bootstrap over stimuli.

    Args:
        models: one model RDM, a stack ``(K, ...)`` or a dict name -> RDM (square, condensed or
            DataArray; DataArrays are aligned by stimulus id).
        data: one data RDM or several (e.g. one per subject); a model's score is its mean
            similarity with the data RDMs (rsatoolbox's evaluation).
        method: ``spearman``, ``tau_a``, ``pearson`` or ``cosine`` (see
            :mod:`neuroalign.rsa.compare`). ``tau_a`` is exact but not batched (slow for large
            RDMs).
        n_bootstrap: number of resamples (0: scores only, NaN intervals).
        ci: confidence level of the percentile interval.
        seed: seed of the resampling (``None``: random).
        indices: explicit resamples ``(n_bootstrap, n_drawn)`` of stimulus indices (overrides
            ``n_bootstrap`` and ``seed``), e.g. to reuse rsatoolbox's draws.
        device: where to compute (default CPU); max_elements: memory bound of one batch
            (number of ``(resample, pair)`` entries of each array).
        dtype: precision of the rank arithmetic of the ``spearman`` bootstrap: ``None``
            (default) uses float32 where ranks are exact in it (fewer than 2**23 pairs, about
            4,000 stimuli) and float64 beyond; ``torch.float64`` forces float64 (exact to
            ~1e-12, about 2-3x slower on CPU). Sums always accumulate in float64: float32 scores
            agree with float64 to ~1e-9. The observed scores are always float64.

    Returns:
        :class:`BootstrapResult` (use ``.difference(a, b)`` for a paired test of two models).
    """
    _check_method(method)
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci}")
    models, data = _align_inputs(models, data)
    u, names, _ = _named_stack(models, "model")
    v, _, _ = _named_stack(data, "data")
    if u.shape[1] != v.shape[1]:
        raise DataError(
            f"model RDMs are over {n_stimuli_from_condensed(u.shape[1])} stimuli but data RDMs "
            f"over {n_stimuli_from_condensed(v.shape[1])}"
        )
    device = torch.device(device or "cpu")
    n = n_stimuli_from_condensed(u.shape[1])
    if dtype not in (None, torch.float32, torch.float64):
        raise ValueError(f"dtype must be None, torch.float32 or torch.float64, got {dtype}")
    exact_in_float32 = u.shape[1] < 2**23  # ranks and their cumulative sums are exact
    if dtype == torch.float32 and not exact_in_float32:
        raise ValueError("float32 ranks are exact only below 2**23 pairs (~4,096 stimuli)")
    counts_dtype = torch.float64
    if method == "spearman" and dtype != torch.float64 and exact_in_float32:
        counts_dtype = torch.float32  # the sort orders stay those of the float64 values
    u, v = engine_arrays(u.to(device), v.to(device))
    mask, u, v = mask_nan_pairs(u, v)
    sorted_u = [_SortedVector(x) for x in u] if method == "spearman" else None
    sorted_v = [_SortedVector(x) for x in v] if method == "spearman" else None

    def score(counts: torch.Tensor) -> np.ndarray:  # (B, K): mean over the data RDMs
        (c,) = engine_arrays(counts)
        m = mask
        if m is not None:
            m = m.astype(c.dtype) if isinstance(c, np.ndarray) else m.to(c.dtype)
        sim = weighted_similarity(
            u,
            v,
            None,
            method,
            counts=c,
            pair_mask=m,
            sorted_u=sorted_u,
            sorted_v=sorted_v,
        )
        sim = sim if isinstance(sim, np.ndarray) else sim.cpu().numpy()
        return sim.astype(np.float64).mean(-1)

    observed = score(torch.ones((1, n), dtype=torch.float64, device=device))[0]  # float64

    if indices is None:
        if n_bootstrap < 0:
            raise ValueError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
        idx = bootstrap_indices(n, n_bootstrap, seed, device)
    else:
        idx = torch.as_tensor(np.asarray(indices), dtype=torch.long, device=device)
        if idx.ndim != 2 or (idx.numel() and (idx.min() < 0 or idx.max() >= n)):
            raise DataError(f"indices must be (n_bootstrap, n_drawn) integers in [0, {n})")
    if device.type == "cpu":  # a few resamples at a time keep the (B, P) arrays in cache
        max_elements = min(max_elements, CPU_BATCH_ELEMENTS)
    per_batch = max(1, max_elements // u.shape[1])

    def batch(start: int) -> np.ndarray:
        part = idx[start : start + per_batch]
        counts = torch.zeros((part.shape[0], n), dtype=counts_dtype, device=device)
        counts.scatter_add_(1, part, torch.ones_like(part, dtype=counts_dtype))  # multiplicities
        sim = score(counts)
        sim[((counts > 0).sum(1) < 3).cpu().numpy()] = float("nan")
        return sim

    starts = range(0, idx.shape[0], per_batch)
    workers = torch.get_num_threads() if device.type == "cpu" else 1
    if workers > 1 and len(starts) > 1:  # numpy releases the GIL in its passes
        with ThreadPoolExecutor(workers) as pool:
            samples = [np.empty((0, u.shape[0])), *pool.map(batch, starts)]
    else:
        samples = [np.empty((0, u.shape[0])), *map(batch, starts)]
    return BootstrapResult(
        names=names,
        method=method,
        observed=observed,
        samples=np.concatenate(samples, axis=0),
        ci=float(ci),
    )


def bootstrap_difference(
    model_a: Any, model_b: Any, data: Any, method: str = "spearman", **kwargs: Any
) -> BootstrapDifference:
    """Bootstrap CI and test of ``score(model_a) - score(model_b)`` (same resamples).

    Keyword arguments go to :func:`bootstrap_compare`.
    """
    result = bootstrap_compare({"a": model_a, "b": model_b}, data, method, **kwargs)
    return result.difference("a", "b")


# --------------------------------------------------------------------------------------------
def _poolable(x: np.ndarray, method: str) -> np.ndarray:
    """Each RDM ``(K, P)`` transformed so that the best group RDM is the mean: tie-averaged
    ranks, 1-based (``spearman``, ``tau_a``), z-scores (``pearson``; population std),
    RMS-normalised dissimilarities (``cosine``)."""
    if method in ("spearman", "tau_a"):
        return _plain_ranks(x) + (x.shape[1] + 1) / 2.0
    if method == "pearson":
        x = x - x.mean(1, keepdims=True)
        return x / x.std(1, keepdims=True)
    return x / np.sqrt((x * x).mean(1, keepdims=True))


def pool_rdms(rdms: Any, method: str = "spearman") -> np.ndarray:
    """The RDM (condensed, ``(P,)``) that best represents a group under ``method``.

    Mean of ranks (``spearman``, ``tau_a``), of z-scored dissimilarities (``pearson``; population
    std) or of RMS-normalised dissimilarities (``cosine``), as rsatoolbox's ``pool_rdm`` (which
    also shifts its ``corr`` pool to a minimum of 0.01; no Pearson comparison sees the shift).
    """
    _check_method(method)
    x, _ = rdm_stack(rdms)
    return _poolable(x.numpy(), method).mean(0)


#: How :func:`noise_ceiling` combines several RDMs of one subject.
GROUPINGS = ("average", "leave-subject-out")


def noise_ceiling(
    subject_rdms: Any,
    method: str = "spearman",
    *,
    subjects: Any = None,
    grouping: str = "average",
) -> NoiseCeiling:
    """Lower and upper bounds of the noise ceiling from several subjects' RDMs (Nili 2014).

    Args:
        subject_rdms: ``(n_rdms, n, n)``, ``(n_rdms, P)``, a list or a dict of RDMs (no NaN).
        method: the comparison the models are scored with.
        subjects: one subject label per RDM. Without it every RDM is taken as a different
            subject -- wrong when they are sessions or runs of fewer subjects (they would be
            left out one session at a time, and the ceiling would come out too high). With it
            the RDMs are grouped by subject as ``grouping`` says.
        grouping: ``"average"`` (default, as rsatoolbox's demos do): each subject's RDMs are
            averaged (mean dissimilarities) into one RDM, then one RDM per subject as usual;
            ``"leave-subject-out"``: rsatoolbox's ``boot_noise_ceiling(rdms,
            rdm_descriptor='subject')`` -- all RDMs are kept, a subject's RDMs are left out
            together and each is compared with the pooled RDM of the other subjects' RDMs
            (lower) or of all RDMs (upper), averaged within then over subjects.

    Returns:
        :class:`NoiseCeiling` (``n_subjects``, ``n_rdms`` and ``grouping`` say what was done):
        ``lower`` = mean over subjects of the similarity with the pooled RDM of the other
        subjects, ``upper`` = with the pooled RDM of all subjects.

    With one RDM per subject, each subject's RDM is sorted (and transformed for pooling) once;
    the leave-one-out pool is ``(sum - own) / (k - 1)`` of the transformed RDMs (exact for
    ranks, which are half-integers).
    """
    _check_method(method)
    if grouping not in GROUPINGS:
        raise ValueError(f"grouping must be one of {GROUPINGS}, got {grouping!r}")
    if isinstance(subject_rdms, Mapping):
        subject_rdms = list(subject_rdms.values())
    x, single = rdm_stack(subject_rdms)
    x = x.numpy()
    n_rdms = 1 if single else int(x.shape[0])
    if not np.isfinite(x).all():
        raise DataError("subject RDMs contain NaN")
    if subjects is None:
        labels = np.arange(n_rdms)
        how = f"each of the {n_rdms} RDMs taken as one subject"
    else:
        labels = np.asarray(subjects)
        if labels.shape != (n_rdms,):
            raise DataError(f"subjects has {labels.size} labels for {n_rdms} RDMs")
    names, index = np.unique(labels, return_inverse=True)
    if single or len(names) < 2:
        raise DataError("a noise ceiling needs the RDMs of at least 2 subjects")
    if subjects is not None:
        how = f"{n_rdms} RDMs of {len(names)} subjects, " + (
            "averaged per subject (mean dissimilarities)"
            if grouping == "average"
            else "left out one subject at a time (rsatoolbox rdm_descriptor='subject')"
        )
    groups = [np.flatnonzero(index == g) for g in range(len(names))]
    if grouping == "leave-subject-out" and subjects is not None:
        pooled_all = pool_rdms(x, method)[None]
        lower = [
            weighted_similarity(
                pool_rdms(np.delete(x, g, axis=0), method)[None], x[g], None, method
            )[0].mean()
            for g in groups
        ]
        upper = [weighted_similarity(pooled_all, x[g], None, method)[0].mean() for g in groups]
    else:  # one RDM per subject (each subject's RDMs averaged)
        if len(names) < n_rdms:
            x = np.stack([x[g].mean(0) for g in groups])
        k = x.shape[0]
        if method == "spearman":  # 2k + 1 sorts: each RDM, each leave-one-out pool, the pool
            ranks = _plain_ranks(x)
            total = ranks.sum(0)  # ranks are half-integers: sums are exact, ties stay ties
            pooled = _plain_ranks(np.concatenate([total - ranks, total[None]]))
            lower = [_rank_pearson(pooled[i : i + 1], ranks[i : i + 1])[0, 0] for i in range(k)]
            upper = _rank_pearson(pooled[k:], ranks)[0]
        else:
            pooled = _poolable(x, method)
            total = pooled.sum(0)
            upper = weighted_similarity((total / k)[None], x, None, method)[0, 0]
            lower = [
                weighted_similarity(
                    ((total - pooled[i]) / (k - 1))[None], x[i : i + 1], None, method
                )[0, 0, 0]
                for i in range(k)
            ]
    return NoiseCeiling(
        lower=float(np.mean(lower)),
        upper=float(np.mean(upper)),
        method=method,
        n_subjects=len(names),
        n_rdms=n_rdms,
        grouping=how,
    )
