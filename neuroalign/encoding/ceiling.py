"""Noise ceilings from single trials: split-half reliability, Spearman-Brown corrected.

Follows Brain-Score's ``InternalConsistency`` (``brainscore_vision/metrics/internal_consistency``):
the repetitions are split into two random halves (scikit-learn ``ShuffleSplit`` over the unique
repetition values, ``train_size=0.5``, 10 splits, ``random_state=1``); each half is averaged
over its repetitions per stimulus; each neuroid's Pearson r between the two half-averages over
stimuli is Spearman-Brown corrected to the full number of halves, ``r_sb = 2r / (1 + r)``
(Spearman 1910; Brown 1910); the median over neuroids is averaged over splits; the error is
the standard error over splits. Missing (NaN) trials are skipped when averaging; a stimulus
without any trial in one half is left out of that split.

Brain-Score reports a model's ceiled score as explained variance, ``r² / ceiling`` (the ceiling
being a reliability, i.e. a bound on r², Schrimpf et al. 2020 and Brain-Score's
``explained_variance``); :func:`ceiled_scores` gives that and the older ``r / ceiling``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import ShuffleSplit

from neuroalign.defaults import BRAINSCORE_SEED
from neuroalign.encoding.correlation import median_over_neuroids, pearson_columns
from neuroalign.errors import DataError

__all__ = ["Ceiling", "ceiled_scores", "spearman_brown", "split_half_ceiling", "trials_to_array"]


@dataclass(frozen=True)
class Ceiling:
    """A split-half ceiling.

    Attributes: center (mean over splits of the median over neuroids), error (SEM over
    splits, std with ddof=0 / sqrt(n_splits) as Brain-Score), per_split (n_splits,),
    per_neuroid (n_splits, q) corrected reliabilities, neuroid_ids, n_repetitions.
    """

    center: float
    error: float
    per_split: np.ndarray
    per_neuroid: np.ndarray
    neuroid_ids: tuple[str, ...]
    n_repetitions: int

    def neuroid_reliability(self) -> np.ndarray:
        """(q,) per-neuroid reliability, averaged over splits."""
        return np.nanmean(self.per_neuroid, axis=0)


def spearman_brown(r: Any, n: float = 2.0) -> Any:
    """Spearman-Brown prophecy: reliability of ``n`` times the data, ``n r / (1 + (n-1) r)``."""
    return n * np.asarray(r) / (1.0 + (n - 1.0) * np.asarray(r))


def trials_to_array(
    trials: Any, stimulus_coord: str = "stimulus_id", repetition_coord: str = "repetition"
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """A trial assembly (presentation x neuroid) as a dense (n_stimuli, n_reps, q) array.

    Presentations carry ``stimulus_id`` and ``repetition`` coords; absent trials become NaN.
    Returns ``(data, stimulus_ids, neuroid_ids, repetition_values)``.
    """
    if trials.dims[0] != "presentation":
        trials = trials.transpose("presentation", ...)
    for coord in (stimulus_coord, repetition_coord):
        if not has_coord(trials, coord):
            raise DataError(f"trial assembly has no {coord!r} coordinate on its presentations")
    stim = np.asarray(trials[stimulus_coord].values).astype(str)
    reps = np.asarray(trials[repetition_coord].values)
    stim_ids, stim_idx = np.unique(stim, return_inverse=True)
    rep_values, rep_idx = np.unique(reps, return_inverse=True)
    values = np.asarray(trials.values, dtype=np.float64)
    data = np.full((stim_ids.size, rep_values.size, values.shape[1]), np.nan)
    data[stim_idx, rep_idx] = values
    neuroid_ids = _neuroid_ids(trials)
    return data, stim_ids, neuroid_ids, rep_values


def has_coord(assembly: Any, name: str) -> bool:
    """Whether ``assembly`` has coordinate ``name`` (MultiIndex levels included)."""
    try:
        assembly[name]
    except (KeyError, TypeError, IndexError, ValueError):
        return False
    return hasattr(assembly, "dims")


def _neuroid_ids(assembly: Any) -> tuple[str, ...]:
    if has_coord(assembly, "neuroid_id"):
        return tuple(str(v) for v in assembly["neuroid_id"].values)
    return tuple(str(i) for i in range(assembly.shape[1]))


def split_half_ceiling(
    trials: Any,
    n_splits: int = 10,
    seed: int = BRAINSCORE_SEED,
    neuroid_ids: tuple[str, ...] | None = None,
) -> Ceiling:
    """Split-half, Spearman-Brown corrected reliability of single-trial responses.

    Args:
        trials: a presentation x neuroid assembly with ``stimulus_id`` and ``repetition``
            coords, or an array (n_stimuli, n_repetitions, n_neuroids) with NaN for absent trials.
        n_splits: number of random halvings of the repetitions (Brain-Score: 10).
        seed: ``random_state`` of the halvings (Brain-Score: 1).
        neuroid_ids: names of the neuroids when ``trials`` is an array.

    Returns:
        A :class:`Ceiling`.
    """
    if isinstance(trials, np.ndarray):
        data = np.asarray(trials, dtype=np.float64)
        if data.ndim != 3:
            raise DataError(
                f"trial array must be (stimuli, repetitions, neuroids), got {data.shape}"
            )
        ids = neuroid_ids or tuple(str(i) for i in range(data.shape[2]))
    else:
        data, _, ids, _ = trials_to_array(trials)
    n_reps = data.shape[1]
    if n_reps < 2:
        raise DataError(f"a split-half ceiling needs >= 2 repetitions, got {n_reps}")
    splitter = ShuffleSplit(n_splits=n_splits, train_size=0.5, random_state=seed)
    per_neuroid = np.empty((n_splits, data.shape[2]))
    for s, (h1, h2) in enumerate(splitter.split(np.zeros(n_reps))):
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                a = np.nanmean(data[:, h1], axis=1)
                b = np.nanmean(data[:, h2], axis=1)
        ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
        per_neuroid[s] = spearman_brown(pearson_columns(a[ok], b[ok]), 2.0)
    per_split = median_over_neuroids(per_neuroid)
    center = float(np.mean(per_split))
    error = float(np.std(per_split) / np.sqrt(n_splits))
    return Ceiling(center, error, per_split, per_neuroid, tuple(ids), int(n_reps))


def ceiled_scores(r: float, ceiling: float) -> dict[str, float]:
    """Both normalisations of a raw score ``r`` by a reliability ``ceiling``.

    ``explained_variance = r² / ceiling`` (Brain-Score's current ceiled score) and
    ``r_over_ceiling = r / ceiling`` (its former one).
    """
    if not np.isfinite(ceiling) or ceiling <= 0:
        return {"explained_variance": float("nan"), "r_over_ceiling": float("nan")}
    return {"explained_variance": float(r**2 / ceiling), "r_over_ceiling": float(r / ceiling)}
