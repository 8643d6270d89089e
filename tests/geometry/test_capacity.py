from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.geometry import anchor_analysis, manifold_capacity, remove_center_correlations
from neuroalign.geometry.capacity import solve_anchor_qp


def test_qp_solution_satisfies_kkt():
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(40, 12, 5, generator=gen, dtype=torch.float64)
    A[..., 0] = 1.0
    h = torch.full((40, 12), -0.3, dtype=torch.float64)
    t = torch.randn(40, 5, generator=gen, dtype=torch.float64)
    v, lam = solve_anchor_qp(A, h, t)
    Av = torch.einsum("bmn,bn->bm", A, v)
    assert float((Av - h).max()) < 1e-8  # primal feasible
    assert float(lam.min()) >= 0  # dual feasible
    stationarity = v - t + torch.einsum("bmn,bm->bn", A, lam)
    assert float(stationarity.abs().max()) < 1e-8
    assert float((lam * (h - Av)).abs().max()) < 1e-8  # complementary slackness


def test_point_manifolds_have_capacity_two():
    # a single point is a "manifold" of radius 0: alpha = 1 / <max(t0, 0)^2> = 2 (Gardner)
    res = anchor_analysis([np.zeros((1, 1))] * 4, kappa=0.0, n_t=5000, seed=1)
    assert np.mean(res.capacity) == pytest.approx(2.0, rel=0.03)
    np.testing.assert_allclose(res.radius, 0.0, atol=1e-12)
    # the full pipeline on P points in N dims (after centring, each manifold is one point)
    rng = np.random.default_rng(0)
    points = [rng.standard_normal((1, 60)) for _ in range(20)]
    full = manifold_capacity(points, kappa=0.0, n_t=1000, seed=0, center_correlation=False)
    assert full.capacity == pytest.approx(2.0, rel=0.05)
    assert full.radius == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("R", [0.3, 1.0, 3.0])
def test_line_segment_capacity_closed_form(R):
    # two points +-R around the centre: 1/alpha = 1/2 + 2 arctan(R) / pi (projection onto a cone)
    res = anchor_analysis([np.array([[R], [-R]])], kappa=0.0, n_t=6000, seed=2)
    expected = 1.0 / (0.5 + 2.0 * np.arctan(R) / np.pi)
    assert res.capacity[0] == pytest.approx(expected, rel=0.03)


def test_small_ellipsoid_follows_theory():
    # Chung et al. 2018, small-manifold limit: the anchor point is the touching point
    # s_i = R_i^2 t_i / sqrt(sum R_j^2 t_j^2) of the ellipsoid, so R_M^2 = <||s||^2>_t and
    # D_M = D <t^.s^>_t^2 (for large D: R_M^2 -> sum R^4 / sum R^2, D_M -> PR of R^2).
    radii = np.array([0.01, 0.02, 0.03])
    rng = np.random.default_rng(3)
    u = rng.standard_normal((3000, 3))
    pts = radii * u / np.linalg.norm(u, axis=1, keepdims=True)  # on the ellipsoid surface
    res = anchor_analysis([pts], kappa=0.0, n_t=800, seed=3)
    t = rng.standard_normal((200_000, 3))
    w2, w4 = np.sum(radii**2 * t**2, 1), np.sum(radii**4 * t**2, 1)
    r_theory = np.sqrt(np.mean(w4 / w2))
    d_theory = 3 * np.mean(w2 / (np.linalg.norm(t, axis=1) * np.sqrt(w4))) ** 2
    assert res.radius[0] == pytest.approx(r_theory, rel=0.03)
    assert res.dimension[0] == pytest.approx(d_theory, rel=0.04)
    # capacity of a small manifold approaches the point value 2
    assert res.capacity[0] == pytest.approx(2.0, rel=0.08)


def test_small_circle_radius_and_dimension():
    R = 0.02
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = R * np.c_[np.cos(angles), np.sin(angles)]
    res = anchor_analysis([circle], kappa=0.0, n_t=800, seed=4)
    assert res.radius[0] == pytest.approx(R, rel=0.03)
    assert res.dimension[0] == pytest.approx(2.0, rel=0.03)


