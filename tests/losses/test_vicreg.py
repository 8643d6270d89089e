"""VICReg (Bardes, Ponce & LeCun 2022), multi-view: hand-computed terms and the 2-view form."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from neuroalign.losses import VICRegLoss, vicreg_loss, vicreg_terms

# One view of B = 2 images in d = 2: Var (ddof 1) = (0.125, 0.5), Cov_01 = 0.25
Z = torch.tensor([[0.0, 0.0], [0.5, 1.0]], dtype=torch.float64)
V_BY_HAND = (
    max(0.0, 1 - math.sqrt(0.125 + 1e-4)) + max(0.0, 1 - math.sqrt(0.5 + 1e-4))
) / 2  # mean over dims of relu(1 - std)
C_BY_HAND = 2 * 0.25**2 / 2  # off-diagonal squares / d = 0.0625


@pytest.mark.parametrize("n_views", [2, 3, 5])
def test_identical_views_by_hand(n_views):
    z = Z.expand(n_views, 2, 2)
    terms = vicreg_terms(z)
    assert terms["invariance"].item() == 0.0
    assert terms["variance"].item() == pytest.approx(V_BY_HAND, rel=1e-12)
    # (2 / m) * sum over m identical views = 2 c
    assert terms["covariance"].item() == pytest.approx(2 * C_BY_HAND, rel=1e-12)
    expected = 25 * V_BY_HAND + 1 * 2 * C_BY_HAND
    assert vicreg_loss(z).item() == pytest.approx(expected, rel=1e-12)


def test_invariance_is_mean_over_view_pairs():
    # shifted views keep the variance and covariance; pair MSEs 0.09, 0.36, 0.09
    z = torch.stack([Z, Z + 0.3, Z + 0.6])
    terms = vicreg_terms(z)
    assert terms["invariance"].item() == pytest.approx(0.18, rel=1e-12)
    expected = 25 * 0.18 + 25 * V_BY_HAND + 2 * C_BY_HAND
    assert vicreg_loss(z).item() == pytest.approx(expected, rel=1e-12)


def test_coefficients():
    z = torch.stack([Z, Z + 0.3])
    loss = vicreg_loss(z, sim_coeff=1.0, std_coeff=2.0, cov_coeff=3.0)
    assert loss.item() == pytest.approx(0.09 + 2 * V_BY_HAND + 3 * 2 * C_BY_HAND, rel=1e-12)


def test_two_views_match_official_formulation():
    """m = 2 equals facebookresearch/vicreg main_vicreg.py: std averaged, cov summed."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(2, 16, 6, generator=gen, dtype=torch.float64) * 0.4
    repr_loss = F.mse_loss(x, y)
    xc, yc = x - x.mean(0), y - y.mean(0)
    std_x, std_y = torch.sqrt(xc.var(0) + 1e-4), torch.sqrt(yc.var(0) + 1e-4)
    std_loss = F.relu(1 - std_x).mean() / 2 + F.relu(1 - std_y).mean() / 2
    cov_x, cov_y = xc.T @ xc / 15, yc.T @ yc / 15
    off = ~torch.eye(6, dtype=torch.bool)
    cov_loss = cov_x[off].pow(2).sum() / 6 + cov_y[off].pow(2).sum() / 6
    expected = 25 * repr_loss + 25 * std_loss + 1 * cov_loss
    torch.testing.assert_close(vicreg_loss(torch.stack([x, y])), expected)


def test_permutation_of_images_and_views_invariance():
    z = torch.randn(3, 10, 4, generator=torch.Generator().manual_seed(1)).double()
    base = vicreg_loss(z)
    perm = torch.randperm(10, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(vicreg_loss(z[:, perm]), base)
    torch.testing.assert_close(vicreg_loss(z[[1, 2, 0]]), base)


def test_gradcheck():
    z = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(3)).double() * 0.3
    z.requires_grad_(True)
    assert torch.autograd.gradcheck(vicreg_loss, (z,))


def test_module_matches_function():
    z = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(4))
    module = VICRegLoss(sim_coeff=10.0, std_coeff=5.0, cov_coeff=0.5)
    torch.testing.assert_close(module(z), vicreg_loss(z, 10.0, 5.0, 0.5))


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (torch.randn(4, 3), "shape"),
        (torch.randn(1, 4, 3), "n_views"),
        (torch.randn(2, 1, 3), "batch"),
        (torch.full((2, 3, 4), float("inf")), "NaN/inf"),
    ],
)
def test_bad_input_raises(z, match):
    with pytest.raises(ValueError, match=match):
        vicreg_loss(z)
    with pytest.raises(ValueError, match=match):
        VICRegLoss()(z)


def test_negative_coefficient_raises():
    with pytest.raises(ValueError, match="std_coeff"):
        VICRegLoss(std_coeff=-1.0)
