from __future__ import annotations

import pytest
import torch

from neuroalign.packing.box import box_side, make_radii, random_positions
from neuroalign.packing.neighbours import (
    VerletList,
    brute_force_pairs,
    cell_count,
    cell_list_pairs,
    half_shell_offsets,
)


def canonical(pairs) -> list[tuple[int, int]]:
    i, j = torch.minimum(pairs.i, pairs.j), torch.maximum(pairs.i, pairs.j)
    return sorted(zip(i.tolist(), j.tolist(), strict=True))


def configuration(n, d, phi, poly, seed):
    gen = torch.Generator().manual_seed(seed)
    radii = make_radii(n, poly, generator=gen)
    side = box_side(radii, phi, d)
    return random_positions(n, d, side, generator=gen), radii, side


@pytest.mark.parametrize(
    ("n", "d", "phi", "poly"),
    [
        (400, 2, 0.7, 0.0),
        (500, 3, 0.6, 0.2),
        (600, 3, 0.3, 0.0),
        (700, 4, 0.4, 0.1),
        (150, 5, 0.3, 0.0),
    ],
)
def test_cell_list_equals_brute_force(n, d, phi, poly):
    for seed in range(3):
        x, radii, side = configuration(n, d, phi, poly, seed)
        for cutoff in (2 * float(radii.max()), 1.37):
            if cutoff >= side / 2:
                continue
            fast, slow = cell_list_pairs(x, side, cutoff), brute_force_pairs(x, side, cutoff)
            assert canonical(fast) == canonical(slow)
            assert len(set(canonical(fast))) == len(fast.i)  # each pair once
            assert bool((fast.i != fast.j).all())
            # same displacement vectors (up to the orientation of the pair)
            flip = fast.i > fast.j
            dr = torch.where(flip[:, None], -fast.dr, fast.dr)
            order_fast = torch.argsort(
                torch.minimum(fast.i, fast.j) * n + torch.maximum(fast.i, fast.j)
            )
            order_slow = torch.argsort(slow.i * n + slow.j)
            torch.testing.assert_close(dr[order_fast], slow.dr[order_slow])
            torch.testing.assert_close(fast.r, fast.dr.norm(dim=1))


def test_cell_list_with_exactly_three_cells_per_side():
    x, _, side = configuration(60, 3, 0.5, 0.0, 0)
    cutoff = side / 3.2
    assert cell_count(side, cutoff, 60, 3) == 3
    assert canonical(cell_list_pairs(x, side, cutoff)) == canonical(
        brute_force_pairs(x, side, cutoff)
    )


def test_pair_across_the_periodic_boundary_is_found():
    side = 10.0
    x = torch.tensor([[0.2, 5.0, 5.0], [9.9, 5.1, 5.0], [5.0, 5.0, 5.0]], dtype=torch.float64)
    pairs = cell_list_pairs(x, side, 1.0)
    assert canonical(pairs) == [(0, 1)]
    sign = 1.0 if int(pairs.i[0]) == 0 else -1.0
    torch.testing.assert_close(
        sign * pairs.dr[0], torch.tensor([0.3, -0.1, 0.0], dtype=torch.float64)
    )


def test_half_shell_covers_every_neighbour_cell_once():
    for d in (2, 3, 4):
        off = half_shell_offsets(d)
        assert off.shape == ((3**d + 1) // 2, d)
        forward = {tuple(o) for o in off.tolist()}
        backward = {tuple(o) for o in (-off).tolist()}
        assert forward & backward == {(0,) * d}  # no cell is reached in both directions
        assert len(forward | backward) == 3**d


def test_verlet_list_returns_what_a_fresh_search_returns():
    x, radii, side = configuration(400, 3, 0.6, 0.1, 1)
    cutoff = 2 * float(radii.max())
    verlet = VerletList(cutoff, skin=0.3)
    gen = torch.Generator().manual_seed(5)
    for _ in range(20):
        assert canonical(verlet.pairs(x, side)) == canonical(cell_list_pairs(x, side, cutoff))
        x = x + 0.02 * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    assert 1 < verlet.builds < 20


def test_cutoff_must_fit_the_box():
    x, _, side = configuration(50, 3, 0.5, 0.0, 0)
    with pytest.raises(ValueError, match="cutoff"):
        cell_list_pairs(x, side, side)


@pytest.mark.gpu
def test_cell_list_on_cuda_equals_cpu():
    x, radii, side = configuration(5000, 3, 0.6, 0.1, 0)
    cutoff = 2 * float(radii.max())
    cpu = canonical(cell_list_pairs(x, side, cutoff))
    assert canonical(cell_list_pairs(x.cuda(), side, cutoff)) == cpu
    verlet = VerletList(cutoff, skin=0.3)
    assert canonical(verlet.pairs(x.cuda(), side)) == cpu
