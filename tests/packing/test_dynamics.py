from __future__ import annotations

import pytest
import torch

from neuroalign.packing.box import minimum_image, wrap
from neuroalign.packing.dynamics import (
    BRO,
    ParticleSGD,
    batch_size_for,
    bro_displacement,
    sgd_displacement,
)
from neuroalign.packing.loss import active_mask, find_overlaps, hinge_gradient

RADII2 = torch.full((2,), 0.5, dtype=torch.float64)


def pair(x0, x1, side=8.0):
    x = torch.tensor([x0, x1], dtype=torch.float64)
    return x, find_overlaps(x, RADII2, side)


def test_gradient_descent_moves_a_pair_apart_symmetrically():
    x, ov = pair([3.0, 3.0, 3.0], [3.6, 3.8, 3.0])
    step = sgd_displacement(ov, 0.1, batch_fraction=1.0)
    torch.testing.assert_close(step[0], -step[1])
    unit = (x[0] - x[1]) / (x[0] - x[1]).norm()
    torch.testing.assert_close(step[0], 0.05 * unit)  # -alpha grad = alpha/2 u


def test_bro_moves_a_pair_apart_along_the_line_of_centres():
    x, ov = pair([3.0, 3.0], [3.6, 3.8])
    unit = (x[0] - x[1]) / (x[0] - x[1]).norm()
    gen = torch.Generator().manual_seed(0)
    steps = torch.stack([bro_displacement(ov, 0.2, generator=gen) for _ in range(4000)])
    along0 = steps[:, 0] @ unit
    along1 = steps[:, 1] @ unit
    # each sphere moves away from the other, along the line of centres, by U[0, eps]
    torch.testing.assert_close(steps[:, 0], along0[:, None] * unit)
    torch.testing.assert_close(steps[:, 1], along1[:, None] * unit)
    assert float(along0.min()) >= 0 and float(along0.max()) <= 0.2
    assert float(along1.max()) <= 0 and float(along1.min()) >= -0.2
    # symmetric in distribution: both means eps/2
    assert float(along0.mean()) == pytest.approx(0.1, abs=0.005)
    assert float(-along1.mean()) == pytest.approx(0.1, abs=0.005)
    new = x + steps[0]
    assert float((new[0] - new[1]).norm()) >= float((x[0] - x[1]).norm())


def test_pair_across_the_boundary_separates_through_it():
    side = 8.0
    x, ov = pair([0.1, 4.0], [7.7, 4.0], side)
    moved = wrap(x + sgd_displacement(ov, 0.2), side)
    torch.testing.assert_close(moved[0], torch.tensor([0.2, 4.0], dtype=torch.float64))
    torch.testing.assert_close(moved[1], torch.tensor([7.6, 4.0], dtype=torch.float64))
    sep = minimum_image(moved[0] - moved[1], side).norm()
    assert float(sep) == pytest.approx(0.6)


def test_unit_kick_is_at_most_eps_long():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(200, 3, generator=gen, dtype=torch.float64) * 5
    ov = find_overlaps(x, torch.full((200,), 0.5, dtype=torch.float64), 5.0)
    step = bro_displacement(ov, 0.1, kick="unit", generator=gen)
    assert float(step.norm(dim=1).max()) <= 0.1 + 1e-12
    assert bool((step.norm(dim=1)[~active_mask(ov)] == 0).all())


def test_sgd_moves_exactly_b_active_spheres_by_minus_alpha_grad():
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(300, 3, generator=gen, dtype=torch.float64) * 7
    ov = find_overlaps(x, torch.full((300,), 0.5, dtype=torch.float64), 7.0)
    active = active_mask(ov)
    n_active = int(active.sum())
    grad = hinge_gradient(ov)
    for kwargs, b in (
        ({"batch_fraction": 0.3}, batch_size_for(n_active, 0, 0.3)),
        ({"batch_size": 7}, 7),
    ):
        step = sgd_displacement(ov, 0.05, generator=gen, **kwargs)
        moved = step.norm(dim=1) > 0
        assert int(moved.sum()) == b
        assert bool(active[moved].all())
        torch.testing.assert_close(step[moved], -0.05 * grad[moved])


def test_batch_size_rules():
    assert batch_size_for(0, 0, 0.5) == 0
    assert batch_size_for(10, 0, 0.3) == 3
    assert batch_size_for(10, 0, 0.31) == 4
    assert batch_size_for(10, 0, 1.0) == 10
    assert batch_size_for(10, 25, 0.1) == 10
    assert batch_size_for(3, 0, 0.01) == 1


def test_rules_validate_their_parameters():
    with pytest.raises(ValueError, match="eps"):
        BRO(0.0)
    with pytest.raises(ValueError, match="kick"):
        BRO(0.1, kick="pairwise")
    with pytest.raises(ValueError, match="batch_fraction"):
        ParticleSGD(0.1, batch_fraction=1.5)
    with pytest.raises(ValueError, match="lr"):
        ParticleSGD(-1.0)
