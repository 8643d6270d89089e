"""CLAMP: contrastive learning as manifold packing.

Zhang, Heeger & Martiniani, "Contrastive Self-Supervised Learning As Neural Manifold Packing",
NeurIPS 2025 (arXiv 2506.13717); reference implementation github.com/guanming-zhang/clamp
(``model/loss_module.py``, class ``LogRepulsiveEllipsoidPackingLossUnitNorm``).

Each image i of a batch is seen through m augmentations; its m embeddings form a small
"sub-manifold" (an ellipsoid with centroid Z_i and radius r_i). CLAMP packs the sub-manifolds:
overlapping pairs repel with a soft harmonic potential, and the loss is the log of the total
overlap energy. The definition (SCIENCE.md section 1), for z of shape (m, B, d):

1. centre the whole batch: z <- z - mean over all views and images;
2. unit-normalise every embedding: z <- z / ||z||;
3. centroids Z_i = (1/m) sum_a z_i^a;
4. spreads T_i = (1/(m-1)) sum_a ||z_i^a - Z_i||^2 (trace of the view covariance);
5. radii r_i = r_s * sqrt(T_i / min(d, m) + 1e-12);
6. distances d_ij = sqrt(||Z_i - Z_j||^2 + 1e-12);
7. contact distances S_ij = min(r_i + r_j + 1e-6, max_range);
8. pair energies E_ij = (1 - d_ij / S_ij)^p where min_margin < d_ij < S_ij and i != j, else 0;
9. energy L = 0.5 * sum_{i != j} E_ij + lw0 * sum_i r_i;
10. loss = log(L + 1e-6).

Steps 1-6 are :func:`submanifold_geometry` (also used by :mod:`neuroalign.geometry`); the loss
is :func:`clamp_loss` and its module :class:`CLAMPLoss`.

Numerics: by default everything is computed in float64 (``compute_dtype``) and the loss is
cast back to z's dtype. Pairwise distances come from the Gram matrix of the centroids
(memory O(B^2) instead of the reference's O(B^2 d) difference tensor); float64 keeps the
cancellation in ||Z_i||^2 + ||Z_j||^2 - 2 Z_i.Z_j far below float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from neuroalign.defaults import R_S
from neuroalign.losses._base import EmbeddingLoss, check_embeddings, check_positive

__all__ = ["CLAMPLoss", "SubmanifoldGeometry", "clamp_energy", "clamp_loss", "submanifold_geometry"]

_RADIUS_EPS = 1e-12  # inside the sqrt of the radius (step 5)
_DIST_EPS = 1e-12  # inside the sqrt of the distance (step 6)
_CONTACT_EPS = 1e-6  # added to r_i + r_j (step 7)
_LOG_EPS = 1e-6  # inside the log (step 10)


@dataclass(frozen=True)
class SubmanifoldGeometry:
    """Geometry of B augmentation sub-manifolds (SCIENCE.md section 1, steps 1-6).

    Attributes:
        centroids: (B, d) centroids Z_i of the centred, unit-normalised embeddings.
        spreads: (B,) spreads T_i, the trace of each image's view covariance (ddof 1).
        radii: (B,) radii r_i = r_s * sqrt(T_i / min(d, m) + 1e-12).
        distances: (B, B) centroid distances d_ij = sqrt(||Z_i - Z_j||^2 + 1e-12); the diagonal
            is therefore 1e-6, not 0.
    """

    centroids: torch.Tensor
    spreads: torch.Tensor
    radii: torch.Tensor
    distances: torch.Tensor


def _pairwise_distances(centroids: torch.Tensor) -> torch.Tensor:
    """d_ij = sqrt(||Z_i - Z_j||^2 + 1e-12) for centroids (B, d), via the Gram matrix."""
    sq_norms = (centroids * centroids).sum(dim=1)
    gram = centroids @ centroids.T
    sq = (sq_norms[:, None] + sq_norms[None, :] - 2.0 * gram).clamp_min(0.0)
    return torch.sqrt(sq + _DIST_EPS)


def submanifold_geometry(
    z: torch.Tensor | np.ndarray, r_s: float, compute_dtype: torch.dtype | None = torch.float64
) -> SubmanifoldGeometry:
    """Centroids, spreads, radii and distances of the sub-manifolds (SCIENCE.md 1, steps 1-6).

    Args:
        z: embeddings (tensor or numpy array), shape (n_views m >= 2, batch B >= 1, dim d);
            view a of image i is ``z[a, i]``. Under DDP pass the gathered batch.
        r_s: radius scale (> 0); pass 1.0 for the radii without the scale.
        compute_dtype: dtype of the computation (default float64); ``None`` keeps z's dtype.

    Returns:
        :class:`SubmanifoldGeometry` with tensors in ``compute_dtype``, differentiable w.r.t. z.
    """
    if isinstance(z, np.ndarray):
        z = torch.from_numpy(z)
    check_embeddings(z, "submanifold_geometry", min_batch=1)
    return _geometry(z, check_positive("r_s", r_s), compute_dtype)


def _geometry(
    z: torch.Tensor, r_s: float, compute_dtype: torch.dtype | None
) -> SubmanifoldGeometry:
    """Steps 1-6 of SCIENCE.md section 1 on an already validated z (see submanifold_geometry)."""
    if compute_dtype is not None:
        z = z.to(compute_dtype)
    n_views, _batch, dim = z.shape
    z = z - z.mean(dim=(0, 1))  # 1. centre the whole batch
    z = z / torch.linalg.vector_norm(z, dim=-1, keepdim=True).clamp_min(1e-12)  # 2. unit norm
    centroids = z.mean(dim=0)  # 3. (B, d)
    spreads = ((z - centroids) ** 2).sum(dim=(0, 2)) / (n_views - 1)  # 4. (B,)
    radii = r_s * torch.sqrt(spreads / min(dim, n_views) + _RADIUS_EPS)  # 5. (B,)
    distances = _pairwise_distances(centroids)  # 6. (B, B)
    return SubmanifoldGeometry(centroids, spreads, radii, distances)


def clamp_energy(
    geometry: SubmanifoldGeometry,
    p: float = 2.0,
    max_range: float = 1.5,
    min_margin: float = 1e-3,
    lw0: float = 0.0,
) -> torch.Tensor:
    """Packing energy L (SCIENCE.md 1, steps 7-9) of sub-manifolds with the given geometry.

    Returns:
        Scalar tensor L = 0.5 * sum_{i != j} E_ij + lw0 * sum_i r_i, with
        E_ij = (1 - d_ij / S_ij)^p on overlapping pairs min_margin < d_ij < S_ij and
        S_ij = min(r_i + r_j + 1e-6, max_range).
    """
    radii, dist = geometry.radii, geometry.distances
    contact = torch.clamp(radii[:, None] + radii[None, :] + _CONTACT_EPS, max=max_range)  # 7.
    off_diagonal = ~torch.eye(len(radii), dtype=torch.bool, device=radii.device)
    overlap = (dist > min_margin) & (dist < contact) & off_diagonal
    # 8. outside the overlap the base is replaced by 1 (never used) so that neither the value
    # nor the gradient of a negative base raised to a fractional power can produce NaN.
    base = torch.where(overlap, 1.0 - dist / contact, torch.ones_like(dist))
    pair_energy = torch.where(overlap, base**p, torch.zeros_like(dist))
    energy = 0.5 * pair_energy.sum()  # 9.
    if lw0 != 0:
        energy = energy + lw0 * radii.sum()
    return energy


def _check_params(p: float, max_range: float, min_margin: float, lw0: float) -> tuple:
    p = check_positive("p", p)
    max_range = check_positive("max_range", max_range)
    min_margin = check_positive("min_margin", min_margin, allow_zero=True)
    lw0 = check_positive("lw0", lw0, allow_zero=True)
    return p, max_range, min_margin, lw0


def clamp_loss(
    z: torch.Tensor,
    r_s: float,
    p: float = 2.0,
    max_range: float = 1.5,
    min_margin: float = 1e-3,
    lw0: float = 0.0,
    *,
    compute_dtype: torch.dtype | None = torch.float64,
) -> torch.Tensor:
    """The CLAMP loss log(L + 1e-6) of a batch of embeddings (Zhang, Heeger & Martiniani 2025).

    Args:
        z: embeddings, shape (n_views m >= 2, batch B >= 2, dim d); view a of image i is
            ``z[a, i]``. No DDP gathering here (use :class:`CLAMPLoss`).
        r_s: radius scale (published: 7.0 on CIFAR-10, 8.5 on ImageNet).
        p: power of the harmonic-like pair potential (1 - d/S)^p.
        max_range: cap on the contact distance S_ij.
        min_margin: pairs closer than this are ignored (coincident centroids).
        lw0: weight of the sub-manifold size term lw0 * sum_i r_i (0 in all published runs).
        compute_dtype: dtype of the computation (default float64); ``None`` keeps z's dtype.

    Returns:
        Scalar tensor in z's dtype. There is no averaging over the batch: the log makes the
        gradient grad(L) / L, so the loss is scale-free in the number of pairs.
    """
    check_embeddings(z, "clamp_loss", min_batch=2)
    p, max_range, min_margin, lw0 = _check_params(p, max_range, min_margin, lw0)
    geometry = _geometry(z, check_positive("r_s", r_s), compute_dtype)
    energy = clamp_energy(geometry, p=p, max_range=max_range, min_margin=min_margin, lw0=lw0)
    return torch.log(energy + _LOG_EPS).to(z.dtype)


class CLAMPLoss(EmbeddingLoss):
    """``nn.Module`` form of :func:`clamp_loss`; ``forward(z)`` with z (n_views, batch, dim).

    Under DDP (``gather_distributed=True``) all ranks' embeddings are gathered so every
    sub-manifold repels every other one, as in the paper; the value and the parameter gradients
    (after DDP's averaging) equal those of one process on the concatenated batch.

    Args:
        r_s: radius scale (default 7.0, the published CIFAR-10 value; ImageNet uses 8.5).
        p, max_range, min_margin, lw0, compute_dtype: see :func:`clamp_loss`.
        gather_distributed: gather embeddings across DDP ranks.
    """

    name = "clamp"

    def __init__(
        self,
        r_s: float = R_S,
        p: float = 2.0,
        max_range: float = 1.5,
        min_margin: float = 1e-3,
        lw0: float = 0.0,
        gather_distributed: bool = True,
        compute_dtype: torch.dtype | None = torch.float64,
    ) -> None:
        super().__init__(gather_distributed=gather_distributed)
        self.r_s = check_positive("r_s", r_s)
        self.p, self.max_range, self.min_margin, self.lw0 = _check_params(
            p, max_range, min_margin, lw0
        )
        self.compute_dtype = compute_dtype

    def compute(self, z: torch.Tensor) -> torch.Tensor:
        return clamp_loss(
            z,
            self.r_s,
            p=self.p,
            max_range=self.max_range,
            min_margin=self.min_margin,
            lw0=self.lw0,
            compute_dtype=self.compute_dtype,
        )

    def extra_repr(self) -> str:
        return (
            f"r_s={self.r_s}, p={self.p}, max_range={self.max_range}, "
            f"min_margin={self.min_margin}, lw0={self.lw0}, "
            f"gather_distributed={self.gather_distributed}"
        )
