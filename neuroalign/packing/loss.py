"""The hinge loss of overlapping spheres and its gradient.

Zhang & Martiniani, "Neural manifold packing by stochastic gradient descent", Eq. 2: a pair of
spheres at minimum-image separation r_ij = x_i - x_j with contact distance
sigma_ij = R_i + R_j costs U(r_ij) = (sigma_ij - |r_ij|) / 2 when |r_ij| < sigma_ij and nothing
otherwise (for monodisperse spheres sigma = 2R, the paper's form). The loss is
L = sum_{i<j} U(r_ij), and its gradient

    grad_i L = -1/2 sum_{j overlapping i} u_ij,    u_ij = r_ij / |r_ij|,

is half the negative sum of the unit vectors pointing from each overlapping neighbour to i:
exactly the direction of a BRO kick (see :mod:`neuroalign.packing.dynamics`). A sphere is
*active* when it overlaps at least one other.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from neuroalign.packing.neighbours import VerletList, neighbour_pairs

__all__ = [
    "Overlaps",
    "active_mask",
    "find_overlaps",
    "hinge_gradient",
    "hinge_loss",
    "kick_directions",
]


class Overlaps(NamedTuple):
    """The overlapping pairs of one configuration of n spheres.

    i, j: (P,) int64; unit: (P, d) unit vector u_ij from j to i (zero if the centres
    coincide); overlap: (P,) sigma_ij - |r_ij| > 0 (diameters); sigma: (P,) R_i + R_j;
    n: number of spheres.
    """

    i: torch.Tensor
    j: torch.Tensor
    unit: torch.Tensor
    overlap: torch.Tensor
    sigma: torch.Tensor
    n: int


def find_overlaps(
    x: torch.Tensor,
    radii: torch.Tensor,
    side: float,
    *,
    method: str = "cells",
    search: VerletList | None = None,
    max_radius: float | None = None,
) -> Overlaps:
    """The pairs with |r_ij| < R_i + R_j.

    Args:
        x: positions (n, d); radii: (n,); side: box side.
        method: neighbour search, "cells" (O(N)) or "brute" (O(N^2)).
        search: a :class:`~neuroalign.packing.neighbours.VerletList` (cutoff >= 2 max R) to
            reuse between calls instead of searching afresh.
        max_radius: ``radii.max()`` when the caller knows it (a simulation's radii are fixed):
            reading it from a CUDA tensor would wait for the device at every step.
    """
    if radii.shape != (x.shape[0],):
        raise ValueError(f"radii: expected shape ({x.shape[0]},), got {tuple(radii.shape)}")
    cutoff = 2.0 * (float(radii.max()) if max_radius is None else max_radius)
    if search is None:
        pairs = neighbour_pairs(x, side, cutoff, method)
    elif search.cutoff < cutoff:
        raise ValueError(f"search: cutoff {search.cutoff} is below 2 max R = {cutoff}")
    else:
        pairs = search.pairs(x, side)
    sigma = radii[pairs.i] + radii[pairs.j]
    touching = torch.nonzero(pairs.r < sigma).squeeze(1)
    r = pairs.r[touching]
    unit = pairs.dr[touching] / r.clamp_min(torch.finfo(r.dtype).tiny)[:, None]
    sigma = sigma[touching]
    return Overlaps(pairs.i[touching], pairs.j[touching], unit, sigma - r, sigma, x.shape[0])


def hinge_loss(overlaps: Overlaps) -> torch.Tensor:
    """L = sum over overlapping pairs of (sigma_ij - |r_ij|) / 2 (a 0-d tensor)."""
    return 0.5 * overlaps.overlap.sum()


def kick_directions(overlaps: Overlaps) -> torch.Tensor:
    """k_i = sum over the neighbours j overlapping i of u_ij, shape (n, d); k = -2 grad L."""
    out = torch.zeros(
        overlaps.n, overlaps.unit.shape[1], dtype=overlaps.unit.dtype, device=overlaps.unit.device
    )
    out.index_add_(0, overlaps.i, overlaps.unit)
    out.index_add_(0, overlaps.j, overlaps.unit, alpha=-1.0)
    return out


def hinge_gradient(overlaps: Overlaps) -> torch.Tensor:
    """grad_i L = -1/2 sum_j u_ij, shape (n, d) (zero for inactive spheres)."""
    return -0.5 * kick_directions(overlaps)


def active_mask(overlaps: Overlaps) -> torch.Tensor:
    """(n,) bool: sphere i overlaps at least one other."""
    mask = torch.zeros(overlaps.n, dtype=torch.bool, device=overlaps.i.device)
    mask[overlaps.i] = True
    mask[overlaps.j] = True
    return mask
