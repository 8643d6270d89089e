"""Mean-field manifold capacity, radius and dimension (replica theory of manifold packing).

Chung, Lee & Sompolinsky, "Classification and geometry of general perceptual manifolds",
Phys. Rev. X 8, 031003 (2018); Cohen, Chung, Lee & Sompolinsky, "Separability and geometry of
object manifolds in deep neural networks", Nat. Commun. 11, 746 (2020). The algorithm follows
the reference implementation's definitions (github.com/schung039/neural_manifolds_replicaMFT,
``manifold_analysis_corr``), re-derived from the papers and solved in batches on torch.

Pipeline for P manifolds, each a cloud of points (n_points_i, n_features):

1. Subtract the global mean of all points.
2. Centre-correlation removal (Cohen et al. 2020, Methods): the P centres are expressed in a
   (P-1)-dim basis; for K = 1, 2, ... an orthonormal K-frame V is found that minimises
   sum_{mu,nu} (C_{mu nu} - c_mu.c_nu)^2 / (c0_mu c0_nu) (C = Gram matrix of the centres,
   c_mu = projection of centre mu on V, c0_mu = its residual squared norm), best of ``n_reps``
   random starts by stability (smallest residual/original centre norm); K is the one whose
   residual centres have the smallest mean |correlation|. The K shared directions are projected
   out of every manifold.
3. Each manifold is centred on its own (projected) centre and divided by that centre's norm;
   its points are written in an orthonormal basis of their span (D_i = min(n_features, m_i)
   coordinates) and a constant "centre" coordinate 1 is appended: s_mu in R^{D_i + 1}.
4. For n_t Gaussian vectors t in R^{D_i + 1}, solve the quadratic programme
   F(t) = min_v ||v - t||^2  s.t.  v.s_mu <= -kappa for every point mu
   (this sign convention is the reference's). With Lagrange multipliers lambda_mu the
   "anchor point" is s~(t) = sum_mu lambda_mu s_mu / sum_mu lambda_mu (or the point of largest
   projection on t when t itself is feasible).
5. Capacity alpha_i = 1 / < max(t.s~ + kappa, 0)^2 / ||s~||^2 >_t (PRX 2018 eqs. 16-17);
   anchor radius R_i^2 = < ||ds~||^2 >_t with ds~ = (s~ - <s~>_t) restricted to the manifold
   coordinates, divided by the centre coordinate (eq. 28); anchor dimension
   D_i^M = D_i < t^_D . s^~_D >_t^2 (eq. 29, unit vectors of the manifold coordinates).
6. Summary over manifolds: capacity = 1 / mean(1 / alpha_i), radius = mean R_i,
   dimension = mean D_i^M (as in the reference's examples).

The quadratic programmes of all manifolds and all t are solved at once by a batched
primal-dual interior-point method (Mehrotra predictor-corrector, float64), so 100 manifolds
take seconds. Known answers: a point manifold at kappa = 0 has capacity exactly 2 (Gardner's
bound); a line segment of half-length R (in units of its centre norm) has
1 / alpha = 1/2 + 2 arctan(R) / pi.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from neuroalign.defaults import CAPACITY_N_T
from neuroalign.errors import DataError

__all__ = [
    "DEFAULT_N_T",
    "AnchorResult",
    "CapacityResult",
    "anchor_analysis",
    "manifold_capacity",
    "prepare_manifolds",
    "remove_center_correlations",
    "solve_anchor_qp",
]


#: Gaussian t vectors per manifold (see :data:`neuroalign.defaults.CAPACITY_N_T`).
DEFAULT_N_T = CAPACITY_N_T


@dataclass(frozen=True)
class AnchorResult:
    """Per-manifold mean-field values (arrays of shape (P,))."""

    capacity: np.ndarray
    radius: np.ndarray
    dimension: np.ndarray


@dataclass(frozen=True)
class CapacityResult:
    """Mean-field capacity analysis of P manifolds.

    Attributes:
        capacity: 1 / mean(1 / alpha_i), the capacity of the whole set (P / N at the
            transition).
        radius, dimension: mean anchor radius and anchor dimension over manifolds.
        per_manifold: one row per manifold: manifold, n_points, capacity, radius, dimension,
            center_norm (norm of the centre after steps 1-2, the unit of the radius).
        residual_correlation: mean |correlation| between centres before step 2.
        n_removed: K, the number of shared centre directions projected out (0 if skipped).
        kappa, n_t: the margin and the number of Gaussian vectors per manifold.
    """

    capacity: float
    radius: float
    dimension: float
    per_manifold: pd.DataFrame
    residual_correlation: float
    n_removed: int
    kappa: float
    n_t: int

    def as_dict(self) -> dict[str, float]:
        """The summary numbers as a flat dict (for tables)."""
        return {
            "capacity": self.capacity,
            "radius": self.radius,
            "dimension": self.dimension,
            "residual_correlation": self.residual_correlation,
            "n_removed": self.n_removed,
            "kappa": self.kappa,
            "n_t": self.n_t,
        }


@contextlib.contextmanager
def _single_threaded() -> Iterator[None]:
    """Run torch and BLAS on one thread.

    Every operation here is on many tiny matrices (n <= a few hundred), where handing work
    between threads costs more than it saves; on a busy machine multi-threading was measured
    10-20x slower. Restores the previous settings on exit.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