def test_anchor_analysis_agrees_with_replicamft_on_fixed_t_vectors():
    """Values from replicaMFT's each_manifold_analysis_D1 (github.com/schung039/
    neural_manifolds_replicaMFT @ d56eda1, cvxopt 1.3.3) on the same points and t vectors:
    rs = numpy.random.RandomState(123); per manifold: pts = rs.randn(m, D) * scale;
    t = rs.randn(D + 1, 60); sD1 = vstack([pts.T, ones]); each_manifold_analysis_D1(sD1,
    kappa, 60, t_vec=t)."""
    reference = [
        (0.3938097530758526, 1.0905403543530132, 3.9234537932454856),
        (0.34149847876682576, 2.7811652717800723, 2.8883988753812346),
        (0.6686778320886853, 0.6520803293910233, 2.7089521934945417),
    ]
    rs = np.random.RandomState(123)
    for (m, D, scale, kappa), ref in zip(
        [(15, 6, 0.5, 0.0), (10, 10, 1.5, 0.0), (25, 4, 0.3, 0.2)], reference
    ):
        pts = rs.randn(m, D) * scale
        t = rs.randn(D + 1, 60)
        res = anchor_analysis([pts], kappa=kappa, n_t=60, t_vectors=[t])
        np.testing.assert_allclose(
            [res.capacity[0], res.radius[0], res.dimension[0]], ref, rtol=1e-6
        )


def test_batched_equals_one_by_one():
    rng = np.random.default_rng(5)
    mans = [rng.standard_normal((m, d)) * s for m, d, s in [(5, 3, 0.4), (12, 8, 1.0), (7, 7, 2.0)]]
    together = anchor_analysis(mans, kappa=0.1, n_t=50, seed=0)
    gen = torch.Generator().manual_seed(0)
    ts = [torch.randn(50, p.shape[1] + 1, generator=gen, dtype=torch.float64) for p in mans]
    for i, p in enumerate(mans):
        t_ref_layout = np.r_[ts[i][:, 1:].numpy().T, ts[i][:, :1].numpy().T]
        alone = anchor_analysis([p], kappa=0.1, n_t=50, t_vectors=[t_ref_layout])
        assert alone.capacity[0] == pytest.approx(together.capacity[i], rel=1e-6)
        assert alone.radius[0] == pytest.approx(together.radius[i], rel=1e-6)


def test_capacity_decreases_with_size_and_margin():
    rng = np.random.default_rng(6)
    base = [rng.standard_normal((20, 30)) for _ in range(8)]
    centres = [3.0 * rng.standard_normal((1, 30)) for _ in range(8)]
    small = manifold_capacity([c + 0.2 * b for c, b in zip(centres, base)], n_t=100, n_reps=2)
    large = manifold_capacity([c + 1.0 * b for c, b in zip(centres, base)], n_t=100, n_reps=2)
    margin = manifold_capacity(
        [c + 0.2 * b for c, b in zip(centres, base)], kappa=0.5, n_t=100, n_reps=2
    )
    assert large.capacity < small.capacity
    assert margin.capacity < small.capacity
    assert large.radius > small.radius
    assert len(small.per_manifold) == 8
    assert small.capacity == pytest.approx(1 / np.mean(1 / small.per_manifold["capacity"]))


def test_capacity_invariant_to_rotation_and_translation():
    rng = np.random.default_rng(7)
    mans = [3 * rng.standard_normal((1, 12)) + rng.standard_normal((10, 12)) for _ in range(6)]
    q, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    shift = rng.standard_normal(12) * 10
    a = manifold_capacity(mans, n_t=80, seed=0, center_correlation=False)
    b = manifold_capacity([m @ q + shift for m in mans], n_t=80, seed=0, center_correlation=False)
    # rotations change the coordinates in which the t vectors are drawn, so compare in law:
    assert b.capacity == pytest.approx(a.capacity, rel=0.1)
    assert b.radius == pytest.approx(a.radius, rel=0.1)
    c = manifold_capacity([m + shift for m in mans], n_t=80, seed=0, center_correlation=False)
    assert c.capacity == pytest.approx(a.capacity, rel=1e-8)  # translation: exactly equal


def test_center_correlation_removal_finds_a_shared_direction():
    rng = np.random.default_rng(8)
    shared = rng.standard_normal(40)
    centres = rng.standard_normal((12, 40)) + 4.0 * rng.standard_normal((12, 1)) * shared
    basis, res0, k = remove_center_correlations(centres, n_reps=3, max_rank=4, rng=rng)
    assert basis.shape == (40, k)
    np.testing.assert_allclose(basis.T @ basis, np.eye(k), atol=1e-8)
    residual = centres - centres.mean(0)
    residual = residual - residual @ basis @ basis.T
    unit = residual / np.linalg.norm(residual, axis=1, keepdims=True)
    after = (np.abs(unit @ unit.T).sum() - 12) / (12 * 11)
    assert res0 > 0.5  # strongly correlated before
    assert after < 0.5 * res0
    # the shared direction lies (mostly) in the removed subspace
    s = shared / np.linalg.norm(shared)
    assert np.linalg.norm(basis.T @ s) > 0.9


