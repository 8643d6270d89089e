"""One step of Biased Random Organization (BRO) and of particle SGD on the hinge loss.

Zhang & Martiniani, "Neural manifold packing by stochastic gradient descent" (SCIENCE.md
section 5), with k_i = sum_{j overlapping i} u_ij the sum of the unit vectors pointing away
from i's overlapping neighbours (k = -2 grad L, :mod:`neuroalign.packing.loss`):

- BRO: every active sphere moves by  u_i k_i,  u_i ~ Uniform[0, eps]  drawn per sphere and
  step ("the summation over all neighbouring unit vectors is scaled by a random number"). Its
  mean is -eps grad_i L and its covariance (eps^2 / 3) grad_i L grad_i L^T: the stochastic
  approximation of Eq. 1. ``kick="unit"`` instead moves by u_i k_i / |k_i| (a kick of length
  at most eps along k_i, the variant of Wilken et al., PRL 127, 038002, 2021).
- particle SGD: B spheres drawn uniformly without replacement among the |Q| active ones move
  by -alpha grad_i L; the others stay. Each active sphere is in the batch with probability
  b_f = B / |Q|, so its step has mean -alpha b_f grad_i L and covariance
  alpha^2 (b_f - b_f^2) grad_i L grad_i L^T (Eq. 3). The batch is given either as a size B or
  as a fraction b_f (B = ceil(b_f |Q|)); b_f = 1 is plain gradient descent (no noise).
  With alpha = eps / b_f both dynamics have the same mean step.

Lengths (eps, alpha) are in units of the mean diameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neuroalign.packing.config import KICKS, DynamicsConfig
from neuroalign.packing.loss import Overlaps, active_mask, hinge_gradient, kick_directions

__all__ = [
    "BRO",
    "ParticleSGD",
    "batch_size_for",
    "bro_displacement",
    "dynamics_rule",
    "sgd_displacement",
]


def bro_displacement(
    overlaps: Overlaps,
    eps: float,
    *,
    kick: str = "sum",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """BRO displacements (n, d): u_i k_i with u_i ~ Uniform[0, eps] (k_i / |k_i| for
    ``kick="unit"``); zero for inactive spheres."""
    if kick not in KICKS:
        raise ValueError(f"kick: expected one of {KICKS}, got {kick!r}")
    if not eps > 0:
        raise ValueError(f"eps: the BRO kick size must be > 0, got {eps}")
    k = kick_directions(overlaps)
    if kick == "unit":
        norm = torch.linalg.vector_norm(k, dim=1, keepdim=True)
        k = k / norm.clamp_min(torch.finfo(k.dtype).tiny)
    u = torch.rand(overlaps.n, 1, generator=generator, dtype=k.dtype, device=k.device)
    return (eps * u) * k


def batch_size_for(n_active: int, batch_size: int = 0, batch_fraction: float = 1.0) -> int:
    """B for |Q| = ``n_active``: ``batch_size`` if > 0, else ceil(batch_fraction |Q|); at most
    |Q| and at least 1 (0 when nothing is active)."""
    if n_active == 0:
        return 0
    if batch_size > 0:
        return min(batch_size, n_active)
    # the small tolerance keeps b_f |Q| = 3.0000000001 (rounding) at 3
    return max(1, min(n_active, math.ceil(batch_fraction * n_active - 1e-9)))


def sgd_displacement(
    overlaps: Overlaps,
    lr: float,
    *,
    batch_size: int = 0,
    batch_fraction: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Particle-SGD displacements (n, d): -lr grad_i L for B spheres drawn among the active
    ones (see :func:`batch_size_for`), zero for the others."""
    if not lr > 0:
        raise ValueError(f"lr: the learning rate must be > 0, got {lr}")
    grad = hinge_gradient(overlaps)
    active = active_mask(overlaps)
    n_active = int(active.sum())
    b = batch_size_for(n_active, batch_size, batch_fraction)
    if b >= n_active:  # the whole active set: plain gradient descent, nothing to draw
        return -lr * grad
    keys = torch.rand(overlaps.n, generator=generator, dtype=grad.dtype, device=grad.device)
    keys.masked_fill_(~active, 2.0)
    chosen = torch.topk(keys, b, largest=False, sorted=False).indices
    step = torch.zeros_like(grad)
    step[chosen] = -lr * grad[chosen]
    return step


def _check_fraction(batch_size: int, batch_fraction: float) -> None:
    if batch_size < 0:
        raise ValueError(f"batch_size: must be >= 0 (0 = use batch_fraction), got {batch_size}")
    if batch_size == 0 and not 0.0 < batch_fraction <= 1.0:
        raise ValueError(f"batch_fraction: must be in (0, 1], got {batch_fraction}")


@dataclass(frozen=True)
class BRO:
    """Biased Random Organization with kick size ``eps`` (see the module docstring)."""

    eps: float
    kick: str = "sum"

    def __post_init__(self) -> None:
        if not self.eps > 0:
            raise ValueError(f"eps: the BRO kick size must be > 0, got {self.eps}")
        if self.kick not in KICKS:
            raise ValueError(f"kick: expected one of {KICKS}, got {self.kick!r}")

    def displacement(
        self, overlaps: Overlaps, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return bro_displacement(overlaps, self.eps, kick=self.kick, generator=generator)


@dataclass(frozen=True)
class ParticleSGD:
    """Particle SGD with learning rate ``lr`` and batch size B or batch fraction b_f."""

    lr: float
    batch_fraction: float = 1.0
    batch_size: int = 0

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"lr: the learning rate must be > 0, got {self.lr}")
        _check_fraction(self.batch_size, self.batch_fraction)

    def displacement(
        self, overlaps: Overlaps, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return sgd_displacement(
            overlaps,
            self.lr,
            batch_size=self.batch_size,
            batch_fraction=self.batch_fraction,
            generator=generator,
        )


def dynamics_rule(config: DynamicsConfig) -> BRO | ParticleSGD:
    """The dynamics object a config asks for: BRO (kick size eps) or particle SGD (alpha, B or
    b_f)."""
    if config.dynamics == "bro":
        return BRO(config.eps, config.kick)
    return ParticleSGD(config.learning_rate, config.batch_fraction, config.batch_size)
