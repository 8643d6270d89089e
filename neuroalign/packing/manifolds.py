"""The particle observables on a network's augmentation sub-manifolds (the link to CLAMP).

CLAMP (Zhang, Heeger & Martiniani, NeurIPS 2025) treats the m augmented views of each of B
images as a sub-manifold with centroid Z_i and radius r_s r_i, and two sub-manifolds overlap
when d_ij < r_s (r_i + r_j) (SCIENCE.md sections 1-2;
:func:`neuroalign.geometry.submanifold_table`). The packing model of Zhang & Martiniani
replaces them by spheres, so the observables of :mod:`neuroalign.packing.observables` carry
over one to one:

- active fraction f_a: images whose sub-manifold overlaps at least one other;
- mean coordination Z: mean number of overlapping neighbours (the geometry report's
  ``neighbour_count``);
- overlap fraction: overlapping pairs over all B (B - 1) / 2 pairs.

Training that packs the sub-manifolds drives f_a down as SGD drives the particles to the
absorbing state.
"""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from neuroalign.geometry.submanifold import submanifold_pairs, submanifold_table

__all__ = ["submanifold_packing"]


def submanifold_packing(z: Any, r_s: float = 1.0, labels: ArrayLike | None = None) -> dict:
    """Packing observables of the sub-manifolds of embeddings z (n_views m >= 2,
    n_images B >= 2, dim d), numpy or torch.

    Returns:
        dict with n_images, r_s, f_active, z (mean overlapping neighbours), overlap_fraction
        and mean_radius (r_s r_i averaged); with labels also f_active_inter, the fraction of
        images overlapping an image of another class (computed from the pair table).
    """
    table = submanifold_table(z, labels, r_s)
    n = len(table)
    neighbours = table["n_neighbours"].to_numpy()
    out = {
        "n_images": n,
        "r_s": float(r_s),
        "f_active": float((neighbours > 0).mean()),
        "z": float(neighbours.mean()),
        "overlap_fraction": float(neighbours.sum() / (n * (n - 1))),
        "mean_radius": float(table["radius_rs"].mean()),
    }
    if labels is not None:
        pairs = submanifold_pairs(z, labels, r_s)
        inter = pairs[pairs["overlap"] & ~pairs["same_class"]]
        touched = set(inter["i"]) | set(inter["j"])
        out["f_active_inter"] = len(touched) / n
    return out