# ----------------------------------------------------------------------------------------------
# Batched quadratic programme


def _step_to_boundary(x: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Largest a in [0, 1] with x + a dx >= 0, over the last axis."""
    ratio = torch.where(dx < 0, -x / dx.clamp(max=-1e-300), torch.full_like(x, float("inf")))
    return ratio.amin(dim=-1).clamp(max=1.0)


def _newton_direction(
    A: torch.Tensor,
    L: torch.Tensor,
    w: torch.Tensor,
    slack: torch.Tensor,
    lam: torch.Tensor,
    r_d: torch.Tensor,
    r_p: torch.Tensor,
    r_c: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Newton step (dv, ds, dlam) of the KKT system, reduced to (I + A^T W A) dv = rhs.

    KKT residuals: r_d = v - t + A^T lam, r_p = A v + s - h, r_c = s o lam - sigma mu;
    W = diag(lam / s) and L is the Cholesky factor of I + A^T W A.
    """
    rhs = -r_d - torch.einsum("bmn,bm->bn", A, w * r_p - r_c / slack)
    dv = torch.cholesky_solve(rhs[..., None], L)[..., 0]
    dlam = w * (torch.einsum("bmn,bn->bm", A, dv) + r_p) - r_c / slack
    ds = -r_c / lam - (slack / lam) * dlam
    return dv, ds, dlam


def solve_anchor_qp(
    A: torch.Tensor,
    h: torch.Tensor,
    t: torch.Tensor,
    *,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve min_v 1/2 ||v - t||^2 s.t. A v <= h for a batch, by Mehrotra's interior point.

    Args:
        A: constraint normals (B, m, n): the rows of A[b] are the points of problem b.
        h: bounds (B, m).
        t: the vectors to project (B, n).

    Returns:
        v (B, n), the solution, and lam (B, m) >= 0, the Lagrange multipliers
        (v = t - A^T lam at the optimum). Each problem stops once its scaled residuals and
        duality measure are below ``tol``.
    """
    A = A.to(torch.float64)
    h = h.to(torch.float64)
    t = t.to(torch.float64)
    n = t.shape[-1]
    eye = torch.eye(n, dtype=t.dtype, device=t.device)
    v = torch.zeros_like(t)
    slack = (h - torch.einsum("bmn,bn->bm", A, v)).clamp(min=1.0)
    lam = torch.ones_like(slack)
    scale = 1.0 + t.abs().amax(dim=-1)
    for _ in range(max_iter):
        r_d = v - t + torch.einsum("bmn,bm->bn", A, lam)
        r_p = torch.einsum("bmn,bn->bm", A, v) + slack - h
        mu = (slack * lam).mean(dim=-1)
        err = torch.maximum(r_d.abs().amax(-1), r_p.abs().amax(-1)) / scale
        active = torch.maximum(err, mu / scale) >= tol  # converged problems are frozen
        if not bool(active.any()):
            break
        w = lam / slack
        B = w.sqrt()[..., None] * A  # (B, m, n)
        L, _ = torch.linalg.cholesky_ex(eye + B.transpose(-1, -2) @ B)
        # predictor (affine-scaling) step, then Mehrotra's centring-corrector step
        dv, ds, dl = _newton_direction(A, L, w, slack, lam, r_d, r_p, slack * lam)
        a_aff = torch.minimum(_step_to_boundary(slack, ds), _step_to_boundary(lam, dl))[..., None]
        mu_aff = ((slack + a_aff * ds) * (lam + a_aff * dl)).mean(dim=-1)
        sigma = (mu_aff / mu.clamp(min=1e-300)).clamp(0.0, 1.0) ** 3
        r_c = slack * lam + ds * dl - (sigma * mu)[..., None]
        dv, ds, dl = _newton_direction(A, L, w, slack, lam, r_d, r_p, r_c)
        step = torch.minimum(_step_to_boundary(slack, ds), _step_to_boundary(lam, dl))
        step = torch.where(active, torch.clamp(0.99 * step, max=1.0), 0.0)
        step = torch.nan_to_num(step, nan=0.0)[..., None]
        v = v + step * dv
        slack = (slack + step * ds).clamp(min=1e-300)
        lam = (lam + step * dl).clamp(min=1e-300)
    return v, lam


def _hard_anchors_nnls(
    A: torch.Tensor,
    valid: torch.Tensor,
    T: torch.Tensor,
    kappa: float,
    idx: torch.Tensor,
    anchor: torch.Tensor,
) -> None:
    """Anchor points of the problems ``idx`` (K, 2) from the dual, in place in ``anchor``.

    The dual of min_v 1/2 ||v - t||^2 s.t. A v <= -kappa is min_{lam >= 0} 1/2 ||A^T lam||^2
    - lam^T (A t + kappa); every row of A starts with the centre coordinate 1, so kappa sum(lam)
    = kappa e0^T A^T lam and the dual is the non-negative least-squares problem
    min_{lam >= 0} ||A^T lam - (t + kappa e0)||, solved exactly by Lawson & Hanson's active set
    (scipy's ``nnls``). Then t - v = A^T lam and s~ = A^T lam / sum(lam). On the CPU this is
    several times faster than the batched interior point (used on other devices).
    """
    from scipy.optimize import nnls

    A_np, T_np, n_valid = A.numpy(), T.numpy(), valid.sum(1).numpy()
    shift = np.zeros(T_np.shape[-1])
    shift[0] = kappa
    for p, c in idx.tolist():
        At = A_np[p, : n_valid[p]].T  # (n, m_p)
        lam, _ = nnls(At, T_np[p, c] + shift)
        t_minus_v = At @ lam
        lam_sum = lam.sum()
        if lam_sum > 0 and np.linalg.norm(t_minus_v) >= 1e-8:
            anchor[p, c] = torch.from_numpy(t_minus_v / lam_sum)


def _anchor_points(
    A: torch.Tensor, h: torch.Tensor, valid: torch.Tensor, T: torch.Tensor, kappa: float
) -> torch.Tensor:
    """Anchor points s~(t) (P, c, n) of every manifold p (rows A[p]) for every t in T[p].

    Three regimes (Chung et al. 2018): "interior" (t is feasible: the point of largest
    projection on t), "touching" (one active point: v = t - lambda s_best, checked for
    feasibility) and the rest, solved by :func:`solve_anchor_qp`, where
    s~ = sum lam_mu s_mu / sum lam_mu.
    """
    n = T.shape[-1]
    proj = torch.einsum("pmn,pcn->pcm", A, T).masked_fill(~valid[:, None, :], -torch.inf)
    best = proj.argmax(dim=-1)  # (P, c)
    gg = proj.gather(-1, best[..., None])[..., 0]
    ss = torch.gather(A, 1, best[..., None].expand(-1, -1, n))  # (P, c, n)
    anchor = ss.clone()
    interior = gg + kappa < 0
    # Touching regime: a single active constraint.
    lam1 = (gg + kappa) / (ss**2).sum(-1)
    v1 = T - lam1[..., None] * ss
    viol = (torch.einsum("pmn,pcn->pcm", A, v1) + kappa).masked_fill(~valid[:, None, :], -torch.inf)
    touching = ~interior & (viol.amax(-1) <= 1e-10 * (1.0 + T.abs().amax(-1)))
    hard = ~interior & ~touching
    idx = hard.nonzero(as_tuple=False)  # (K, 2): manifold, t index
    if A.device.type == "cpu":
        _hard_anchors_nnls(A, valid, T, kappa, idx, anchor)
        return anchor
    m = A.shape[1]
    per_problem = (m * n + n * n + 6 * m + 4 * n) * 8
    chunk = max(1, int(2e8 // per_problem))
    for start in range(0, idx.shape[0], chunk):
        sel = idx[start : start + chunk]
        p, c = sel[:, 0], sel[:, 1]
        v, lam = solve_anchor_qp(A[p], h[p], T[p, c])
        lam = lam * valid[p]
        lam_sum = lam.sum(-1)
        ok = ((v - T[p, c]).norm(dim=-1) >= 1e-8) & (lam_sum > 0)
        s_qp = (T[p, c] - v) / torch.where(ok, lam_sum, 1.0)[..., None]
        anchor[p, c] = torch.where(ok[..., None], s_qp, ss[p, c])
    return anchor


# ----------------------------------------------------------------------------------------------
# Anchor-point analysis of normalised manifolds


def anchor_analysis(
    manifolds: Sequence[ArrayLike],
    kappa: float = 0.0,
    n_t: int = DEFAULT_N_T,
    seed: int = 0,
    *,
    t_vectors: Sequence[ArrayLike] | None = None,
    device: str | torch.device | None = None,
) -> AnchorResult:
    """Steps 4-5 for manifolds already centred and scaled by their centre norm.

    Args:
        manifolds: P arrays (m_i, D_i): the points of manifold i relative to its centre, in
            units of the centre's norm, in D_i coordinates (the centre coordinate 1 is added
            here).
        kappa: margin (>= 0 in the theory; any real is accepted).
        n_t: Gaussian vectors t per manifold.
        seed: seed of the t vectors.
        t_vectors: optional P arrays (D_i + 1, n_t) of t vectors, laid out like the reference
            implementation's (manifold coordinates first, centre coordinate last).

    Returns:
        AnchorResult with per-manifold capacity, anchor radius and anchor dimension.
    """
    pts = [np.asarray(p, dtype=np.float64) for p in manifolds]
    if not pts:
        raise DataError("anchor_analysis: no manifolds given")
    for i, p in enumerate(pts):
        if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
            raise DataError(f"manifold {i}: expected a (n_points, n_dims) array, got {p.shape}")
        if not np.all(np.isfinite(p)):
            raise DataError(f"manifold {i}: contains NaN or infinite values")
    n_manifolds = len(pts)
    m_max = max(p.shape[0] for p in pts)
    n = 1 + max(p.shape[1] for p in pts)
    dims = np.array([p.shape[1] for p in pts])
    dev = torch.device(device) if device is not None else torch.device("cpu")

    # Constraint rows: [1, s_mu, 0-padding]; padded points are 0.v <= 1 (never active).
    A = torch.zeros(n_manifolds, m_max, n, dtype=torch.float64)
    h = torch.ones(n_manifolds, m_max, dtype=torch.float64)
    valid = torch.zeros(n_manifolds, m_max, dtype=torch.bool)
    for i, p in enumerate(pts):
        A[i, : p.shape[0], 0] = 1.0
        A[i, : p.shape[0], 1 : 1 + p.shape[1]] = torch.from_numpy(p)
        h[i, : p.shape[0]] = -kappa
        valid[i, : p.shape[0]] = True

    T = torch.zeros(n_manifolds, n_t, n, dtype=torch.float64)
    if t_vectors is not None:
        if len(t_vectors) != n_manifolds:
            raise DataError(f"t_vectors: expected {n_manifolds} arrays, got {len(t_vectors)}")
        for i, tv in enumerate(t_vectors):
            tv = np.asarray(tv, dtype=np.float64)
            if tv.shape != (dims[i] + 1, n_t):
                raise DataError(
                    f"t_vectors[{i}]: expected shape {(dims[i] + 1, n_t)}, got {tv.shape}"
                )
            T[i, :, 0] = torch.from_numpy(tv[-1])
            T[i, :, 1 : 1 + dims[i]] = torch.from_numpy(tv[:-1].T)
    else:
        gen = torch.Generator().manual_seed(int(seed))
        for i in range(n_manifolds):
            T[i, :, : dims[i] + 1] = torch.randn(
                n_t, dims[i] + 1, generator=gen, dtype=torch.float64
            )

    A, h, T, valid = A.to(dev), h.to(dev), T.to(dev), valid.to(dev)
    with _single_threaded() if dev.type == "cpu" else contextlib.nullcontext():
        s_anchor = _anchor_points(A, h, valid, T, kappa)

    # Capacity (PRX 2018 eqs. 16-17).
    ts = (T * s_anchor).sum(-1)
    s_sq = (s_anchor**2).sum(-1)
    f = torch.where(s_sq > 0, (ts + kappa).clamp(min=0) ** 2 / s_sq.clamp(min=1e-300), 0.0)
    capacity = 1.0 / f.mean(dim=1)
    # Anchor radius (eq. 28).
    ds = s_anchor - s_anchor.mean(dim=1, keepdim=True)
    ds = ds[..., 1:] / s_anchor[..., :1]
    radius = (ds**2).sum(-1).mean(dim=1).sqrt()
    # Anchor dimension (eq. 29).
    t_d, s_d = T[..., 1:], s_anchor[..., 1:]
    t_hat = t_d / t_d.norm(dim=-1, keepdim=True).clamp(min=1e-300)
    s_hat = s_d / ((s_d**2).sum(-1, keepdim=True) + 1e-12).sqrt()
    cos = (t_hat * s_hat).sum(-1).mean(dim=1)
    dimension = torch.from_numpy(dims).to(cos) * cos**2
    return AnchorResult(
        capacity=capacity.cpu().numpy(),
        radius=radius.cpu().numpy(),
        dimension=dimension.cpu().numpy(),
    )


# ----------------------------------------------------------------------------------------------
# Centre-correlation removal (Cohen et al. 2020)


def _mean_abs_corr(X: np.ndarray) -> float:
    """Mean |cosine| between distinct rows of X (P, k); NaN when a row is (numerically) zero,
    where the cosine is undefined."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    if norms.min() <= 1e-12 * max(norms.max(), 1e-300):
        return float("nan")
    C = (X @ X.T) / (norms @ norms.T)
    P = X.shape[0]
    return float((np.abs(C).sum() - P) / (P * (P - 1)))


def _corr_cost_grad(W: np.ndarray, X: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Costs ``(R,)`` and gradients ``(R, n, K)`` of the centre-correlation objective for R
    frames ``W`` ``(R, n, K)`` at once (``X``: centres (P, n), ``C = X X^T``).

    The cost depends on W only through the projector P = W (W^T W)^-1 W^T onto its span:
    with M = X P X^T, D = C - M and c0 = diag(D), F = 1/2 sum_{mu,nu} D_{mu nu}^2 /
    (c0_mu c0_nu). With E = D / (c0 c0^T): dF/dM = -E + diag(E^2 c0), and
    dF/dW = 2 (I - P) X^T (dF/dM) X W (W^T W)^-1, evaluated right to left (O(P^2 K)).

    A frame whose span (numerically) contains a centre leaves it no residual (c0_mu = 0), where
    the cost is undefined: such frames get cost +inf and gradient 0, which the line search
    rejects (rank-deficient centres reach them, e.g. a nearly one-dimensional layer).
    """
    XW = X @ W  # (R, P, K)
    gram_inv = np.linalg.inv(W.transpose(0, 2, 1) @ W)
    A = XW @ gram_inv
    D = C - A @ XW.transpose(0, 2, 1)
    c0 = np.diagonal(D, axis1=1, axis2=2)
    valid = c0.min(axis=1) > 1e-12 * max(float(np.trace(C)) / len(C), 1e-300)  # (R,)
    c0 = np.where(valid[:, None], c0, 1.0)
    E = D / (c0[:, :, None] * c0[:, None, :])
    cost = np.where(valid, 0.5 * np.einsum("rij,rij->r", D, E), np.inf)
    h = np.einsum("rij,rij,rj->ri", E, E, c0)  # diag(E^2 c0)
    SWG = X.T @ (h[:, :, None] * A - E @ A)  # X^T (dF/dM) X W (W^T W)^-1, (R, n, K)
    grad = SWG - W @ (gram_inv @ (W.transpose(0, 2, 1) @ SWG))
    return cost, np.where(valid[:, None, None], 2.0 * grad, 0.0)


def _lbfgs(
    fun: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int,
    gtol: float,
    ftol: float,
    memory: int = 10,
    max_trials: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise R independent smooth functions at once by L-BFGS (Nocedal & Wright, alg. 7.5).

    Args:
        fun: ``fun(x, rows)`` -> (costs (R',), gradients (R', d)) of the problems ``rows`` at
            the points ``x`` (R', d); called once per line-search trial for all unfinished
            problems, so a vectorised ``fun`` pays its fixed cost once for all R.
        x0: starting points (R, d).
        max_iter, gtol, ftol: a problem stops after ``max_iter`` iterations, once its largest
            gradient entry is below ``gtol``, when an iteration lowers its cost by less than
            ``ftol * max(|f|, 1)`` (scipy's L-BFGS-B criteria) or when its line search finds
            no decrease.
        memory: correction pairs kept per problem.

    Each problem keeps its own correction pairs, initial Hessian scale and step: the iterates
    are those of R separate runs, only the function calls are shared. The line search finds a
    step satisfying the weak Wolfe conditions (sufficient decrease c1 = 1e-3, curvature
    c2 = 0.9, L-BFGS-B's constants) by bracketing: extrapolation x4 while the slope is still
    steep, bisection once bracketed (a quadratic fit when the first trial overshoots); the
    first step of a run has unit length.

    Returns:
        The final points (R, d) and the number of iterations of each problem (R,).
    """
    c1, c2 = 1e-3, 0.9
    x = np.array(x0, dtype=np.float64)
    R, d = x.shape
    f, g = fun(x, np.arange(R))
    S = np.zeros((memory, R, d))
    Y = np.zeros((memory, R, d))
    rho = np.zeros((memory, R))  # 0 marks an empty or skipped pair
    gamma = np.zeros(R)  # initial inverse-Hessian scale s.y / y.y of the newest pair
    n_iter = np.zeros(R, dtype=int)
    active = np.abs(g).max(axis=1) >= gtol
    for it in range(max_iter):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        sel = slice(None) if rows.size == R else rows  # views while every problem runs
        f0, x0r, g0 = f[sel].copy(), x[sel].copy(), g[sel].copy()
        # two-loop recursion: dirn = -H g
        q = g0.copy()
        slots = [(it - 1 - j) % memory for j in range(min(it, memory))]  # newest first
        alphas = []
        for j in slots:
            a = rho[j, sel] * np.einsum("rd,rd->r", S[j, sel], q)
            q -= a[:, None] * Y[j, sel]
            alphas.append(a)
        scaled = gamma[sel] > 0
        q *= np.where(scaled, gamma[sel], 1.0)[:, None]
        for j, a in zip(reversed(slots), reversed(alphas)):
            b = rho[j, sel] * np.einsum("rd,rd->r", Y[j, sel], q)
            q += (a - b)[:, None] * S[j, sel]
        dirn = -q
        slope = np.einsum("rd,rd->r", g0, dirn)
        uphill = ~(slope < 0)
        dirn[uphill] = -g0[uphill]
        slope[uphill] = -np.einsum("rd,rd->r", g0[uphill], g0[uphill])
        scaled &= ~uphill
        step = np.where(scaled, 1.0, 1.0 / np.maximum(np.linalg.norm(dirn, axis=1), 1e-300))
        # weak-Wolfe line search by bracketing [lo, hi], all problems in one call per trial
        lo, hi = np.zeros(rows.size), np.full(rows.size, np.inf)
        x_new, f_new, g_new = x0r.copy(), f0.copy(), g0.copy()
        found = np.zeros(rows.size, dtype=bool)  # a point of sufficient decrease was found
        pending = np.ones(rows.size, dtype=bool)
        for _ in range(max_trials):
            p = np.flatnonzero(pending)
            trial = x0r[p] + step[p, None] * dirn[p]
            f_t, g_t = fun(trial, rows[p])
            decrease = np.isfinite(f_t) & (f_t <= f0[p] + c1 * step[p] * slope[p])
            flat = np.einsum("rd,rd->r", g_t, dirn[p]) >= c2 * slope[p]
            ok = p[decrease]
            x_new[ok], f_new[ok], g_new[ok], found[ok] = (
                trial[decrease],
                f_t[decrease],
                g_t[decrease],
                True,
            )
            pending[p[decrease & flat]] = False
            hi[p[~decrease]] = step[p[~decrease]]
            lo[p[decrease & ~flat]] = step[p[decrease & ~flat]]
            s = step[p]
            nxt = np.where(np.isfinite(hi[p]), 0.5 * (lo[p] + hi[p]), 4.0 * s)
            curvature = 2.0 * (f_t - f0[p] - slope[p] * s)
            fit = np.where(
                curvature > 0, -slope[p] * s * s / np.where(curvature > 0, curvature, 1), s
            )
            first = ~decrease & (lo[p] == 0)
            step[p] = np.where(first, np.clip(fit, 0.1 * s, 0.5 * s), nxt)
            if not pending.any():
                break
        s_k, y_k = x_new - x0r, g_new - g0
        sy = np.einsum("rd,rd->r", s_k, y_k)
        yy = np.einsum("rd,rd->r", y_k, y_k)
        good = found & (sy > 1e-15 * yy)
        slot = it % memory
        S[slot, sel], Y[slot, sel] = s_k, y_k
        rho[slot, sel] = np.where(good, 1.0 / np.where(good, sy, 1.0), 0.0)
        gamma[sel] = np.where(good, sy / np.maximum(yy, 1e-300), gamma[sel])
        progress = (f0 - f_new) / np.maximum(np.maximum(np.abs(f0), np.abs(f_new)), 1.0)
        x[sel], f[sel], g[sel] = x_new, f_new, g_new
        n_iter[sel] += 1
        done = ~found | (progress <= ftol) | (np.abs(g_new).max(axis=1) < gtol)
        active[rows[done]] = False
    return x, n_iter


def _optimise_frames(
    X: np.ndarray, C: np.ndarray, V0: np.ndarray, max_iter: int = 300
) -> np.ndarray:
    """Minimise the centre-correlation cost from R starting K-frames V0 (R, n, K) at once;
    orthonormal results (R, n, K).

    The cost is invariant to W -> W R (it depends on span(W) only), so the orthonormality
    constraint of the reference (optimisation on the Stiefel manifold) is replaced by an
    unconstrained L-BFGS on W followed by orthonormalisation; the minimiser is the same. Each
    start is a separate L-BFGS run with scipy's L-BFGS-B settings (10 correction pairs,
    gradient tolerance 1e-6, relative cost decrease 1e-10, at most ``max_iter`` iterations);
    the R runs share one vectorised cost and gradient call per step (:func:`_lbfgs`).
    """
    R, n, K = V0.shape

    def fun(w: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cost, grad = _corr_cost_grad(w.reshape(-1, n, K), X, C)
        return cost, grad.reshape(len(rows), -1)

    W, _ = _lbfgs(fun, V0.reshape(R, -1), max_iter=max_iter, gtol=1e-6, ftol=1e-10)
    return np.linalg.qr(W.reshape(R, n, K))[0]


def remove_center_correlations(
    centers: np.ndarray,
    *,
    n_reps: int = 10,
    max_rank: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, float, int]:
    """Find the shared low-rank structure of the manifold centres (step 2 above).

    Args:
        centers: (P, N) manifold centres (after global mean subtraction).
        n_reps: random starts per rank K (the most stable is kept).
        max_rank: largest K tried; default as the reference: 11 + the number of principal
            components of the centres needed to reach 95 % variance, capped at P - 2 (the
            reference has no cap; K = P - 1 would remove the centres entirely).

    Ranks are tried in order, the search stops after the residual correlation rose three times
    in a row, and the K with the smallest residual correlation is returned, as in the
    reference. Each K starts from the best (K-1)-frame plus one random direction, as the
    reference's ``fun_FA`` builds its starts (its pymanopt call then ignores them and starts
    from a random frame); the same cost is minimised with L-BFGS over free frames (the cost
    depends on span(V) only), the ``n_reps`` starts of a rank together (:func:`_lbfgs`),
    where the reference runs pymanopt's conjugate gradient on the Stiefel manifold.

    The residual correlations of neighbouring K are often within 1 % of each other, so which
    K wins depends on the local minima the random starts reach: K varies with ``rng`` here, as
    it does with the seed in the reference (benchmarks/results/capacity_vs_replicamft.md).

    Returns:
        (basis (N, K) orthonormal directions to project out, mean |correlation| of the
        centres before removal, K).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    P = centers.shape[0]
    if P < 3:
        raise DataError(f"centre-correlation removal needs at least 3 manifolds, got {P}")
    Xb = centers - centers.mean(axis=0, keepdims=True)
    q, _ = np.linalg.qr(Xb.T)
    proj = q[:, : P - 1]
    X = Xb @ proj  # (P, P-1)
    res0 = _mean_abs_corr(X)
    if max_rank is None:
        sing = np.linalg.svd(Xb, compute_uv=False)
        total = np.cumsum(sing**2 / np.sum(sing**2))
        max_rank = int(np.argmax(np.where(total < 0.95, total, 0.0))) + 11
    max_rank = max(1, min(int(max_rank), P - 2))
    row_norm = np.linalg.norm(X, axis=1)
    frames: list[np.ndarray] = []
    costs: list[float] = []
    V1: np.ndarray | None = None
    for k in range(1, max_rank + 1):
        starts = []
        for _ in range(n_reps):
            sX = rng.standard_normal(P) @ X
            V0 = sX[:, None] if V1 is None else np.column_stack([sX, V1])
            starts.append(np.linalg.qr(V0)[0])
        with _single_threaded():
            Vs = _optimise_frames(X, X @ X.T, np.stack(starts))
        resid = X[None] - (X[None] @ Vs) @ Vs.transpose(0, 2, 1)
        stability = (np.linalg.norm(resid, axis=2) / row_norm).min(axis=1)
        stability = np.where(np.isfinite(stability), stability, -np.inf)
        V1 = Vs[int(np.argmax(stability))]
        frames.append(V1)
        costs.append(_mean_abs_corr(X - X @ V1 @ V1.T))
        if k > 4 and costs[-1] > costs[-2] > costs[-3] > costs[-4]:
            break
    # a rank whose frame contains a centre leaves no residual correlation to measure (NaN)
    best = int(np.nanargmin(costs)) if np.isfinite(costs).any() else 0
    return proj @ frames[best], res0, best + 1


# ----------------------------------------------------------------------------------------------
# Public entry point


def prepare_manifolds(
    manifolds: Sequence[np.ndarray],
    *,
    center_correlation: bool = True,
    n_reps: int = 10,
    rng: np.random.Generator | None = None,
) -> tuple[list[np.ndarray], list[float], float, int]:
    """Steps 1-3: centre, remove shared centre directions, normalise each manifold.

    Args:
        manifolds: P validated arrays (n_points_i, n_features).

    Returns:
        (normalised manifolds, each (n_points_i, D_i) relative to its centre in units of the
        centre norm and written in an orthonormal basis of their span (D_i =
        min(n_features, n_points_i)); centre norms; mean |correlation| of the centres before
        removal; number K of directions removed).
    """
    arrays = [np.asarray(m, dtype=np.float64) for m in manifolds]
    n_features = arrays[0].shape[1]
    rng = rng if rng is not None else np.random.default_rng(0)
    origin = np.concatenate(arrays, axis=0).mean(axis=0)
    shifted = [m - origin for m in arrays]
    centers = np.stack([m.mean(axis=0) for m in shifted])
    if center_correlation:
        basis, res0, n_removed = remove_center_correlations(centers, n_reps=n_reps, rng=rng)
    else:
        basis = np.zeros((n_features, 0))
        res0, n_removed = _mean_abs_corr(centers - centers.mean(axis=0)), 0
    normalised, center_norms = [], []
    for i, m in enumerate(shifted):
        m_ns = m - (m @ basis) @ basis.T
        c = m_ns.mean(axis=0)
        norm = float(np.linalg.norm(c))
        if norm <= 1e-12:
            raise DataError(
                f"manifolds[{i}]: its centre coincides with the global mean after centring; "
                "capacity is undefined"
            )
        S = ((m_ns - c) / norm).T  # (N, m)
        if S.shape[0] > S.shape[1]:
            Q, _ = np.linalg.qr(S)
            S = Q.T @ S
        normalised.append(S.T)
        center_norms.append(norm)
    return normalised, center_norms, float(res0), int(n_removed)


def manifold_capacity(
    manifolds: Sequence[ArrayLike],
    kappa: float = 0.0,
    n_t: int = DEFAULT_N_T,
    seed: int = 0,
    *,
    center_correlation: bool = True,
    n_reps: int = 10,
    t_vectors: Sequence[ArrayLike] | None = None,
    device: str | torch.device | None = None,
) -> CapacityResult:
    """Mean-field manifold capacity, radius and dimension of P manifolds (module docstring).

    Args:
        manifolds: P arrays, one (n_points_i, n_features) array per manifold (same
            n_features); at least 2 manifolds (3 with ``center_correlation``).
        kappa: margin.
        n_t: Gaussian vectors per manifold (the Monte-Carlo error of each value is about
            1/sqrt(n_t)).
        seed: seeds the t vectors and the random starts of step 2.
        center_correlation: do step 2 (as ``manifold_analysis_corr``); False skips it.
        n_reps: random starts per rank in step 2.
        t_vectors: optional fixed t vectors, P arrays (min(n_features, n_points_i) + 1, n_t),
            centre coordinate last (the reference's layout), for exact comparisons.
        device: torch device of the quadratic programmes (default CPU).

    Returns:
        CapacityResult (summary and a per-manifold table).
    """
    arrays = [np.asarray(m, dtype=np.float64) for m in manifolds]
    if len(arrays) < 2:
        raise DataError(f"manifold_capacity: need at least 2 manifolds, got {len(arrays)}")
    n_features = None
    for i, m in enumerate(arrays):
        if m.ndim != 2 or m.shape[0] < 1:
            raise DataError(f"manifolds[{i}]: expected (n_points, n_features), got shape {m.shape}")
        if n_features is None:
            n_features = m.shape[1]
        elif m.shape[1] != n_features:
            raise DataError(
                f"manifolds[{i}]: has {m.shape[1]} features, manifolds[0] has {n_features}"
            )
        if not np.all(np.isfinite(m)):
            raise DataError(f"manifolds[{i}]: contains NaN or infinite values")
    rng = np.random.default_rng(seed)
    normalised, center_norms, res0, n_removed = prepare_manifolds(
        arrays, center_correlation=center_correlation, n_reps=n_reps, rng=rng
    )
    res = anchor_analysis(
        normalised, kappa=kappa, n_t=n_t, seed=seed, t_vectors=t_vectors, device=device
    )
    table = pd.DataFrame(
        {
            "manifold": np.arange(len(arrays)),
            "n_points": [m.shape[0] for m in arrays],
            "capacity": res.capacity,
            "radius": res.radius,
            "dimension": res.dimension,
            "center_norm": center_norms,
        }
    )
    return CapacityResult(
        capacity=float(1.0 / np.mean(1.0 / res.capacity)),
        radius=float(np.mean(res.radius)),
        dimension=float(np.mean(res.dimension)),
        per_manifold=table,
        residual_correlation=res0,
        n_removed=int(n_removed),
        kappa=float(kappa),
        n_t=int(n_t),
    )
