"""Per-layer geometry report: tidy tables, xarray summary and plots.

:func:`layer_geometry` analyses one layer's activations to B images each seen through m
augmentations, ``views`` of shape (m, B, d), with class labels (B,):

- sub-manifold geometry (:mod:`neuroalign.geometry.submanifold`): radii, neighbours, overlap
  intra/inter class, centroid distances and cosines, orientation similarity;
- dimension (:mod:`~neuroalign.geometry.dimension`, :mod:`~neuroalign.geometry.spectrum`):
  participation ratio and effective rank of the global spectrum (all m B views), of the image
  centroids, and mean over images of each view cloud's; power-law exponent of the global
  eigenspectrum on ``power_law_range``; collapsed dimensions at ``collapse_threshold``;
- mean-field capacity (:mod:`~neuroalign.geometry.capacity`) of the class manifolds (image
  centroids of each class) and of the augmentation sub-manifolds (the m views of each image).

:func:`geometry_report` runs it for several layers (with a progress bar) and returns a
:class:`GeometryReport`; :meth:`GeometryReport.to_xarray` gives the summary as a (layer x
metric) DataArray. The settings are those of :class:`~neuroalign.geometry.config.GeometryConfig`;
figures are drawn by :mod:`neuroalign.geometry.plots`, result folders written by
:mod:`neuroalign.geometry.workflow`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from neuroalign.defaults import R_S
from neuroalign.errors import DataError
from neuroalign.geometry.adadim import DEFAULT_ALPHA, adadim_summary
from neuroalign.geometry.capacity import manifold_capacity
from neuroalign.geometry.config import GeometryConfig
from neuroalign.geometry.dimension import covariance_spectrum, effective_rank, participation_ratio
from neuroalign.geometry.spectrum import (
    collapsed_dimensions,
    eigenspectrum_table,
    fit_power_law,
)
from neuroalign.geometry.submanifold import (
    submanifold_pairs,
    submanifold_summary,
    submanifold_table,
)

__all__ = ["GeometryReport", "adadim_table", "geometry_report", "layer_geometry"]

#: The stages of :func:`layer_geometry`, in order (reported to ``on_stage``).
STAGES = ("sub-manifolds", "dimension", "class capacity", "augmentation capacity")


@dataclass(frozen=True)
class GeometryReport:
    """Tidy results of :func:`geometry_report`.

    Attributes:
        summary: one row per layer, one column per metric.
        images: per-image sub-manifold table (layer, image, label, spread, radius, ...).
        pairs: per-pair table (layer, i, j, same_class, distance, cosine, orientation, ...).
        spectra: global eigenspectra (layer, rank, eigenvalue, relative).
        capacity: per-manifold capacity (layer, kind = class | augmentation, manifold, ...).
    """

    summary: pd.DataFrame
    images: pd.DataFrame
    pairs: pd.DataFrame
    spectra: pd.DataFrame
    capacity: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_xarray(self) -> xr.DataArray:
        """The numeric summary as a DataArray (layer x metric)."""
        numeric = self.summary.set_index("layer").select_dtypes(include=[np.number])
        return xr.DataArray(
            numeric.to_numpy(dtype=np.float64),
            dims=("layer", "metric"),
            coords={"layer": numeric.index.to_numpy(), "metric": numeric.columns.to_numpy()},
            name="geometry",
        )


def _check_views(
    views: ArrayLike, labels: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray | None]:
    z = np.asarray(views, dtype=np.float64)
    if z.ndim != 3:
        raise DataError(f"views: expected (n_views, n_images, dim), got shape {z.shape}")
    if labels is None:
        return z, None
    lab = np.asarray(labels)
    if lab.shape != (z.shape[1],):
        raise DataError(f"labels: expected shape ({z.shape[1]},), got {lab.shape}")
    return z, lab


def layer_geometry(
    views: ArrayLike,
    labels: ArrayLike | None,
    config: GeometryConfig | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """All geometry of one layer.

    Args:
        views: activations (m, B, d) of B images through m augmentations.
        labels: class label per image (B,), or None for unlabelled images (then there are no
            intra/inter-class statistics and no class manifolds).
        config: the analysis settings of :class:`GeometryConfig` (``r_s`` None means
            :data:`neuroalign.defaults.R_S`); default ``GeometryConfig()``.
        on_stage: called with each finished stage's name (:data:`STAGES`), e.g. by a
            progress bar.

    Returns:
        (summary dict of numbers, dict of tables: images, pairs, spectrum, capacity).
    """
    cfg = config or GeometryConfig()
    done = on_stage or (lambda stage: None)
    r_s = R_S if cfg.r_s is None else cfg.r_s
    z, lab = _check_views(views, labels)
    m, n_images, dim = z.shape
    rng = np.random.default_rng(cfg.seed)
    summary: dict[str, float] = dict(submanifold_summary(z, lab, r_s))
    tables = {
        "images": submanifold_table(z, lab, r_s),
        "pairs": submanifold_pairs(z, lab, r_s),
    }
    done(STAGES[0])

    flat = z.reshape(m * n_images, dim)
    centroids = z.mean(axis=0)
    lam = covariance_spectrum(flat)
    summary["pr_global"] = participation_ratio(lam, is_spectrum=True)
    summary["erank_global"] = effective_rank(flat)
    summary["pr_centroids"] = participation_ratio(centroids)
    summary["erank_centroids"] = effective_rank(centroids)
    summary["pr_per_image"] = float(
        np.mean([participation_ratio(z[:, i]) for i in range(n_images)])
    )
    summary["erank_per_image"] = float(np.mean([effective_rank(z[:, i]) for i in range(n_images)]))
    classes = np.unique(lab) if lab is not None else np.array([])
    class_points = []
    for c in classes:
        idx = np.flatnonzero(lab == c)
        if idx.size > cfg.max_class_points:
            idx = np.sort(rng.choice(idx, cfg.max_class_points, replace=False))
        class_points.append(centroids[idx])
    per_class = [participation_ratio(p) for p in class_points if len(p) > 1]
    summary["pr_per_class"] = float(np.mean(per_class)) if per_class else np.nan
    full_lam = np.r_[lam, np.zeros(max(0, dim - lam.size))]
    summary["collapsed_dims"] = collapsed_dimensions(
        full_lam, rel_threshold=cfg.collapse_threshold, is_spectrum=True
    )
    summary["collapse_threshold"] = cfg.collapse_threshold
    try:
        fit = fit_power_law(lam, cfg.power_law_range)
        summary.update(
            power_law_alpha=fit.alpha,
            power_law_r2=fit.r2,
            power_law_first=fit.fit_range[0],
            power_law_last=fit.fit_range[1],
        )
    except DataError:
        summary.update(power_law_alpha=np.nan, power_law_r2=np.nan)
    tables["spectrum"] = eigenspectrum_table(flat)
    done(STAGES[1])

    cap_tables = []
    if cfg.capacity and len(class_points) >= 3:
        res = manifold_capacity(class_points, cfg.kappa, cfg.n_t, cfg.seed, n_reps=cfg.n_reps)
        summary.update(
            class_capacity=res.capacity,
            class_radius=res.radius,
            class_dimension=res.dimension,
            class_n_removed=res.n_removed,
        )
        cap_tables.append(res.per_manifold.assign(kind="class", label=classes))
    done(STAGES[2])
    if cfg.capacity:
        subset = np.arange(n_images)
        if n_images > cfg.max_capacity_images:
            subset = np.sort(rng.choice(n_images, cfg.max_capacity_images, replace=False))
        res = manifold_capacity(
            [z[:, i] for i in subset], cfg.kappa, cfg.n_t, cfg.seed, n_reps=cfg.n_reps
        )
        summary.update(
            aug_capacity=res.capacity,
            aug_radius=res.radius,
            aug_dimension=res.dimension,
            aug_n_removed=res.n_removed,
        )
        label = lab[subset] if lab is not None else subset
        cap_tables.append(res.per_manifold.assign(kind="augmentation", label=label))
    done(STAGES[3])
    tables["capacity"] = pd.concat(cap_tables, ignore_index=True) if cap_tables else pd.DataFrame()
    return summary, tables


def geometry_report(
    activations: dict[str, ArrayLike],
    labels: ArrayLike | None,
    config: GeometryConfig | None = None,
    *,
    progress: bool = False,
) -> GeometryReport:
    """Run :func:`layer_geometry` on every layer (name -> (m, B, d) views), in order.

    ``progress`` shows a bar over layers x :data:`STAGES` (capacity dominates the time).
    """
    from tqdm.auto import tqdm

    if not activations:
        raise DataError("geometry_report: no layers given")
    rows, parts = [], {"images": [], "pairs": [], "spectrum": [], "capacity": []}
    with tqdm(
        total=len(activations) * len(STAGES), desc="geometry", unit="step", disable=not progress
    ) as bar:
        for name, views in activations.items():
            bar.set_postfix_str(name)

            def on_stage(stage: str, layer: str = name) -> None:
                bar.set_postfix_str(f"{layer}: {stage} done")
                bar.update(1)

            summary, tables = layer_geometry(views, labels, config, on_stage)
            rows.append({"layer": name, **summary})
            for key, table in tables.items():
                if len(table):
                    parts[key].append(table.assign(layer=name))

    def stack(key: str) -> pd.DataFrame:
        if not parts[key]:
            return pd.DataFrame()
        table = pd.concat(parts[key], ignore_index=True)
        return table[["layer", *[c for c in table.columns if c != "layer"]]]

    return GeometryReport(
        summary=pd.DataFrame(rows),
        images=stack("images"),
        pairs=stack("pairs"),
        spectra=stack("spectrum"),
        capacity=stack("capacity"),
    )


def adadim_table(
    activations: dict[str, ArrayLike],
    representation: str,
    embedding: str,
    alpha: float = DEFAULT_ALPHA,
) -> pd.DataFrame:
    """AdaDim quantities between two layers, on the image centroids (mean over views).

    Args:
        activations: layer -> (m, B, d) views.
        representation: the layer R (e.g. the backbone's ``avgpool``).
        embedding: the layer Z (e.g. the projection head's output).

    Returns:
        One-row DataFrame: representation, embedding and the columns of
        :func:`neuroalign.geometry.adadim.adadim_summary` (effective ranks, entropies in bits,
        I(R; Z)).
    """
    for name in (representation, embedding):
        if name not in activations:
            raise DataError(f"adadim: layer {name!r} not among {sorted(activations)}")
    R = np.asarray(activations[representation], dtype=np.float64).mean(axis=0)
    Z = np.asarray(activations[embedding], dtype=np.float64).mean(axis=0)
    row = {"representation": representation, "embedding": embedding}
    row.update(adadim_summary(R, Z, alpha))
    return pd.DataFrame([row])
