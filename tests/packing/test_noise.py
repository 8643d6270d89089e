from __future__ import annotations

import pytest
import torch

from neuroalign.packing.box import box_side, make_radii, random_positions
from neuroalign.packing.dynamics import BRO, ParticleSGD
from neuroalign.packing.loss import active_mask, find_overlaps, hinge_gradient
from neuroalign.packing.noise import noise_table, predicted_moments


def overlaps(n=40, phi=0.5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    radii = make_radii(n, generator=gen)
    side = box_side(radii, phi, 3)
    x = random_positions(n, 3, side, generator=gen)
    return find_overlaps(x, radii, side)


def test_predicted_moments_are_eq1_and_eq3():
    ov = overlaps()
    g = hinge_gradient(ov)
    outer = g[:, :, None] * g[:, None, :]
    mean, cov = predicted_moments(ov, BRO(0.1))
    torch.testing.assert_close(mean, -0.1 * g)
    torch.testing.assert_close(cov, 0.01 / 3 * outer)
    n_active = int(active_mask(ov).sum())
    mean, cov = predicted_moments(ov, ParticleSGD(0.2, batch_size=n_active // 2))
    b = (n_active // 2) / n_active
    torch.testing.assert_close(mean, -0.2 * b * g)
    torch.testing.assert_close(cov, 0.04 * (b - b * b) * outer)


def test_sampled_steps_match_eq1_and_eq3_and_their_noise_ratios():
    ov = overlaps(60, 0.55, 3)
    n_active = int(active_mask(ov).sum())
    rules = {
        "bro": BRO(0.05),
        "gd": ParticleSGD(0.05, 1.0),
        "sgd_quarter": ParticleSGD(0.2, batch_size=n_active // 4),
        "sgd_three_quarters": ParticleSGD(0.2, batch_size=3 * n_active // 4),
    }
    table = noise_table(ov, rules, n_draws=1000, generator=torch.Generator().manual_seed(0))
    rows = table.set_index("name")
    # Monte-Carlo errors of 1000 draws: about sqrt(noise ratio / 1000), 2-6 per cent
    assert (rows["mean_rel_error"] < 0.12).all()
    assert (rows["cov_rel_error"] < 0.2).all()
    assert rows.loc["bro", "noise_ratio_predicted"] == pytest.approx(1 / 3)
    assert rows.loc["bro", "noise_ratio_sampled"] == pytest.approx(1 / 3, rel=0.15)
    assert rows.loc["gd", "noise_ratio_sampled"] == pytest.approx(0.0, abs=1e-12)
    assert rows.loc["gd", "mean_rel_error"] == pytest.approx(0.0, abs=1e-12)
    for name in ("sgd_quarter", "sgd_three_quarters"):
        b = rows.loc[name, "b_f"]
        assert rows.loc[name, "noise_ratio_predicted"] == pytest.approx((1 - b) / b)
        assert rows.loc[name, "noise_ratio_sampled"] == pytest.approx((1 - b) / b, rel=0.15)


def test_unit_kicks_have_no_eq1():
    with pytest.raises(ValueError, match="kick"):
        predicted_moments(overlaps(), BRO(0.1, kick="unit"))
