from __future__ import annotations

import pytest
import torch

from neuroalign.packing.box import box_side, make_radii, random_positions
from neuroalign.packing.loss import (
    active_mask,
    find_overlaps,
    hinge_gradient,
    hinge_loss,
    kick_directions,
)


def loss_at(x, radii, side):
    return float(hinge_loss(find_overlaps(x, radii, side)))


@pytest.mark.parametrize(("d", "poly"), [(2, 0.0), (3, 0.2), (4, 0.1)])
def test_gradient_equals_finite_differences_and_autograd(d, poly):
    gen = torch.Generator().manual_seed(d)
    radii = make_radii(120, poly, generator=gen)
    side = box_side(radii, 0.45, d)
    x = random_positions(120, d, side, generator=gen)
    grad = hinge_gradient(find_overlaps(x, radii, side))
    assert float(grad.abs().max()) > 0
    # central differences on every coordinate of the 10 spheres with the largest gradient
    h = 1e-6
    for i in torch.argsort(grad.norm(dim=1), descending=True)[:10].tolist():
        for a in range(d):
            step = torch.zeros_like(x)
            step[i, a] = h
            numeric = (loss_at(x + step, radii, side) - loss_at(x - step, radii, side)) / (2 * h)
            assert numeric == pytest.approx(float(grad[i, a]), abs=1e-6)
    xr = x.clone().requires_grad_(True)
    hinge_loss(find_overlaps(xr, radii, side)).backward()
    torch.testing.assert_close(xr.grad, grad)


def test_single_pair_loss_and_gradient():
    radii = torch.tensor([0.5, 0.7], dtype=torch.float64)
    x = torch.tensor([[2.0, 2.0, 2.0], [3.0, 2.0, 2.0]], dtype=torch.float64)
    ov = find_overlaps(x, radii, 10.0)
    assert float(hinge_loss(ov)) == pytest.approx((1.2 - 1.0) / 2)
    expected = torch.tensor([[0.5, 0.0, 0.0], [-0.5, 0.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(hinge_gradient(ov), expected)
    torch.testing.assert_close(kick_directions(ov), -2 * expected)


def test_pair_overlapping_across_the_boundary():
    side = 6.0
    radii = torch.full((3,), 0.5, dtype=torch.float64)
    x = torch.tensor([[0.1, 3.0], [5.7, 3.0], [3.0, 3.0]], dtype=torch.float64)
    ov = find_overlaps(x, radii, side)
    assert float(hinge_loss(ov)) == pytest.approx((1.0 - 0.4) / 2)
    grad = hinge_gradient(ov)
    # sphere 0 is pushed to +x (away from its image neighbour at -0.3), sphere 1 to -x
    torch.testing.assert_close(grad[0], torch.tensor([-0.5, 0.0], dtype=torch.float64))
    torch.testing.assert_close(grad[1], torch.tensor([0.5, 0.0], dtype=torch.float64))
    assert active_mask(ov).tolist() == [True, True, False]


def test_brute_and_cells_give_the_same_overlaps():
    gen = torch.Generator().manual_seed(0)
    radii = make_radii(300, 0.15, generator=gen)
    side = box_side(radii, 0.6, 3)
    x = random_positions(300, 3, side, generator=gen)
    a = find_overlaps(x, radii, side, method="cells")
    b = find_overlaps(x, radii, side, method="brute")
    assert float(hinge_loss(a)) == pytest.approx(float(hinge_loss(b)), rel=1e-12)
    torch.testing.assert_close(hinge_gradient(a), hinge_gradient(b))


def test_radii_shape_is_checked():
    with pytest.raises(ValueError, match="radii"):
        find_overlaps(torch.zeros(3, 2), torch.ones(4), 10.0)
