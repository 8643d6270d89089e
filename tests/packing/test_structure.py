from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch

from neuroalign.packing.structure import (
    bond_order_2d,
    contact_numbers,
    mean_coordination,
    radial_distribution,
    structure_factor,
    structure_factor_exponent,
    wave_vectors,
)


def lattice(m, d, spacing=1.0):
    pts = torch.tensor(list(itertools.product(range(m), repeat=d)), dtype=torch.float64)
    return (pts + 0.5) * spacing, m * spacing


def hexagonal(rows, cols, spacing=1.0):
    pts = [
        ((c + 0.5 * (r % 2)) * spacing, r * spacing * math.sqrt(3) / 2)
        for r in range(rows)
        for c in range(cols)
    ]
    return torch.tensor(pts, dtype=torch.float64)


def test_wave_vectors_are_one_of_each_pair():
    vecs, shell = wave_vectors(3, 3)
    as_set = {tuple(v) for v in vecs.tolist()}
    assert not any(tuple(-v for v in u) in as_set for u in as_set)
    assert len(as_set) == len(vecs)
    assert int(shell.min()) == 1 and int(shell.max()) == 3
    # 3 vectors of |n| = 1 (one of each +-e_a) in d = 3
    assert int((vecs.double().norm(dim=1) == 1).sum()) == 3


def test_structure_factor_of_a_lattice_has_bragg_peaks_only():
    x, side = lattice(6, 2)
    sq = structure_factor(x, side, n_max=7, per_shell=10_000).set_index("shell")
    assert float(sq.loc[1:5, "s"].abs().max()) < 1e-20  # no order below the first Bragg peak
    # shell 6 holds (6, 0) and (0, 6): Bragg peaks with S = N, and (6, +-1)? no: |(6,1)| > 6.5
    peaks = sq.loc[6]
    assert float(peaks["s"]) * float(peaks["n_vectors"]) >= 2 * 36 - 1e-6


def test_structure_factor_and_gr_of_an_ideal_gas_are_one():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2000, 3, generator=gen, dtype=torch.float64) * 10.0
    sq = structure_factor(x, 10.0, n_max=6, per_shell=64)
    assert float(sq["s"].mean()) == pytest.approx(1.0, abs=0.1)
    gr = radial_distribution(x, 10.0, r_max=3.0, n_bins=30)
    assert float(gr.loc[gr["r"] > 0.5, "g"].mean()) == pytest.approx(1.0, abs=0.05)


def test_structure_factor_exponent_of_a_power_law():
    q = np.linspace(0.1, 2.0, 20)
    sq = pd.DataFrame({"q": q, "s": 0.3 * q**0.25})
    assert structure_factor_exponent(sq, q_max=1.0) == pytest.approx(0.25)


@pytest.mark.parametrize("d", [2, 3])
def test_simple_cubic_lattice_at_contact_has_2d_contacts(d):
    x, side = lattice(5, d)
    radii = torch.full((x.shape[0],), 0.5, dtype=torch.float64)
    assert int(contact_numbers(x, radii, side, tolerance=0.0).sum()) == 0  # exactly touching
    counts = contact_numbers(x, radii, side, tolerance=1e-6)
    assert bool((counts == 2 * d).all())
    z = mean_coordination(x, radii, side, tolerance=1e-6, remove_rattlers=True)
    assert z["z"] == pytest.approx(2 * d) and z["rattler_fraction"] == 0.0


def test_rattlers_are_removed():
    x, side = lattice(5, 2)
    radii = torch.full((x.shape[0],), 0.5, dtype=torch.float64)
    radii[0] = 0.3  # no longer touches anyone
    z = mean_coordination(x, radii, side, tolerance=1e-6, remove_rattlers=True)
    assert z["n_spheres"] < 25 and z["rattler_fraction"] > 0


def test_hexatic_order_of_a_crystal_and_a_gas():
    # a 30 x 30 hexagonal patch in a large box (the box is square, so the lattice cannot be
    # periodic; the border spheres have fewer neighbours, lowering the mean a little)
    crystal = hexagonal(30, 30) + 5.0
    order = bond_order_2d(crystal, 60.0)
    assert order["local"] > 0.9 and order["global"] > 0.9
    turned = crystal @ torch.tensor([[0.6, -0.8], [0.8, 0.6]], dtype=torch.float64)
    assert bond_order_2d(turned + 40.0, 120.0)["local"] == pytest.approx(order["local"])
    gen = torch.Generator().manual_seed(0)
    gas = bond_order_2d(torch.rand(500, 2, generator=gen, dtype=torch.float64) * 20, 20.0)
    assert gas["local"] < 0.5 and gas["global"] < 0.1
