"""The periodic box: sphere volumes, box side from a volume fraction, wrapping, minimum image.

N spheres (radii R_i) live in a periodic cubic box of side ``side`` in d >= 2 dimensions
(Zhang & Martiniani, "Neural manifold packing by stochastic gradient descent"; SCIENCE.md
section 5). Lengths are in units of the mean diameter: monodisperse spheres have R = 1/2, and
kick sizes and learning rates are fractions of a diameter (the convention of BRO, Wilken et
al., PRL 127, 038002, 2021, and of the authors' code). The volume fraction is
phi = sum_i V_d(R_i) / side^d with V_d(R) = pi^(d/2) R^d / Gamma(d/2 + 1).
"""

from __future__ import annotations

import math

import torch

from neuroalign.packing.config import check_dimension

__all__ = [
    "box_side",
    "make_radii",
    "minimum_image",
    "random_positions",
    "sphere_volume",
    "volume_fraction",
    "wrap",
]


def sphere_volume(radius: float | torch.Tensor, d: int) -> float | torch.Tensor:
    """Volume V_d(R) = pi^(d/2) R^d / Gamma(d/2 + 1) of a d-ball (elementwise for a tensor)."""
    unit = math.pi ** (d / 2) / math.gamma(d / 2 + 1)
    return unit * radius**d


def make_radii(
    n: int,
    polydispersity: float = 0.0,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Radii (n,) with mean diameter 1.

    Args:
        n: number of spheres (>= 2).
        polydispersity: relative standard deviation of the diameters (0 = monodisperse,
            R = 1/2); diameters are drawn uniformly from [1 - sqrt(3) p, 1 + sqrt(3) p] and
            rescaled to mean exactly 1, so p < 1/sqrt(3).
        generator: seeded torch generator (CPU) for the draws.
    """
    if n < 2:
        raise ValueError(f"n: need at least 2 spheres, got {n}")
    if not 0.0 <= polydispersity < 1.0 / math.sqrt(3.0):
        raise ValueError(f"polydispersity: must be in [0, 1/sqrt(3)), got {polydispersity}")
    if polydispersity == 0.0:
        return torch.full((n,), 0.5, dtype=dtype, device=device)
    half_width = math.sqrt(3.0) * polydispersity
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    diameters = 1.0 + half_width * (2.0 * u - 1.0)
    diameters = diameters / diameters.mean()
    return (0.5 * diameters).to(dtype=dtype, device=device)


def box_side(radii: torch.Tensor, phi: float, d: int) -> float:
    """Side of the periodic cube that holds spheres of ``radii`` (n,) at volume fraction phi."""
    if not 0.0 < phi < 1.0:
        raise ValueError(f"phi: the volume fraction must be in (0, 1), got {phi}")
    total = float(sphere_volume(radii.double(), check_dimension(d)).sum())
    return (total / phi) ** (1.0 / d)


def volume_fraction(radii: torch.Tensor, side: float, d: int) -> float:
    """phi = sum_i V_d(R_i) / side^d."""
    return float(sphere_volume(radii.double(), d).sum()) / side**d


def random_positions(
    n: int,
    d: int,
    side: float,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Uniform random centres (n, d) in [0, side)^d (the usual random initial condition)."""
    x = torch.rand(n, check_dimension(d), generator=generator, dtype=torch.float64) * side
    return x.to(dtype=dtype, device=device)


def wrap(x: torch.Tensor, side: float) -> torch.Tensor:
    """Positions (..., d) folded back into [0, side)^d."""
    x = torch.remainder(x, side)
    # remainder can return exactly `side` for tiny negative inputs in floating point
    return torch.where(x >= side, x - side, x)


def minimum_image(dr: torch.Tensor, side: float) -> torch.Tensor:
    """Displacements (..., d) replaced by their nearest periodic image, components in
    [-side/2, side/2]."""
    return dr - side * torch.round(dr / side)
