"""Ridge regression with one regularisation strength per neuroid, chosen by exact leave-one-out.

Model: ``Y ≈ X W + b`` (``X``: presentation x feature, ``Y``: presentation x neuroid), with an
unpenalised intercept ``b`` and the penalty ``alpha_t ||W[:, t]||²`` chosen *separately for each
neuroid t* from a grid. The choice uses the exact leave-one-out (LOO) error, computed in closed
form for every alpha from ONE eigendecomposition (Golub, Heath & Wahba 1979; Rifkin & Lippert
2007 "Notes on regularized least squares"), as scikit-learn's ``RidgeCV`` (GCV mode) and himalaya
do:

    centred X_c = U diag(s) V^T,   f_alpha = s² / (s² + alpha)
    fitted  = ȳ + U diag(f_alpha) U^T Y_c
    H_ii    = 1/n + sum_j U_ij² f_alpha,j           (the intercept is never penalised)
    e_loo   = (Y - fitted) / (1 - H_ii)

The decomposition is of ``X_c^T X_c`` (p x p, the *primal* form) when there are fewer features
than presentations, and of the Gram matrix ``X_c X_c^T`` (n x n, the *dual/kernel* form) when
features outnumber presentations; both give identical predictions. With a fixed single
``alpha`` the estimator equals ``sklearn.linear_model.Ridge``; with ``alpha_per_target=True`` it
equals ``RidgeCV(alphas, alpha_per_target=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroalign.encoding import backend as B
from neuroalign.errors import DataError

__all__ = [
    "DEFAULT_ALPHAS",
    "KernelRidgeFit",
    "RidgeCVEncoder",
    "center_gram",
    "centred_gram",
    "kernel_ridge_cv",
    "spectral_ridge_cv",
]

#: Default alpha grid: 25 values, 2 per decade from 1e-2 to 1e10 (features are not rescaled, so
#: the grid must span the range of squared singular values of raw activations).
DEFAULT_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-2, 10, 25))


def _check_xy(X: Any, Y: Any) -> tuple[B.Array, B.Array, bool]:
    """Features (n, p) and responses (n, q) as backend arrays, and whether Y was 1-D (one
    target, returned as (n, 1))."""
    X = B.asarray(X)
    Y = B.asarray(Y, like=X)
    y_1d = Y.ndim == 1
    if y_1d:
        Y = Y[:, None]
    if X.ndim != 2 or Y.ndim != 2:
        raise DataError(
            f"expected 2-D features and responses, got shapes {tuple(X.shape)} and {tuple(Y.shape)}"
        )
    if X.shape[0] != Y.shape[0]:
        raise DataError(f"features have {X.shape[0]} presentations but responses have {Y.shape[0]}")
    return X, Y, y_1d


def spectral_ridge_cv(
    U: B.Array,
    s2: B.Array,
    Y_c: B.Array,
    alphas: Any,
    fit_intercept: bool = True,
) -> tuple[B.Array, B.Array, B.Array]:
    """Exact LOO errors of ridge for every alpha, from one decomposition, best alpha per target.

    Args:
        U: (n, r) left singular vectors of the centred design (orthonormal columns).
        s2: (r,) the matching squared singular values (eigenvalues of the Gram matrix).
        Y_c: (n, q) centred targets.
        alphas: (A,) grid of penalties.
        fit_intercept: whether the design was centred (adds the 1/n leverage of the intercept).

    Returns:
        ``best`` (q,) index into ``alphas`` (first minimum, as ``np.argmin``), ``loo_mse``
        (A, q) mean squared LOO residuals, ``loo_residuals`` (n, q) at the best alpha.
    """
    n = Y_c.shape[0]
    alphas_np = np.asarray(alphas, dtype=np.float64).ravel()
    if alphas_np.size == 0 or np.any(alphas_np <= 0):
        raise ValueError(f"alphas must be a non-empty grid of positive numbers, got {alphas!r}")
    UTy = U.T @ Y_c  # (r, q)
    outside = Y_c - U @ UTy  # the part of Y_c outside span(U): never fitted
    # shrink (A, r): alpha / (s2 + alpha) = 1 - f_alpha, the unfitted share of each component
    alpha_col = B.asarray(alphas_np[:, None], like=s2)  # (A, 1)
    shrink = alpha_col / (s2[None, :] + alpha_col)
    leverage = (U * U) @ (1.0 - shrink).T + (1.0 / n if fit_intercept else 0.0)  # (n, A)
    one_minus_h = 1.0 - leverage
    one_minus_h[one_minus_h < 1e-12] = 1e-12  # interpolation: LOO error is huge, never chosen
    q = Y_c.shape[1]
    best = np.zeros(q, dtype=np.int64)
    loo_mse = B.zeros((alphas_np.size, q), like=Y_c)
    best_res = B.zeros((n, q), like=Y_c)
    chunk = max(1, SPECTRAL_CHUNK_ELEMENTS // (alphas_np.size * n))  # targets per batch
    for start in range(0, q, chunk):
        cols = slice(start, start + chunk)
        # residuals of every alpha at once, U diag(1 - f) U^T y + outside: one product
        coef = shrink.T[:, :, None] * UTy[:, None, cols]  # (r, A, c)
        width = coef.shape[2]
        res = (U @ coef.reshape(coef.shape[0], -1)).reshape(n, alphas_np.size, width)
        res += outside[:, None, cols]
        res /= one_minus_h[:, :, None]
        mse = (res * res).mean(axis=0)  # (A, c)
        loo_mse[:, cols] = mse
        idx = np.argmin(B.to_numpy(mse), axis=0)  # first minimum, as before
        best[cols] = idx
        pick = (idx, np.arange(width))
        if B.is_torch(res):
            import torch

            pick = tuple(torch.as_tensor(i, device=res.device) for i in pick)
        best_res[:, cols] = res[:, pick[0], pick[1]]  # (n, c) at each target's best alpha
    return best, loo_mse, best_res


#: Largest (alphas x stimuli x targets) block of LOO residuals :func:`spectral_ridge_cv` forms
#: at once (float64: 128 MB).
SPECTRAL_CHUNK_ELEMENTS = 2**24


#: Columns centred at a time by :func:`centred_gram`: its transient copy is at most this many
#: columns (or 1/16 of the features), so the peak memory stays near the features themselves.
GRAM_BLOCK_COLUMNS = 4096


def centred_gram(X: B.Array) -> tuple[B.Array, B.Array]:
    """Gram matrix ``X_c X_c^T`` (n, n) of the column-centred features and the column means (p,).

    The same numbers as centring a copy of ``X`` (n, p) and multiplying, without the copy:
    the columns are centred and multiplied in blocks of at most :data:`GRAM_BLOCK_COLUMNS`
    (and 1/16 of ``p``), and the block products summed, so the extra memory is one block.
    float32 NumPy features are centred and multiplied in float64, block by block.
    """
    n, p = X.shape
    upcast = isinstance(X, np.ndarray) and X.dtype != np.float64  # float32 features
    mean = X.mean(axis=0, dtype=np.float64) if upcast else X.mean(axis=0)
    block = max(1, min(GRAM_BLOCK_COLUMNS, -(-p // 16)))
    K = B.zeros((n, n), like=mean[:1, None])
    for start in range(0, p, block):
        part = X[:, start : start + block]
        part = (part.astype(np.float64) if upcast else part) - mean[start : start + block]
        K += part @ part.T  # numpy: syrk, half the flops of a general product
    return K, mean


def center_gram(K: B.Array, K_test: B.Array | None = None) -> tuple[B.Array, B.Array | None]:
    """Centre a Gram matrix ``K = X X^T`` (n, n) as if ``X`` had been centred on its rows' mean.

    ``K_test = X_test X^T`` (m, n) is centred with the same (training) mean. Returns both.
    """
    col_mean = K.mean(axis=0, keepdims=True)
    total = K.mean()
    K_c = K - col_mean - col_mean.T + total
    K_test_c = None
    if K_test is not None:
        K_test_c = K_test - K_test.mean(axis=1, keepdims=True) - col_mean + total
    return K_c, K_test_c


@dataclass(frozen=True)
class KernelRidgeFit:
    """A ridge fit in dual form: ``predict(K_test_c) = K_test_c @ dual_coef + y_mean``.

    Attributes: dual_coef (n, q); alpha (q,) chosen penalties; alpha_index (q,) into the grid;
    loo_mse (A, q); loo_predictions (n, q) the exact LOO predictions of the training targets at
    the chosen alphas; y_mean (q,).
    """

    dual_coef: B.Array
    alpha: np.ndarray
    alpha_index: np.ndarray
    loo_mse: B.Array
    loo_predictions: B.Array
    y_mean: B.Array

    def predict(self, K_test_c: B.Array) -> B.Array:
        return K_test_c @ self.dual_coef + self.y_mean


def _decompose(G: B.Array, n: int) -> tuple[B.Array, B.Array]:
    """Eigen-decompose a PSD matrix, keeping numerically non-zero eigenvalues."""
    s2, vecs = B.eigh(G)
    s2_np = B.to_numpy(s2)
    tol = max(float(s2_np.max()), 0.0) * max(G.shape[0], n) * 1e-13
    keep = np.nonzero(s2_np > tol)[0]
    return s2[keep], vecs[:, keep]


def kernel_ridge_cv(
    K_c: B.Array,
    Y: Any,
    alphas: Any = DEFAULT_ALPHAS,
    alpha_per_target: bool = True,
) -> KernelRidgeFit:
    """Ridge with LOO-chosen alphas from a centred Gram matrix ``K_c`` (n, n) and targets (n, q).

    This is the dual form used when features outnumber presentations; ``K_c`` comes from
    :func:`center_gram`. The intercept is unpenalised.
    """
    Y = B.asarray(Y, like=K_c)
    n = K_c.shape[0]
    y_mean = Y.mean(axis=0)
    Y_c = Y - y_mean
    s2, U = _decompose(K_c, n)
    best, loo_mse, res = _select(U, s2, Y_c, alphas, alpha_per_target)
    alpha = np.asarray(alphas, dtype=np.float64)[best]
    alpha_t = B.asarray(alpha, like=K_c)
    dual_coef = U @ ((U.T @ Y_c) / (s2[:, None] + alpha_t[None, :]))
    return KernelRidgeFit(dual_coef, alpha, best, loo_mse, Y - res, y_mean)


def _select(U, s2, Y_c, alphas, alpha_per_target):
    best, loo_mse, res = spectral_ridge_cv(U, s2, Y_c, alphas)
    if not alpha_per_target:  # one alpha for all targets: the best mean LOO error
        i = int(np.argmin(B.to_numpy(loo_mse).mean(axis=1)))
        best = np.full(Y_c.shape[1], i, dtype=np.int64)
        _, _, res = spectral_ridge_cv(U, s2, Y_c, [np.asarray(alphas, dtype=np.float64).ravel()[i]])
    return best, loo_mse, res


class RidgeCVEncoder:
    """Ridge regression, alpha per neuroid by exact LOO, scikit-learn style (himalaya-like).

    Args:
        alphas: grid of penalties (a single value gives plain ridge).
        alpha_per_target: choose one alpha per neuroid (default) or one for all.
        solver: ``"auto"`` (dual when n_features > n_samples), ``"primal"`` or ``"dual"``.

    Fitted attributes: ``alpha_`` (q,), ``coef_`` (q, p), ``intercept_`` (q,),
    ``loo_mse_`` (A, q), ``loo_predictions_`` (n, q), ``n_features_in_``, ``solver_``.

    Works on NumPy arrays or torch tensors (CPU/CUDA); outputs follow the input type.
    """

    def __init__(
        self,
        alphas: Any = DEFAULT_ALPHAS,
        alpha_per_target: bool = True,
        solver: str = "auto",
    ) -> None:
        if solver not in ("auto", "primal", "dual"):
            raise ValueError(f"solver must be 'auto', 'primal' or 'dual', got {solver!r}")
        self.alphas = alphas
        self.alpha_per_target = alpha_per_target
        self.solver = solver

    def fit(self, X: Any, Y: Any) -> RidgeCVEncoder:
        """Fit on features ``X`` (n, p) and responses ``Y`` (n, q) (1-D ``Y`` is one target)."""
        X, Y, self._y_1d = _check_xy(X, Y)
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64))
        n, p = X.shape
        solver = self.solver if self.solver != "auto" else ("dual" if p > n else "primal")
        if solver == "dual":  # no centred copy of X: X_c^T d = X^T d - x_mean (1^T d)
            K_c, x_mean = centred_gram(X)
            fit = kernel_ridge_cv(K_c, Y, alphas, self.alpha_per_target)
            coef = X.T @ fit.dual_coef - x_mean[:, None] * fit.dual_coef.sum(axis=0)[None, :]
            self.alpha_, self.loo_mse_, self.loo_predictions_ = (
                fit.alpha,
                fit.loo_mse,
                fit.loo_predictions,
            )
            y_mean = fit.y_mean
        else:
            x_mean = X.mean(axis=0)
            X_c = X - x_mean
            y_mean = Y.mean(axis=0)
            Y_c = Y - y_mean
            s2, V = _decompose(X_c.T @ X_c, n)
            U = (X_c @ V) / (s2**0.5)[None, :]
            best, self.loo_mse_, res = _select(U, s2, Y_c, alphas, self.alpha_per_target)
            self.alpha_ = alphas[best]
            alpha_t = B.asarray(self.alpha_, like=X)
            coef = V @ ((s2**0.5)[:, None] * (U.T @ Y_c) / (s2[:, None] + alpha_t[None, :]))
            self.loo_predictions_ = Y - res
        self.coef_ = coef.T
        self.intercept_ = y_mean - x_mean @ coef
        self.n_features_in_ = p
        self.solver_ = solver
        return self

    def predict(self, X: Any) -> B.Array:
        """Predicted responses (m, q) for features ``X`` (m, p)."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("RidgeCVEncoder is not fitted yet; call fit(X, Y) first")
        X = B.asarray(X, like=self.coef_)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise DataError(
                f"expected features of shape (m, {self.n_features_in_}), got {tuple(X.shape)}"
            )
        out = X @ self.coef_.T + self.intercept_
        return out[:, 0] if self._y_1d else out
