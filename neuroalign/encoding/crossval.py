"""Cross-validated neural predictivity: Brain-Score's ``pls`` / ``ridge`` scheme, fast.

For features (presentation x feature) and responses (presentation x neuroid) matched by
``stimulus_id``: draw Brain-Score's splits (:mod:`neuroalign.encoding.splits`), fit the linear
map on the training stimuli, predict the held-out stimuli, take each neuroid's Pearson r,
the median over neuroids per split, and the mean over splits; the error is the standard error
over splits (std with ddof=0 / sqrt(n_splits)), as ``brainscore_vision`` does
(Schrimpf et al. 2018; Yamins et al. 2014 for the PLS mapping).

Speed: when features outnumber stimuli, the Gram matrix of all stimuli is computed once and
every split works on its n x n blocks (dual ridge, kernel PLS), so the cost of a wide layer is
one matrix product instead of ten fits on the full features.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from neuroalign.defaults import BRAINSCORE_SEED
from neuroalign.encoding import backend as B
from neuroalign.encoding.bootstrap import score_interval
from neuroalign.encoding.ceiling import Ceiling, ceiled_scores, has_coord
from neuroalign.encoding.correlation import median_over_neuroids, pearson_columns
from neuroalign.encoding.pls import kernel_pls
from neuroalign.encoding.ridge import (
    DEFAULT_ALPHAS,
    RidgeCVEncoder,
    center_gram,
    centred_gram,
    kernel_ridge_cv,
)
from neuroalign.encoding.splits import shuffle_splits
from neuroalign.errors import DataError

__all__ = [
    "METHODS",
    "SPLIT_BLAS_THREADS",
    "AlignedData",
    "Design",
    "ScoreResult",
    "align",
    "cross_validated_score",
    "score_design",
]

METHODS = ("ridge", "pls")

#: BLAS threads used inside the per-split fits. Their matrices are small (n_stimuli²) and
#: single-threaded BLAS is as fast there, and several times faster on a loaded machine; the
#: one large product (the Gram matrix) runs before the limit, with every thread.
SPLIT_BLAS_THREADS = 1


@dataclass(frozen=True)
class ScoreResult:
    """A cross-validated predictivity score.

    Attributes:
        center: mean over splits of the median over neuroids of held-out Pearson r.
        error: standard error over splits (Brain-Score's ``error``).
        per_split: (n_splits,) the median r of each split.
        per_neuroid: (n_splits, q) held-out r of every neuroid in every split.
        neuroid_ids: the q neuroids scored (after dropping constant / NaN ones).
        train_per_split: (n_splits,) the same statistic on training stimuli only (ridge: exact
            LOO predictions; PLS: an inner 90/10 hold-out), used to select layers; NaN if skipped.
        alphas: (n_splits, q) ridge penalties chosen per neuroid, None for PLS.
        ci_low, ci_high: 95 % interval over stimuli, splits and neuroids (NaN unless requested).
        ceiling, ceiling_error: split-half reliability of the responses (NaN if no trials).
        dropped_neuroids: neuroids left out for being constant or containing NaN.
    """

    center: float
    error: float
    per_split: np.ndarray
    per_neuroid: np.ndarray
    neuroid_ids: tuple[str, ...]
    method: str
    n_splits: int
    test_size: float
    seed: int
    n_stimuli: int
    n_features: int
    train_per_split: np.ndarray
    alphas: np.ndarray | None = None
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    ceiling: float = float("nan")
    ceiling_error: float = float("nan")
    dropped_neuroids: tuple[str, ...] = ()
    test_predictions: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...] = field(
        default=(), repr=False
    )

    @property
    def explained_variance(self) -> float:
        """Brain-Score's ceiled score, ``center² / ceiling`` (NaN without a ceiling)."""
        return ceiled_scores(self.center, self.ceiling)["explained_variance"]

    @property
    def r_over_ceiling(self) -> float:
        """The former ceiled score, ``center / ceiling`` (NaN without a ceiling)."""
        return ceiled_scores(self.center, self.ceiling)["r_over_ceiling"]

    def with_ceiling(self, ceiling: Ceiling | None) -> ScoreResult:
        """A copy carrying ``ceiling`` (a :class:`Ceiling`)."""
        if ceiling is None:
            return self
        return dataclasses.replace(self, ceiling=ceiling.center, ceiling_error=ceiling.error)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (per-split values, no per-neuroid arrays)."""
        return {
            "method": self.method,
            "score_r": self.center,
            "error": self.error,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ceiling": self.ceiling,
            "ceiling_error": self.ceiling_error,
            "explained_variance": self.explained_variance,
            "r_over_ceiling": self.r_over_ceiling,
            "per_split": [float(v) for v in self.per_split],
            "train_per_split": [float(v) for v in self.train_per_split],
            "n_splits": self.n_splits,
            "test_size": self.test_size,
            "seed": self.seed,
            "n_stimuli": self.n_stimuli,
            "n_features": self.n_features,
            "n_neuroids": len(self.neuroid_ids),
            "dropped_neuroids": list(self.dropped_neuroids),
        }


@dataclass(frozen=True)
class AlignedData:
    """Responses (n, q) with their stimulus and neuroid ids, after dropping bad neuroids."""

    Y: np.ndarray
    stimulus_ids: np.ndarray
    neuroid_ids: tuple[str, ...]
    dropped_neuroids: tuple[str, ...]
    stratify: np.ndarray | None = None


def _ids(assembly: Any, coord: str, n: int) -> np.ndarray | None:
    if has_coord(assembly, coord):
        return np.asarray(assembly[coord].values).astype(str)
    return None


def prepare_responses(
    responses: Any, stratify_coord: str | None = None, stimulus_coord: str = "stimulus_id"
) -> AlignedData:
    """Check responses (presentation x neuroid), dropping NaN / constant neuroids with a warning."""
    if (
        hasattr(responses, "dims")
        and responses.dims[0] != "presentation"
        and "presentation" in responses.dims
    ):
        responses = responses.transpose("presentation", ...)
    Y = np.asarray(B.to_numpy(getattr(responses, "values", responses)), dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise DataError(f"responses must be 2-D (presentation x neuroid), got shape {Y.shape}")
    stim = _ids(responses, stimulus_coord, Y.shape[0])
    if stim is None:
        stim = np.arange(Y.shape[0]).astype(str)
    uniq, counts = np.unique(stim, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1]
        raise DataError(
            f"responses repeat {dup.size} {stimulus_coord}(s) (e.g. {list(dup[:5])}); average "
            "repetitions first (score repeat-averaged responses, use trials for the ceiling)"
        )
    nids = _ids(responses, "neuroid_id", Y.shape[1])
    neuroid_ids = tuple(nids) if nids is not None else tuple(str(i) for i in range(Y.shape[1]))
    nan_cols = ~np.isfinite(Y).all(axis=0)
    const_cols = np.zeros_like(nan_cols)
    const_cols[~nan_cols] = np.ptp(Y[:, ~nan_cols], axis=0) == 0
    bad = nan_cols | const_cols
    if bad.all():
        raise DataError(f"all {Y.shape[1]} neuroids are constant or contain NaN; nothing to score")
    dropped = tuple(n for n, b in zip(neuroid_ids, bad) if b)
    if bad.any():
        warnings.warn(
            f"dropping {int(nan_cols.sum())} neuroid(s) with NaN/inf and {int(const_cols.sum())} "
            f"constant neuroid(s) of {Y.shape[1]}: {list(dropped[:10])}",
            stacklevel=3,
        )
    strat = None
    if stratify_coord:
        if not has_coord(responses, stratify_coord):
            raise DataError(
                f"responses have no {stratify_coord!r} coordinate to stratify splits by"
            )
        strat = np.asarray(responses[stratify_coord].values)
    keep = ~bad
    return AlignedData(
        Y[:, keep], stim, tuple(n for n, k in zip(neuroid_ids, keep) if k), dropped, strat
    )


def align(
    features: Any,
    stimulus_ids: np.ndarray,
    stimulus_coord: str = "stimulus_id",
    name: str = "features",
) -> Any:
    """Rows of ``features`` (presentation x feature) in the order of ``stimulus_ids``.

    DataArrays are matched by their ``stimulus_id`` coordinate (extra feature stimuli are
    ignored; missing ones are an error naming how many and which); plain arrays must already
    be in the responses' order. Features with NaN/inf are an error. Returns an array (n, p)
    (NumPy, or the torch tensor given).
    """
    if hasattr(features, "dims") and "presentation" in features.dims:
        if features.dims[0] != "presentation":
            features = features.transpose("presentation", ...)
        fstim = _ids(features, stimulus_coord, features.shape[0])
        values = features.values
        values = values.reshape(values.shape[0], -1)
        if fstim is None:
            X = values
        else:
            index = {s: i for i, s in enumerate(fstim)}
            if len(index) != len(fstim):
                raise DataError(f"{name}: {stimulus_coord} values repeat in the features")
            missing = [s for s in stimulus_ids if s not in index]
            if missing:
                raise DataError(
                    f"{name}: {len(missing)} of {len(stimulus_ids)} response stimuli have no "
                    f"features (matched by {stimulus_coord}), e.g. {missing[:5]}; the features "
                    f"have {len(fstim)} stimuli, e.g. {list(fstim[:3])}"
                )
            order = np.array([index[s] for s in stimulus_ids])
            same = len(order) == len(values) and bool((order == np.arange(len(order))).all())
            X = values if same else values[order]  # no copy when already in order
    else:
        X = features if B.is_torch(features) else np.asarray(features)
        X = X.reshape(X.shape[0], -1)
        if X.shape[0] != len(stimulus_ids):
            raise DataError(
                f"{name}: {X.shape[0]} rows but the responses have {len(stimulus_ids)} "
                "presentations (pass DataArrays with stimulus_id coords to match them by id)"
            )
    if not B.is_torch(X):  # float32 features stay float32 (the Gram matrix is float64)
        X = np.asarray(X)
        X = X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)
    # a NaN / inf makes its column sum non-finite: one pass, no temporary of X's size
    if not bool(np.isfinite(B.to_numpy(X.sum(axis=0))).all()):
        finite = B.to_numpy((X == X) & (abs(X) != float("inf")))
        if not finite.all():  # (else the sums only overflowed)
            bad_cols = int((~finite).any(axis=0).sum())
            raise DataError(
                f"{name}: {int((~finite).sum())} NaN/inf values in {bad_cols} feature "
                "column(s); clean or drop those units before scoring"
            )
    return X


class Design:
    """Features of one layer, prepared once for every split of a cross-validation.

    The Gram matrix ``X_c X_c^T`` of the features centred on all stimuli is computed once, on
    first use, by :func:`~neuroalign.encoding.ridge.centred_gram` (no centred copy of the
    features: block by block), and shared by every split: PLS always runs in kernel form (its
    NIPALS cost no longer depends on the number of features), ridge runs in dual form when
    features outnumber stimuli (``kernel=None``) or when asked (``kernel=True``), else in
    primal form on a centred copy (``X``, made only then; the centring is numerical hygiene:
    each split re-centres on its own training stimuli).
    """

    def __init__(self, X: B.Array, kernel: bool | None = None) -> None:
        self.n, self.p = X.shape
        self.features = X  # (n, p) as given (not copied)
        self.kernel = (self.p > self.n) if kernel is None else kernel
        self._X: B.Array | None = None
        self._K: B.Array | None = None

    @property
    def X(self) -> B.Array:
        """The features centred on all stimuli (n, p) (a copy, made on first use)."""
        if self._X is None:
            X = B.asarray(self.features)  # float64
            self._X = X - X.mean(axis=0)
        return self._X

    @property
    def K(self) -> B.Array:
        """The (n, n) Gram matrix of the globally centred features."""
        if self._K is None:
            self._K = centred_gram(self.features)[0]
        return self._K

    def _gram(self, train: np.ndarray, test: np.ndarray) -> tuple[B.Array, B.Array]:
        """Training block (centred on the training mean) and test-by-train block of ``K``."""
        K = self.K
        return center_gram(K[train][:, train], K[test][:, train])

    def fit_predict(
        self,
        method: str,
        train: np.ndarray,
        test: np.ndarray,
        Y: B.Array,
        alphas: Any = DEFAULT_ALPHAS,
        n_components: int = 25,
        want_train: bool = True,
        seed: int = 0,
    ) -> tuple[B.Array, B.Array | None, np.ndarray | None]:
        """Fit on ``train``; return (test predictions, training-only predictions, alphas).

        The training-only predictions (for layer selection) are exact LOO predictions (n_train,
        q) for ridge, and ``(validation indices, predictions)`` of an inner 90/10 hold-out of
        the training stimuli for PLS (``None`` if not wanted).
        """
        Y_tr = Y[train]
        if method == "ridge":
            if self.kernel:
                K_tr, K_te = self._gram(train, test)
                fit = kernel_ridge_cv(K_tr, Y_tr, alphas)
                return fit.predict(K_te), fit.loo_predictions, fit.alpha
            est = RidgeCVEncoder(alphas, solver="primal").fit(self.X[train], Y_tr)
            return est.predict(self.X[test]), est.loo_predictions_, np.asarray(est.alpha_)
        if method == "pls":
            pred = self._pls(train, test, Y, n_components)
            inner = None
            if want_train:  # inner 90/10 hold-out inside the training stimuli
                ((itr, ite),) = shuffle_splits(len(train), 1, 0.1, seed)
                fit_idx, val_idx = train[itr], train[ite]
                inner = (val_idx, self._pls(fit_idx, val_idx, Y, n_components))
            return pred, inner, None
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")

    def _pls(self, train, test, Y, n_components):
        if len(train) <= n_components:
            raise DataError(
                f"PLS with {n_components} components needs more than {n_components} training "
                f"stimuli, got {len(train)}"
            )
        K_tr, K_te = self._gram(train, test)
        return kernel_pls(K_tr, Y[train], n_components).predict(K_te)


def score_design(
    design: Design,
    data: AlignedData,
    method: str = "ridge",
    splits: list[tuple[np.ndarray, np.ndarray]] | None = None,
    n_splits: int = 10,
    test_size: float = 0.1,
    seed: int = BRAINSCORE_SEED,
    alphas: Any = DEFAULT_ALPHAS,
    n_components: int = 25,
    train_scores: bool = True,
    n_boot: int = 0,
    ceiling: Ceiling | None = None,
) -> ScoreResult:
    """Cross-validate one prepared :class:`Design` against prepared responses."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if splits is None:
        splits = shuffle_splits(len(data.stimulus_ids), n_splits, test_size, seed, data.stratify)
    if design.kernel or method == "pls":
        _ = design.K  # the one large product: computed before limiting the BLAS threads
    # the per-split fits are small: one BLAS thread each beats oversubscribed threads
    with threadpool_limits(limits=SPLIT_BLAS_THREADS, user_api="blas"):
        Y = B.asarray(data.Y, like=design.features)
        per_neuroid = np.empty((len(splits), Y.shape[1]))
        train_stat = np.full(len(splits), np.nan)
        alphas_used = [] if method == "ridge" else None
        preds = []
        for s, (train, test) in enumerate(splits):
            pred, train_pred, alpha = design.fit_predict(
                method, train, test, Y, alphas, n_components, train_scores, seed
            )
            pred = B.to_numpy(pred)
            per_neuroid[s] = pearson_columns(pred, data.Y[test])
            preds.append((test, pred, data.Y[test]))
            if train_scores and train_pred is not None:
                if method == "ridge":
                    r_tr = pearson_columns(train_pred, data.Y[train])
                else:
                    val_idx, val_pred = train_pred
                    r_tr = pearson_columns(val_pred, data.Y[val_idx])
                train_stat[s] = median_over_neuroids(r_tr)
            if alphas_used is not None:
                alphas_used.append(alpha)
        per_split = median_over_neuroids(per_neuroid)
        center = float(np.mean(per_split))
        error = float(np.std(per_split) / np.sqrt(len(splits)))
        ci_low = ci_high = float("nan")
        if n_boot and len(splits) > 1:  # stimuli, splits and neuroids (see score_interval)
            ci = score_interval(per_neuroid, test_size, len(data.stimulus_ids), n_boot, seed)
            ci_low, ci_high = ci.low, ci.high
        result = ScoreResult(
            center=center,
            error=error,
            per_split=per_split,
            per_neuroid=per_neuroid,
            neuroid_ids=data.neuroid_ids,
            method=method,
            n_splits=len(splits),
            test_size=test_size,
            seed=seed,
            n_stimuli=len(data.stimulus_ids),
            n_features=design.p,
            train_per_split=train_stat,
            alphas=None if alphas_used is None else np.stack(alphas_used),
            ci_low=ci_low,
            ci_high=ci_high,
            dropped_neuroids=data.dropped_neuroids,
            test_predictions=tuple(preds),
        )
        return result.with_ceiling(ceiling)


def cross_validated_score(
    features: Any,
    responses: Any,
    method: str = "ridge",
    n_splits: int = 10,
    test_size: float = 0.1,
    seed: int = BRAINSCORE_SEED,
    *,
    alphas: Any = DEFAULT_ALPHAS,
    n_components: int = 25,
    stratify_coord: str | None = None,
    n_boot: int = 0,
    ceiling: Ceiling | None = None,
    device: str | None = None,
    train_scores: bool = False,
) -> ScoreResult:
    """Cross-validated per-neuroid predictivity of ``responses`` from ``features``.

    Args:
        features: (presentation x feature) DataArray (conv maps are flattened) or array/tensor.
        responses: (presentation x neuroid) DataArray with ``stimulus_id`` (and ``neuroid_id``)
            coords, or an array in the same row order as ``features``.
        method: ``"ridge"`` (alpha per neuroid by exact LOO) or ``"pls"`` (25 components,
            Brain-Score's ``pls``).
        n_splits, test_size: Brain-Score's scheme, 10 random 90/10 splits.
        seed: splitter seed; ``seed=1`` reproduces Brain-Score's splits exactly.
        stratify_coord: a presentation coord (e.g. ``"object_name"``) to stratify splits by.
        n_boot: neuroid resamples of the 95 % interval of
            :func:`~neuroalign.encoding.bootstrap.score_interval` (0: none).
        ceiling: a :class:`~neuroalign.encoding.ceiling.Ceiling` to attach.
        device: ``None`` (NumPy float64) or a torch device string (``"cpu"``, ``"cuda"``).
        train_scores: also compute the training-only selection statistic.

    Returns:
        A :class:`ScoreResult`.
    """
    data = prepare_responses(responses, stratify_coord)
    X = align(features, data.stimulus_ids)
    if device is not None:
        import torch

        X = B.asarray(X, like=torch.empty(0, dtype=torch.float64, device=device))
    return score_design(
        Design(X),
        data,
        method,
        None,
        n_splits,
        test_size,
        seed,
        alphas,
        n_components,
        train_scores,
        n_boot,
        ceiling,
    )
