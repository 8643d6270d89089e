"""PLS regression (NIPALS), numerically equal to scikit-learn's ``PLSRegression(scale=False)``.

Brain-Score's ``pls`` metric maps model features to neural responses with
``PLSRegression(n_components=25, scale=False)`` (Yamins et al. 2014, PNAS; Schrimpf et al. 2018).
This module implements the same algorithm, PLS2 by NIPALS with regression deflation
(Wold 1975; Wegelin 2000, "A survey of partial least squares (PLS) methods"), step by step as
scikit-learn does it (same start vector, same power iteration, same stopping rule
``||w - w_old||² < tol``, same ``eps`` guards), in two equivalent forms:

* primal (``n_features <= n_samples``): on the centred features ``X`` (n, p) directly;
* kernel (``n_features > n_samples``): on the centred Gram matrix ``K = X X^T`` (n, n) only
  (Lindgren, Geladi & Wold 1993; Rännar et al. 1994, "A PLS kernel algorithm for data sets with
  many variables and fewer objects"). Every NIPALS quantity is rewritten with ``w = X^T a``:
  ``||w||² = a^T K a``, scores ``t = K a``, deflation ``K <- P K P`` with
  ``P = I - t t^T / t^T t``. The cost per iteration drops from O(n p) to O(n²), and the Gram
  matrix of all stimuli is computed once and shared by every cross-validation split.

Both give the same predictions as scikit-learn up to floating-point rounding.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroalign.encoding import backend as B
from neuroalign.encoding.ridge import _check_xy, centred_gram
from neuroalign.errors import DataError

__all__ = ["KernelPLSFit", "PLSEncoder", "kernel_pls", "primal_pls"]

_EPS = float(np.finfo(np.float64).eps)


def _first_nonconstant_column(Y: B.Array, eps: float) -> B.Array | None:
    big = B.to_numpy((abs(Y) > eps).any(axis=0))
    idx = np.nonzero(big)[0]
    return None if idx.size == 0 else Y[:, int(idx[0])]


def _mask_tiny_columns(Y: B.Array, eps: float) -> None:
    tiny = (abs(Y) < 10 * eps).all(axis=0)
    if bool(tiny.any()):
        Y[:, tiny] = 0.0


def primal_pls(
    X_c: B.Array, Y_c: B.Array, n_components: int = 25, max_iter: int = 500, tol: float = 1e-06
) -> tuple[B.Array, B.Array, B.Array, list[int]]:
    """NIPALS PLS2 on centred ``X_c`` (n, p) and ``Y_c`` (n, q), as scikit-learn.

    Returns the x weights W (p, k), x loadings P (p, k), y loadings Q (q, k) and the iteration
    counts; ``coef = W pinv(P^T W) Q^T`` (p, q). Arrays are not modified.
    """
    Xk, Yk = (
        X_c.clone() if B.is_torch(X_c) else X_c.copy(),
        Y_c.clone() if B.is_torch(Y_c) else Y_c.copy(),
    )
    eps = float(np.finfo(B.to_numpy(X_c[:1, :1]).dtype).eps)
    W, P, Q, n_iters = [], [], [], []
    for _ in range(n_components):
        _mask_tiny_columns(Yk, eps)
        y_score = _first_nonconstant_column(Yk, eps)
        if y_score is None:
            warnings.warn(f"Y residual is constant after {len(W)} PLS components", stacklevel=2)
            break
        w_old = 0.0
        for i in range(max_iter):  # noqa: B007
            w = (Xk.T @ y_score) / (y_score @ y_score)
            w = w / ((w @ w) ** 0.5 + eps)
            x_score = Xk @ w
            c = (Yk.T @ x_score) / (x_score @ x_score)
            y_score = (Yk @ c) / ((c @ c) + eps)
            diff = w - w_old
            if float(diff @ diff) < tol or Yk.shape[1] == 1:
                break
            w_old = w
        n_iters.append(i + 1)
        t = Xk @ w
        tt = t @ t
        p = (t @ Xk) / tt
        Xk -= t[:, None] * p[None, :]
        q = (t @ Yk) / tt
        Yk -= t[:, None] * q[None, :]
        W.append(w)
        P.append(p)
        Q.append(q)
    return _stack(W), _stack(P), _stack(Q), n_iters


def _stack(vectors: list[B.Array]) -> B.Array:
    if B.is_torch(vectors[0]):
        import torch

        return torch.stack(vectors, dim=1)
    return np.stack(vectors, axis=1)


@dataclass(frozen=True)
class KernelPLSFit:
    """A PLS fit in kernel form: ``predict(K_test_c) = K_test_c @ dual_coef + y_mean``.

    ``dual_coef`` (n, q) satisfies ``coef = X_c^T dual_coef`` for the primal coefficients.
    """

    dual_coef: B.Array
    y_mean: B.Array
    n_iter: tuple[int, ...]

    def predict(self, K_test_c: B.Array) -> B.Array:
        return K_test_c @ self.dual_coef + self.y_mean


def kernel_pls(
    K_c: B.Array, Y: Any, n_components: int = 25, max_iter: int = 500, tol: float = 1e-06
) -> KernelPLSFit:
    """NIPALS PLS2 from a centred Gram matrix ``K_c = X_c X_c^T`` (n, n) and targets (n, q).

    The same iterates as :func:`primal_pls`, rewritten twice. (1) Kernel form: every x weight
    is ``w = X_k^T a`` for a vector ``a`` over stimuli, so ``||w||² = a^T K_k a`` and the x
    scores are ``t = K_k a``. (2) Target form: every NIPALS y score is ``u = Y_k b`` for a
    vector ``b`` over neuroids, so one power-iteration step only needs the (q, q) matrices
    ``S = Y^T Y``, ``G = Y^T K Y`` and ``H = (K Y)^T (K Y)``, and the stopping rule
    ``||w - w_old||² = (β - β_old)^T G (β - β_old)``. The deflated products ``K_k Y_k`` are
    updated by rank-one corrections (``K_k t = M_k K t`` with ``M_k`` projecting out the
    earlier scores), so a fit costs one O(n² q) product plus O(n²) per component.
    """
    Y = B.asarray(Y, like=K_c)
    y_mean = Y.mean(axis=0)
    Yk = Y - y_mean
    KYk = K_c @ Yk
    eps = _EPS if B.to_numpy(K_c[:1, :1]).dtype == np.float64 else float(np.finfo(np.float32).eps)
    A, T, Q, n_iters = [], [], [], []
    for _ in range(n_components):
        tiny = (abs(Yk) < 10 * eps).all(axis=0)
        if bool(tiny.any()):
            Yk[:, tiny] = 0.0
            KYk[:, tiny] = 0.0
        big = np.nonzero(B.to_numpy((abs(Yk) > eps).any(axis=0)))[0]
        if big.size == 0:
            warnings.warn(f"Y residual is constant after {len(A)} PLS components", stacklevel=2)
            break
        S = Yk.T @ Yk
        G = Yk.T @ KYk
        H = KYk.T @ KYk
        b = B.zeros((Yk.shape[1],), like=Yk)
        b[int(big[0])] = 1.0  # u = first non-constant column of Y_k
        beta_old = None
        for i in range(max_iter):  # noqa: B007
            bSb = b @ S @ b  # u^T u
            norm = ((b @ G @ b) / (bSb * bSb)) ** 0.5 + eps  # ||X_k^T u / u^T u|| + eps
            beta = b / (bSb * norm)  # w = X_k^T Y_k beta, t = K_k Y_k beta
            c = (G @ beta) / (beta @ H @ beta)  # Y_k^T t / t^T t
            b = c / ((c @ c) + eps)  # u = Y_k c / (c^T c + eps)
            if beta_old is None:
                diff = float(beta @ G @ beta)  # ||w - 0||²
            else:
                d = beta - beta_old
                diff = float(d @ G @ d)
            if diff < tol or Yk.shape[1] == 1:
                break
            beta_old = beta
        n_iters.append(i + 1)
        a = Yk @ beta
        t = KYk @ beta
        tt = t @ t
        q = (t @ Yk) / tt
        Kt = K_c @ t
        if T:
            T_prev = _stack(T)
            Kt = Kt - T_prev @ ((T_prev.T @ Kt) / (T_prev * T_prev).sum(axis=0))  # K_k t
        Yk -= t[:, None] * q[None, :]
        Z = KYk - Kt[:, None] * q[None, :]  # K_k Y_{k+1}
        KYk = Z - t[:, None] * ((t @ Z) / tt)[None, :]  # K_{k+1} Y_{k+1}
        A.append(a)
        T.append(t)
        Q.append(q)
    A_, T_, Q_ = _stack(A), _stack(T), _stack(Q)
    # w_k = X^T (M_k a_k), M_k = I - sum_{j<k} t_j t_j^T / t_j^T t_j ; p_k = X^T t_k / t_k^T t_k
    tt_all = (T_ * T_).sum(axis=0)
    proj = T_.T @ A_ / tt_all[:, None]  # (k, k): coefficient of t_j in a_k
    k = A_.shape[1]
    mask = np.triu(np.ones((k, k)), 1)  # j < k strictly
    proj = proj * B.asarray(mask, like=proj)
    A_tilde = A_ - T_ @ proj
    B_ = T_ / tt_all[None, :]
    PtW = B_.T @ (K_c @ A_tilde)
    dual_coef = A_tilde @ (B.pinv(PtW) @ Q_.T)
    return KernelPLSFit(dual_coef, y_mean, tuple(n_iters))


class PLSEncoder:
    """PLS regression (NIPALS, no scaling), scikit-learn style, equal to ``PLSRegression``.

    Args:
        n_components: number of latent components (Brain-Score: 25).
        max_iter, tol: NIPALS power-iteration limits (scikit-learn's defaults).
        solver: ``"auto"`` (kernel form when n_features > n_samples), ``"primal"``, ``"kernel"``.

    Fitted attributes: ``coef_`` (q, p), ``intercept_`` (q,), ``n_iter_`` (per component),
    ``x_weights_`` / ``x_loadings_`` / ``y_loadings_`` (primal solver only), ``solver_``.
    """

    def __init__(
        self, n_components: int = 25, max_iter: int = 500, tol: float = 1e-06, solver: str = "auto"
    ) -> None:
        if solver not in ("auto", "primal", "kernel"):
            raise ValueError(f"solver must be 'auto', 'primal' or 'kernel', got {solver!r}")
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver

    def fit(self, X: Any, Y: Any) -> PLSEncoder:
        """Fit on features ``X`` (n, p) and responses ``Y`` (n, q) (1-D ``Y`` is one target)."""
        X, Y, self._y_1d = _check_xy(X, Y)
        n, p = X.shape
        if not 1 <= self.n_components <= min(n - 1, p):
            raise DataError(
                f"n_components={self.n_components} must be between 1 and min(n_samples - 1, "
                f"n_features) = {min(n - 1, p)}"
            )
        y_mean = Y.mean(axis=0)
        solver = self.solver if self.solver != "auto" else ("kernel" if p > n else "primal")
        if solver == "kernel":  # no centred copy of X: X_c^T d = X^T d - x_mean (1^T d)
            K_c, x_mean = centred_gram(X)
            fit = kernel_pls(K_c, Y, self.n_components, self.max_iter, self.tol)
            coef = X.T @ fit.dual_coef - x_mean[:, None] * fit.dual_coef.sum(axis=0)[None, :]
            self.n_iter_ = list(fit.n_iter)
        else:
            x_mean = X.mean(axis=0)
            X_c = X - x_mean
            W, P, Q, self.n_iter_ = primal_pls(
                X_c, Y - y_mean, self.n_components, self.max_iter, self.tol
            )
            self.x_weights_, self.x_loadings_, self.y_loadings_ = W, P, Q
            coef = W @ (B.pinv(P.T @ W) @ Q.T)
        self.coef_ = coef.T
        self.intercept_ = y_mean
        self._x_mean = x_mean
        self.n_features_in_ = p
        self.solver_ = solver
        return self

    def predict(self, X: Any) -> B.Array:
        """Predicted responses (m, q) for features ``X`` (m, p)."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("PLSEncoder is not fitted yet; call fit(X, Y) first")
        X = B.asarray(X, like=self.coef_)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise DataError(
                f"expected features of shape (m, {self.n_features_in_}), got {tuple(X.shape)}"
            )
        out = (X - self._x_mean) @ self.coef_.T + self.intercept_
        return out[:, 0] if self._y_1d else out
