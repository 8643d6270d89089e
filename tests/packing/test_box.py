from __future__ import annotations

import itertools
import math

import pytest
import torch

from neuroalign.packing.box import (
    box_side,
    make_radii,
    minimum_image,
    random_positions,
    sphere_volume,
    volume_fraction,
    wrap,
)


def test_sphere_volume_closed_forms():
    assert sphere_volume(0.5, 2) == pytest.approx(math.pi / 4)
    assert sphere_volume(0.5, 3) == pytest.approx(math.pi / 6)
    assert sphere_volume(1.0, 4) == pytest.approx(math.pi**2 / 2)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_box_side_gives_the_volume_fraction(d):
    radii = make_radii(300, 0.2, generator=torch.Generator().manual_seed(d))
    side = box_side(radii, 0.55, d)
    assert volume_fraction(radii, side, d) == pytest.approx(0.55, rel=1e-12)


def test_radii_have_mean_diameter_one_and_the_requested_spread():
    assert torch.equal(make_radii(10), torch.full((10,), 0.5, dtype=torch.float64))
    diam = 2 * make_radii(20000, 0.2, generator=torch.Generator().manual_seed(0))
    assert float(diam.mean()) == pytest.approx(1.0, abs=1e-12)
    assert float(diam.std() / diam.mean()) == pytest.approx(0.2, rel=0.02)
    assert float(diam.min()) > 1 - math.sqrt(3) * 0.2 - 0.01


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="polydispersity"):
        make_radii(10, 0.7)
    with pytest.raises(ValueError, match="phi"):
        box_side(make_radii(10), 1.2, 3)
    with pytest.raises(ValueError, match="d:"):
        box_side(make_radii(10), 0.5, 1)


def test_minimum_image_is_the_shortest_image():
    side = 5.0
    gen = torch.Generator().manual_seed(0)
    dr = (torch.rand(200, 2, generator=gen, dtype=torch.float64) - 0.5) * 4 * side
    img = minimum_image(dr, side)
    shifts = torch.tensor(list(itertools.product((-3, -2, -1, 0, 1, 2, 3), repeat=2))) * side
    best = (dr[:, None, :] + shifts[None].double()).norm(dim=2).min(dim=1).values
    torch.testing.assert_close(img.norm(dim=1), best)
    assert float(img.abs().max()) <= side / 2 + 1e-12


def test_wrap_folds_into_the_box():
    x = torch.tensor([[-0.1, 10.2], [5.0, -1e-18]], dtype=torch.float64)
    w = wrap(x, 5.0)
    assert float(w.min()) >= 0 and float(w.max()) < 5.0
    torch.testing.assert_close(w[0], torch.tensor([4.9, 0.2], dtype=torch.float64))
    pos = random_positions(100, 3, 2.0, generator=torch.Generator().manual_seed(0))
    assert pos.shape == (100, 3) and float(pos.max()) < 2.0