@pytest.mark.parametrize("rank", [1, 3])
def test_center_correlation_removal_of_rank_deficient_centres_is_quiet_and_finite(rank):
    # centres spanning `rank` dimensions: frames of rank >= `rank` can contain them, where the
    # centre-correlation cost is undefined (0 / 0); such frames are rejected, not warned about
    import warnings

    rng = np.random.default_rng(rank)
    centres = rng.standard_normal((10, rank)) @ rng.standard_normal((rank, 30))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        basis, res0, k = remove_center_correlations(centres, n_reps=3, rng=rng)
    assert np.isfinite(basis).all() and np.isfinite(res0)
    np.testing.assert_allclose(basis.T @ basis, np.eye(k), atol=1e-8)
    if rank == 1:  # every centre is a multiple of one direction: |correlation| 1, that direction
        assert res0 == pytest.approx(1.0)
        direction = centres[0] / np.linalg.norm(centres[0])
        assert np.linalg.norm(basis.T @ direction) == pytest.approx(1.0)


def test_centre_cost_of_a_frame_containing_a_centre_is_infinite():
    from neuroalign.geometry.capacity import _corr_cost_grad

    X = np.random.default_rng(3).standard_normal((5, 4))
    W = np.stack([X[:1].T, np.random.default_rng(4).standard_normal((4, 1))])  # (2, 4, 1)
    cost, grad = _corr_cost_grad(W, X, X @ X.T)
    assert cost[0] == np.inf and np.isfinite(cost[1])
    assert (grad[0] == 0).all() and np.isfinite(grad).all()


def test_bad_input():
    with pytest.raises(DataError, match="at least 2 manifolds"):
        manifold_capacity([np.ones((3, 4))])
    with pytest.raises(DataError, match="features"):
        manifold_capacity([np.ones((3, 4)), np.ones((3, 5))])
    with pytest.raises(DataError, match="NaN"):
        manifold_capacity([np.ones((3, 4)), np.full((3, 4), np.nan)])


def test_dual_nnls_anchor_points_equal_the_interior_point_solution():
    """On the CPU the hard programmes are solved through their dual (non-negative least
    squares); the anchor points equal those of the primal interior point."""
    from neuroalign.geometry.capacity import _anchor_points

    gen = torch.Generator().manual_seed(9)
    P, m, n, c, kappa = 4, 9, 6, 40, 0.3
    A = torch.randn(P, m, n, generator=gen, dtype=torch.float64) * 0.8
    A[..., 0] = 1.0
    A[1, 7:] = 0.0  # padded points of a smaller manifold
    valid = torch.ones(P, m, dtype=torch.bool)
    valid[1, 7:] = False
    h = torch.where(valid, torch.tensor(-kappa, dtype=torch.float64), 1.0)
    T = torch.randn(P, c, n, generator=gen, dtype=torch.float64)
    ours = _anchor_points(A, h, valid, T, kappa)
    for p in range(P):
        v, lam = solve_anchor_qp(A[p].expand(c, m, n), h[p].expand(c, m), T[p])
        lam = lam * valid[p]
        hard = (v - T[p]).norm(dim=-1) >= 1e-6
        s_qp = (T[p] - v) / lam.sum(-1, keepdim=True)
        # the interior point stops at ~1e-10 residuals; s~ = A^T lam / sum(lam) amplifies them
        np.testing.assert_allclose(ours[p][hard].numpy(), s_qp[hard].numpy(), atol=2e-5)


def test_centre_cost_gradient_matches_finite_differences():
    from neuroalign.geometry.capacity import _corr_cost_grad

    rng = np.random.default_rng(10)
    X = rng.standard_normal((9, 8))
    W = rng.standard_normal((2, 8, 2))
    cost, grad = _corr_cost_grad(W, X, X @ X.T)
    numeric = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[i] = 1e-6
        plus = _corr_cost_grad(W + step, X, X @ X.T)[0].sum()
        minus = _corr_cost_grad(W - step, X, X @ X.T)[0].sum()
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(grad, numeric, atol=1e-6)
    assert cost.shape == (2,)


def test_default_n_t_is_the_reference_default():
    """replicaMFT's analysis entry point (mftma.utils.analyze_pytorch.analyze) uses n_t = 300."""
    import inspect

    from neuroalign.geometry import GeometryConfig
    from neuroalign.geometry.capacity import DEFAULT_N_T

    assert DEFAULT_N_T == 300
    for fn in (anchor_analysis, manifold_capacity):
        assert inspect.signature(fn).parameters["n_t"].default == DEFAULT_N_T
    assert GeometryConfig().n_t == DEFAULT_N_T


