"""Geometry of augmentation sub-manifolds: CLAMP radii, neighbours, overlaps, orientations.

Each of B images is seen through m augmentations; a layer gives embeddings z of shape
(m, B, d) (view a of image i is ``z[a, i]``, the layout of the losses). The centroids Z_i,
spreads T_i, radii r_i and centroid distances d_ij are those of the CLAMP loss (Zhang, Heeger
& Martiniani, NeurIPS 2025; SCIENCE.md section 1, steps 1-6), computed by
:func:`neuroalign.losses.clamp.submanifold_geometry`. On top of them (SCIENCE.md section 2):

- radius r_i without the scale (r_s = 1) and with it (r_s r_i); size sqrt(T_i), the RMS
  distance of the views from their centroid;
- neighbour count: mean over i of #{j != i : d_ij < r_s (r_i + r_j)};
- overlap: pair (i, j) overlaps when d_ij < r_s (r_i + r_j); the overlap fraction is reported
  for all pairs, intra-class pairs (same label) and inter-class pairs;
- centroid cosine similarity Z_i.Z_j / (|Z_i| |Z_j|);
- orientation similarity cos^2 between the principal axes (first right singular vectors of
  the centred view clouds, after the batch centring and unit normalisation of steps 1-2).

All quantities are invariant to rotations of the embedding space and to a common translation
of all views (step 1 removes it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike

from neuroalign.defaults import R_S
from neuroalign.errors import DataError
from neuroalign.losses.clamp import submanifold_geometry

__all__ = ["submanifold_pairs", "submanifold_summary", "submanifold_table"]


def _as_views(z: Any) -> torch.Tensor:
    if isinstance(z, np.ndarray):
        z = torch.from_numpy(z)
    if not isinstance(z, torch.Tensor):
        z = torch.as_tensor(np.asarray(z))
    if z.ndim != 3:
        raise DataError(f"z: expected shape (n_views, n_images, dim), got {tuple(z.shape)}")
    if z.shape[0] < 2:
        raise DataError(f"z: need at least 2 views per image, got {z.shape[0]}")
    if z.shape[1] < 2:
        raise DataError(f"z: need at least 2 images, got {z.shape[1]}")
    z = z.detach().to("cpu", torch.float64)
    if not bool(torch.isfinite(z).all()):
        raise DataError("z: contains NaN or infinite values")
    return z


def _labels(labels: ArrayLike | None, n: int) -> np.ndarray | None:
    if labels is None:
        return None
    lab = np.asarray(labels)
    if lab.shape != (n,):
        raise DataError(f"labels: expected shape ({n},) (one per image), got {lab.shape}")
    return lab


def _principal_axes(z: torch.Tensor) -> torch.Tensor:
    """Unit principal axis (B, d) of each image's views after steps 1-2 (centre, normalise)."""
    zn = z - z.mean(dim=(0, 1))
    zn = zn / zn.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    clouds = (zn - zn.mean(dim=0)).permute(1, 0, 2)  # (B, m, d)
    _, _, vh = torch.linalg.svd(clouds, full_matrices=False)
    return vh[:, 0, :]


def submanifold_table(z: Any, labels: ArrayLike | None = None, r_s: float = R_S) -> pd.DataFrame:
    """One row per image: its sub-manifold's spread, size, radii and neighbour count.

    Args:
        z: embeddings (n_views m >= 2, n_images B >= 2, dim d), numpy or torch.
        labels: optional class label per image (B,).
        r_s: radius scale of the CLAMP loss (e.g. 7.0 for CIFAR-10).

    Returns:
        DataFrame with columns image, [label], spread (T_i), size (sqrt T_i), radius (r_s = 1),
        radius_rs (r_s r_i), centroid_norm, n_neighbours (#{j != i : d_ij < r_s (r_i + r_j)}).
    """
    z = _as_views(z)
    lab = _labels(labels, z.shape[1])
    geo = submanifold_geometry(z, r_s=1.0)
    radii = geo.radii.numpy()
    dist = geo.distances.numpy()
    contact = r_s * (radii[:, None] + radii[None, :])
    close = dist < contact
    np.fill_diagonal(close, False)
    table = pd.DataFrame({"image": np.arange(z.shape[1])})
    if lab is not None:
        table["label"] = lab
    table["spread"] = geo.spreads.numpy()
    table["size"] = np.sqrt(geo.spreads.numpy())
    table["radius"] = radii
    table["radius_rs"] = submanifold_geometry(z, r_s=r_s).radii.numpy()
    table["centroid_norm"] = geo.centroids.norm(dim=1).numpy()
    table["n_neighbours"] = close.sum(axis=1)
    return table


