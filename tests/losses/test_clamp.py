"""CLAMP loss (SCIENCE.md section 1): hand-computed answers, a loop reference, invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuroalign.losses import CLAMPLoss, clamp_loss, submanifold_geometry


def two_images(theta: float, n_views: int = 2, dim: int = 2) -> torch.Tensor:
    """Two images whose views sit at angles +-theta around (1, 0) and (-1, 0).

    The batch is already centred and unit-norm, so by hand: centroids (+-cos theta, 0),
    d_12 = 2 cos theta, spreads T = n_views sin^2 theta / (n_views - 1).
    """
    c, s = math.cos(theta), math.sin(theta)
    z = torch.zeros(n_views, 2, dim, dtype=torch.float64)
    for a in range(n_views):
        sign = 1.0 if a % 2 == 0 else -1.0
        z[a, 0, :2] = torch.tensor([c, sign * s], dtype=torch.float64)
        z[a, 1, :2] = torch.tensor([-c, sign * s], dtype=torch.float64)
    return z


def loop_reference(z: np.ndarray, r_s: float, p=2.0, max_range=1.5, min_margin=1e-3, lw0=0.0):
    """SCIENCE.md section 1, steps 1-10, written as plain loops in float64 numpy."""
    z = np.asarray(z, dtype=np.float64)
    m, b, d = z.shape
    z = z - z.reshape(-1, d).mean(axis=0)
    z = z / np.linalg.norm(z, axis=-1, keepdims=True)
    centroids = z.mean(axis=0)
    radii = []
    for i in range(b):
        spread = sum(np.sum((z[a, i] - centroids[i]) ** 2) for a in range(m)) / (m - 1)
        radii.append(r_s * math.sqrt(spread / min(d, m) + 1e-12))
    energy = 0.0
    for i in range(b):
        for j in range(b):
            if i == j:
                continue
            dist = math.sqrt(np.sum((centroids[i] - centroids[j]) ** 2) + 1e-12)
            contact = min(radii[i] + radii[j] + 1e-6, max_range)
            if min_margin < dist < contact:
                energy += 0.5 * (1.0 - dist / contact) ** p
    energy += lw0 * sum(radii)
    return math.log(energy + 1e-6)


# ---------------------------------------------------------------- known answers by hand


def test_geometry_of_two_images_by_hand():
    theta = math.pi / 3  # cos 0.5, sin sqrt(3)/2
    geo = submanifold_geometry(two_images(theta), r_s=1.0)
    torch.testing.assert_close(
        geo.centroids, torch.tensor([[0.5, 0.0], [-0.5, 0.0]], dtype=torch.float64)
    )
    torch.testing.assert_close(geo.spreads, torch.full((2,), 1.5, dtype=torch.float64))  # 2 s^2
    torch.testing.assert_close(geo.radii, torch.full((2,), math.sqrt(0.75 + 1e-12)).double())
    expected_d = torch.tensor([[1e-6, 1.0], [1.0, 1e-6]], dtype=torch.float64)
    torch.testing.assert_close(geo.distances, expected_d, rtol=1e-9, atol=1e-9)
    # numpy input (e.g. activations) gives the same geometry
    geo_np = submanifold_geometry(two_images(theta).numpy(), r_s=1.0)
    torch.testing.assert_close(geo_np.radii, geo.radii)


@pytest.mark.parametrize(
    ("r_s", "expected_energy"),
    [
        # r_i = r_s sin 60: r_s = 1 -> S = min(sqrt 3, 1.5) = 1.5 (capped), E = (1 - 1/1.5)^2
        (1.0, (1.0 - 1.0 / 1.5) ** 2),
        # r_s = 0.8 -> S = 0.8 sqrt 3 + 1e-6 = 1.3856..., uncapped
        (0.8, (1.0 - 1.0 / (0.8 * math.sqrt(3) + 1e-6)) ** 2),
        # r_s = 0.5 -> S = 0.866 < d = 1: no overlap, L = 0
        (0.5, 0.0),
    ],
)
def test_two_image_loss_by_hand(r_s, expected_energy):
    loss = clamp_loss(two_images(math.pi / 3), r_s=r_s)
    # 0.5 * (E_12 + E_21) = E_12
    assert loss.item() == pytest.approx(math.log(expected_energy + 1e-6), rel=1e-9)


def test_lw0_adds_the_sum_of_radii():
    lw0 = 0.1
    loss = clamp_loss(two_images(math.pi / 3), r_s=0.5, lw0=lw0)  # no overlap at r_s = 0.5
    radii_sum = 2 * 0.5 * math.sqrt(0.75 + 1e-12)
    assert loss.item() == pytest.approx(math.log(lw0 * radii_sum + 1e-6), rel=1e-9)


def test_power_p():
    loss = clamp_loss(two_images(math.pi / 3), r_s=1.0, p=3.0)
    assert loss.item() == pytest.approx(math.log((1 / 3) ** 3 + 1e-6), rel=1e-9)


def test_max_range_caps_contact_distance():
    # uncapped S = sqrt 3 = 1.732; with max_range 1.2 S = 1.2
    loss = clamp_loss(two_images(math.pi / 3), r_s=1.0, max_range=1.2)
    assert loss.item() == pytest.approx(math.log((1 - 1 / 1.2) ** 2 + 1e-6), rel=1e-9)


def test_rank_is_min_of_dim_and_views():
    # 4 views in 2-D: T = 4 s^2 / 3 and the rank is min(d=2, m=4) = 2, so r = sqrt(2 s^2 / 3)
    theta = math.pi / 3
    geo = submanifold_geometry(two_images(theta, n_views=4, dim=2), r_s=1.0)
    s2 = math.sin(theta) ** 2
    torch.testing.assert_close(geo.spreads, torch.full((2,), 4 * s2 / 3, dtype=torch.float64))
    expected_r = math.sqrt(4 * s2 / 3 / 2 + 1e-12)
    torch.testing.assert_close(geo.radii, torch.full((2,), expected_r, dtype=torch.float64))
    # the same points in 8-D: the rank becomes min(8, 4) = 4
    geo8 = submanifold_geometry(two_images(theta, n_views=4, dim=8), r_s=1.0)
    expected_r8 = math.sqrt(4 * s2 / 3 / 4 + 1e-12)
    torch.testing.assert_close(geo8.radii, torch.full((2,), expected_r8, dtype=torch.float64))


def test_coincident_centroids_are_ignored_by_min_margin():
    # images 0 and 1 share their centroid (d = 1e-6 < min_margin); image 2 is far away
    z = torch.zeros(2, 3, 2, dtype=torch.float64)
    z[:, 0] = torch.tensor([[0.0, 1.0], [0.0, -1.0]]) + torch.tensor([1.0, 0.0])
    z[:, 1] = torch.tensor([[0.0, -1.0], [0.0, 1.0]]) + torch.tensor([1.0, 0.0])
    z[:, 2] = torch.tensor([[-5.0, 0.1], [-5.0, -0.1]])
    geo = submanifold_geometry(z, r_s=1.0)
    assert geo.distances[0, 1].item() < 1e-3
    assert clamp_loss(z, r_s=1.0, min_margin=1e-3).item() == pytest.approx(
        loop_reference(z.numpy(), 1.0)
    )
    # without the margin the coincident pair counts with E = (1 - 1e-6 / S)^2 ~ 1
    assert clamp_loss(z, r_s=1.0, min_margin=0.0) > clamp_loss(z, r_s=1.0) + 0.5


# ---------------------------------------------------------------- agreement with the loops


@pytest.mark.parametrize(
    ("n_views", "batch", "dim", "r_s"),
    [(2, 5, 3, 1.0), (4, 12, 8, 3.0), (16, 6, 4, 7.0), (3, 20, 2, 0.5), (5, 9, 30, 8.5)],
)
def test_matches_loop_reference(n_views, batch, dim, r_s):
    gen = torch.Generator().manual_seed(n_views * 100 + batch)
    z = torch.randn(n_views, batch, dim, generator=gen, dtype=torch.float64) + 0.3
    for kwargs in ({}, {"p": 2.5, "max_range": 1.0, "lw0": 0.05}):
        ours = clamp_loss(z, r_s=r_s, **kwargs).item()
        assert ours == pytest.approx(loop_reference(z.numpy(), r_s, **kwargs), rel=1e-10)


def test_float32_input_gives_float32_loss_close_to_float64():
    z = torch.randn(4, 32, 16, generator=torch.Generator().manual_seed(3))
    loss32 = clamp_loss(z, r_s=3.0)
    assert loss32.dtype == torch.float32
    loss_native = clamp_loss(z, r_s=3.0, compute_dtype=None)
    assert loss_native.dtype == torch.float32
    expected = loop_reference(z.double().numpy(), 3.0)
    assert loss32.item() == pytest.approx(expected, rel=1e-6)
    assert loss_native.item() == pytest.approx(expected, rel=1e-4)


# ---------------------------------------------------------------- invariances


def random_z(seed=0, n_views=4, batch=10, dim=6):
    return torch.randn(n_views, batch, dim, generator=torch.Generator().manual_seed(seed)).double()


def test_invariant_to_global_rotation_translation_and_scale():
    z = random_z()
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(1)).double())
    base = clamp_loss(z, r_s=3.0)
    torch.testing.assert_close(clamp_loss(z @ q.T, r_s=3.0), base)
    torch.testing.assert_close(clamp_loss(z + torch.linspace(-3, 5, 6).double(), r_s=3.0), base)
    torch.testing.assert_close(clamp_loss(4.2 * z, r_s=3.0), base)


def test_invariant_to_permuting_images_and_views():
    z = random_z(seed=2)
    base = clamp_loss(z, r_s=3.0)
    images = torch.randperm(z.shape[1], generator=torch.Generator().manual_seed(0))
    views = torch.tensor([2, 0, 3, 1])
    torch.testing.assert_close(clamp_loss(z[:, images], r_s=3.0), base)
    torch.testing.assert_close(clamp_loss(z[views], r_s=3.0), base)


def test_not_invariant_to_mixing_views_between_images():
    # guards against an implementation that ignores which views belong together
    z = random_z(seed=4)
    mixed = z.clone()
    mixed[0] = z[0, torch.roll(torch.arange(z.shape[1]), 1)]
    assert abs(clamp_loss(mixed, r_s=3.0).item() - clamp_loss(z, r_s=3.0).item()) > 1e-3


# ---------------------------------------------------------------- gradients


def test_gradcheck():
    z = random_z(seed=5, n_views=3, batch=5, dim=4).requires_grad_(True)
    assert clamp_loss(z, r_s=4.0).item() > math.log(1e-6) + 1  # some pairs overlap
    assert torch.autograd.gradcheck(lambda x: clamp_loss(x, r_s=4.0, lw0=0.01), (z,))


def test_gradient_step_separates_and_shrinks_submanifolds():
    """Descending the loss pushes overlapping centroids apart and shrinks the radii."""
    z = two_images(math.pi / 3, n_views=2, dim=3).requires_grad_(True)
    loss = clamp_loss(z, r_s=0.8)
    (grad,) = torch.autograd.grad(loss, z)
    before = submanifold_geometry(z.detach(), r_s=0.8)
    after = submanifold_geometry(z.detach() - 1e-3 * grad, r_s=0.8)
    assert after.distances[0, 1] > before.distances[0, 1]
    assert (after.radii < before.radii).all()
    assert clamp_loss(z.detach() - 1e-3 * grad, r_s=0.8) < loss


def test_no_overlap_gives_zero_gradient():
    z = two_images(math.pi / 3).requires_grad_(True)
    (grad,) = torch.autograd.grad(clamp_loss(z, r_s=0.5), z)
    assert torch.all(grad == 0)


# ---------------------------------------------------------------- module and bad input


def test_module_matches_function():
    z = random_z(seed=6)
    module = CLAMPLoss(r_s=2.0, p=2.0, max_range=1.5, min_margin=1e-3, lw0=0.0)
    torch.testing.assert_close(module(z), clamp_loss(z, r_s=2.0))
    assert "r_s=2.0" in repr(module)


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (torch.randn(8, 4), "shape"),
        (torch.randn(1, 4, 3), "n_views"),
        (torch.randn(2, 1, 3), "batch"),
        (torch.tensor([[[1.0, float("nan")], [0.0, 1.0]]] * 2), "NaN"),
        (torch.ones(2, 3, 4, dtype=torch.int64), "floating"),
        (np.ones((2, 3, 4)), "torch.Tensor"),
    ],
)
def test_bad_input_raises(z, match):
    with pytest.raises(ValueError, match=match):
        clamp_loss(z, r_s=1.0)
    with pytest.raises(ValueError, match=match):
        CLAMPLoss(r_s=1.0)(z)


@pytest.mark.parametrize(
    ("name", "value"),
    [("r_s", 0.0), ("r_s", -1.0), ("p", 0.0), ("max_range", float("nan")), ("lw0", -1.0)],
)
def test_bad_parameters_raise(name, value):
    kwargs = {"r_s": 1.0, name: value}
    with pytest.raises(ValueError, match=name):
        clamp_loss(random_z(), **kwargs)
    with pytest.raises(ValueError, match=name):
        CLAMPLoss(**kwargs)