def _shared_structure_manifolds(P: int, m: int, N: int, seed: int) -> list[np.ndarray]:
    """P clouds of m points in N dims around centres sharing 2 strong directions."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((2, N)) * 3.0
    out = []
    for _ in range(P):
        centre = rng.standard_normal(N) + rng.standard_normal(2) @ shared
        out.append(centre + 0.5 * rng.standard_normal((m, N)))
    return out


def test_whole_analysis_agrees_with_replicamft_given_its_t_vectors():
    """The whole analysis (steps 1-6, centre-correlation removal included) against replicaMFT's
    ``manifold_analysis_corr`` (github.com/schung039/neural_manifolds_replicaMFT @ d56eda1) on
    12 manifolds of 6 points in 16 dims with the same t vectors: ``numpy.random.seed(0)``;
    ``manifold_analysis_corr([x.T for x in mans], 0.0, 40, t_vecs=tv)`` with
    ``rs = numpy.random.RandomState(100); tv = [rs.randn(7, 40) for _ in range(12)]``; it
    found K = 2 shared directions. Both find the same K and frame; what remains is the two
    optimisers' stopping points (~1e-6)."""
    mans = _shared_structure_manifolds(12, 6, 16, 0)
    rs = np.random.RandomState(100)
    t_vectors = [rs.randn(7, 40) for _ in range(12)]
    res = manifold_capacity(mans, n_t=40, t_vectors=t_vectors, seed=0)
    assert res.n_removed == 2
    np.testing.assert_allclose(
        [res.capacity, res.radius, res.dimension],
        [0.91531501910343, 0.45360887163449076, 2.354588022588366],
        rtol=1e-4,
    )


def test_batched_lbfgs_reaches_known_minima():
    """Independent problems in one batch: quadratics with condition numbers 1 to 1e4 reach
    their minimisers, and the Rosenbrock function from (-1.2, 1) reaches (1, 1), each as if
    run alone."""
    from neuroalign.geometry.capacity import _lbfgs

    rng = np.random.default_rng(12)
    d = 6
    scales = [np.logspace(0, c, d) for c in (0, 2, 4)]
    targets = rng.standard_normal((3, d))

    def quadratics(x, rows):
        diag = np.stack([scales[r] for r in rows])
        diff = x - targets[rows]
        return 0.5 * (diag * diff * diff).sum(1), diag * diff

    x, _ = _lbfgs(quadratics, np.zeros((3, d)), max_iter=500, gtol=1e-9, ftol=0.0)
    np.testing.assert_allclose(x, targets, atol=1e-8)
    alone, _ = _lbfgs(lambda x, rows: quadratics(x, rows + 2), np.zeros((1, d)), max_iter=500,
                      gtol=1e-9, ftol=0.0)  # fmt: skip
    np.testing.assert_allclose(alone[0], x[2], atol=1e-12)

    def rosenbrock(x, rows):
        a, b = x[:, 0], x[:, 1]
        f = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        g = np.stack([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)], axis=1)
        return f, g

    x, _ = _lbfgs(rosenbrock, np.array([[-1.2, 1.0]]), max_iter=500, gtol=1e-8, ftol=0.0)
    np.testing.assert_allclose(x[0], [1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_batched_lbfgs_matches_scipy_on_the_centre_correlation_cost(seed):
    """From the same start, the hand-written batched L-BFGS reaches the local minimum scipy's
    L-BFGS-B reaches (with scipy's settings) on the objective it is used for."""
    from scipy.optimize import minimize

    from neuroalign.geometry.capacity import _corr_cost_grad, _lbfgs

    rng = np.random.default_rng(seed)
    P, n, K = 12, 11, 3
    X = rng.standard_normal((P, n)) + 2 * rng.standard_normal((P, 1)) * rng.standard_normal(n)
    C = X @ X.T
    V0 = np.linalg.qr(rng.standard_normal((n, K)))[0]

    def one(w):
        cost, grad = _corr_cost_grad(w.reshape(1, n, K), X, C)
        return cost[0], grad.reshape(-1)

    def batched(w, rows):
        cost, grad = _corr_cost_grad(w.reshape(-1, n, K), X, C)
        return cost, grad.reshape(len(rows), -1)

    options = {"maxiter": 300, "gtol": 1e-6, "ftol": 1e-10}
    ref = minimize(one, V0.ravel(), jac=True, method="L-BFGS-B", options=options)
    W, _ = _lbfgs(batched, V0.reshape(1, -1), max_iter=300, gtol=1e-6, ftol=1e-10)
    ours = one(W[0])[0]
    assert ours < 0.5 * one(V0.ravel())[0]  # it did minimise
    assert ours <= ref.fun * (1 + 2e-3)  # and no worse than scipy (the same minimum, or lower)
