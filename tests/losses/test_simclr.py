"""SimCLR NT-Xent (Chen et al. 2020), multi-view: closed forms, cross-entropy form, invariances."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from neuroalign.losses import SimCLRLoss, simclr_loss
from neuroalign.losses.simclr import DEFAULT_TEMPERATURE


def random_z(seed=0, n_views=2, batch=8, dim=5):
    return torch.randn(n_views, batch, dim, generator=torch.Generator().manual_seed(seed)).double()


def test_default_temperature_is_half():
    assert DEFAULT_TEMPERATURE == 0.5
    assert SimCLRLoss().temperature == 0.5


@pytest.mark.parametrize(("n_views", "batch"), [(2, 3), (3, 4), (4, 2)])
def test_mutually_orthogonal_embeddings(n_views, batch):
    # all similarities 0 -> every log-softmax term is -log(N - 1), N = m B
    n = n_views * batch
    z = (3.0 * torch.eye(n, dtype=torch.float64)).reshape(n_views, batch, n)
    loss = simclr_loss(z, temperature=0.1)
    assert loss.item() == pytest.approx(math.log(n - 1), rel=1e-12)


@pytest.mark.parametrize(("n_views", "batch", "tau"), [(2, 4, 0.5), (4, 3, 0.2)])
def test_identical_views_of_orthogonal_images(n_views, batch, tau):
    # positives have similarity 1, negatives 0:
    # loss = -1/tau + log((m - 1) e^{1/tau} + m (B - 1))
    images = torch.eye(batch, dtype=torch.float64)
    z = images.expand(n_views, batch, batch)
    expected = -1 / tau + math.log((n_views - 1) * math.exp(1 / tau) + n_views * (batch - 1))
    assert simclr_loss(z, temperature=tau).item() == pytest.approx(expected, rel=1e-12)


def test_two_views_equal_cross_entropy_form():
    """m = 2: the standard NT-Xent written as cross-entropy over the 2B - 1 others."""
    z = random_z(seed=1, batch=6)
    tau = 0.3
    u = F.normalize(torch.cat([z[0], z[1]]), dim=1)
    logits = u @ u.T / tau
    logits.fill_diagonal_(float("-inf"))
    b = z.shape[1]
    targets = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)])
    expected = F.cross_entropy(logits, targets)
    torch.testing.assert_close(simclr_loss(z, temperature=tau), expected)


def test_multi_view_equals_average_over_positives_by_loop():
    z = random_z(seed=2, n_views=3, batch=4, dim=6)
    tau = 0.7
    m, b, _ = z.shape
    u = F.normalize(z, dim=-1)
    total = 0.0
    for a in range(m):
        for i in range(b):
            anchor = u[a, i]
            denominator = sum(
                math.exp(float(anchor @ u[c, j]) / tau)
                for c in range(m)
                for j in range(b)
                if (c, j) != (a, i)
            )
            terms = [
                float(anchor @ u[c, i]) / tau - math.log(denominator) for c in range(m) if c != a
            ]
            total += -sum(terms) / len(terms)
    assert simclr_loss(z, temperature=tau).item() == pytest.approx(total / (m * b), rel=1e-10)


def test_invariant_to_rotation_scale_and_permutation():
    z = random_z(seed=3, n_views=3)
    q, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(9)).double())
    base = simclr_loss(z)
    torch.testing.assert_close(simclr_loss(z @ q.T), base)
    scales = torch.rand(3, 8, 1, generator=torch.Generator().manual_seed(2)).double() + 0.5
    torch.testing.assert_close(simclr_loss(z * scales), base)  # per-embedding scale
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(simclr_loss(z[:, perm]), base)
    torch.testing.assert_close(simclr_loss(z[[2, 0, 1]]), base)


def test_aligned_views_have_lower_loss():
    z = random_z(seed=5)
    aligned = torch.stack([z[0], z[0] + 0.01 * z[1]])
    assert simclr_loss(aligned) < simclr_loss(z)


def test_gradcheck():
    z = random_z(seed=6, n_views=3, batch=3, dim=4).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: simclr_loss(x, temperature=0.4), (z,))


def test_module_matches_function():
    z = random_z(seed=7)
    torch.testing.assert_close(SimCLRLoss(temperature=0.2)(z), simclr_loss(z, temperature=0.2))


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (torch.randn(4, 3), "shape"),
        (torch.randn(1, 4, 3), "n_views"),
        (torch.randn(2, 1, 3), "batch"),
        (torch.full((2, 3, 4), float("nan")), "NaN"),
    ],
)
def test_bad_input_raises(z, match):
    with pytest.raises(ValueError, match=match):
        simclr_loss(z)
    with pytest.raises(ValueError, match=match):
        SimCLRLoss()(z)


def test_bad_temperature_raises():
    with pytest.raises(ValueError, match="temperature"):
        SimCLRLoss(temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        simclr_loss(random_z(), temperature=-1.0)