def submanifold_pairs(z: Any, labels: ArrayLike | None = None, r_s: float = R_S) -> pd.DataFrame:
    """One row per unordered pair i < j of sub-manifolds.

    Args: as :func:`submanifold_table`.

    Returns:
        DataFrame with columns i, j, [same_class], distance (d_ij), contact (r_s (r_i + r_j)),
        overlap (d_ij < contact), cosine (centroid cosine similarity), orientation (cos^2
        between principal axes). B (B - 1) / 2 rows.
    """
    z = _as_views(z)
    lab = _labels(labels, z.shape[1])
    geo = submanifold_geometry(z, r_s=1.0)
    n = z.shape[1]
    i, j = np.triu_indices(n, k=1)
    radii = geo.radii.numpy()
    dist = geo.distances.numpy()[i, j]
    cent = geo.centroids
    unit = cent / cent.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cosine = (unit @ unit.T).numpy()[i, j]
    axes = _principal_axes(z)
    orient = ((axes @ axes.T) ** 2).numpy()[i, j]
    contact = r_s * (radii[i] + radii[j])
    table = pd.DataFrame({"i": i, "j": j})
    if lab is not None:
        table["same_class"] = lab[i] == lab[j]
    table["distance"] = dist
    table["contact"] = contact
    table["overlap"] = dist < contact
    table["cosine"] = cosine
    table["orientation"] = orient
    return table


def submanifold_summary(
    z: Any, labels: ArrayLike | None = None, r_s: float = R_S
) -> dict[str, float]:
    """Summary numbers of the sub-manifold geometry (see the module docstring).

    Returns:
        dict with n_images, n_views, dim, r_s, mean_radius, mean_radius_rs, mean_size,
        mean_spread, neighbour_count, overlap_fraction, mean_distance, mean_cosine,
        mean_orientation and, with labels, the same pair statistics suffixed ``_intra`` and
        ``_inter`` (NaN when a group has no pairs).
    """
    z = _as_views(z)
    per_image = submanifold_table(z, labels, r_s)
    pairs = submanifold_pairs(z, labels, r_s)
    out: dict[str, float] = {
        "n_images": int(z.shape[1]),
        "n_views": int(z.shape[0]),
        "dim": int(z.shape[2]),
        "r_s": float(r_s),
        "mean_radius": float(per_image["radius"].mean()),
        "mean_radius_rs": float(per_image["radius_rs"].mean()),
        "mean_size": float(per_image["size"].mean()),
        "mean_spread": float(per_image["spread"].mean()),
        "neighbour_count": float(per_image["n_neighbours"].mean()),
    }

    def pair_stats(rows: pd.DataFrame, suffix: str) -> None:
        empty = len(rows) == 0
        out[f"overlap_fraction{suffix}"] = np.nan if empty else float(rows["overlap"].mean())
        for col in ("distance", "cosine", "orientation"):
            out[f"mean_{col}{suffix}"] = np.nan if empty else float(rows[col].mean())

    pair_stats(pairs, "")
    if "same_class" in pairs:
        pair_stats(pairs[pairs["same_class"]], "_intra")
        pair_stats(pairs[~pairs["same_class"]], "_inter")
    return out
