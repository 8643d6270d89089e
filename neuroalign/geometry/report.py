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

:func:`geometry_report` runs it for several layers and returns a :class:`GeometryReport`;
:func:`write_report` writes its tables (CSV) and figures (matplotlib Agg, seaborn);
:meth:`GeometryReport.to_xarray` gives the summary as a (layer x metric) DataArray.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from neuroalign.errors import DataError
from neuroalign.geometry.adadim import DEFAULT_ALPHA, adadim_summary
from neuroalign.geometry.capacity import DEFAULT_N_T, manifold_capacity
from neuroalign.geometry.dimension import covariance_spectrum, effective_rank, participation_ratio
from neuroalign.geometry.spectrum import (
    COLLAPSE_THRESHOLD,
    collapsed_dimensions,
    eigenspectrum_table,
    fit_power_law,
)
from neuroalign.geometry.submanifold import (
    submanifold_pairs,
    submanifold_summary,
    submanifold_table,
)
from neuroalign.io import atomic_path, atomic_write

__all__ = [
    "GeometryOptions",
    "GeometryReport",
    "adadim_table",
    "geometry_report",
    "layer_geometry",
    "write_report",
]


@dataclass(frozen=True)
class GeometryOptions:
    """Settings of the per-layer analysis (see the module docstring)."""

    r_s: float = 7.0
    kappa: float = 0.0
    n_t: int = DEFAULT_N_T
    n_reps: int = 3
    seed: int = 0
    capacity: bool = True
    max_class_points: int = 50
    max_capacity_images: int = 50
    power_law_range: tuple[int, int] = (5, 50)
    collapse_threshold: float = COLLAPSE_THRESHOLD


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


def _check_views(views: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(views, dtype=np.float64)
    if z.ndim != 3:
        raise DataError(f"views: expected (n_views, n_images, dim), got shape {z.shape}")
    lab = np.asarray(labels)
    if lab.shape != (z.shape[1],):
        raise DataError(f"labels: expected shape ({z.shape[1]},), got {lab.shape}")
    return z, lab


def layer_geometry(
    views: ArrayLike, labels: ArrayLike, options: GeometryOptions | None = None
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """All geometry of one layer.

    Args:
        views: activations (m, B, d) of B images through m augmentations.
        labels: class label per image (B,).
        options: :class:`GeometryOptions`.

    Returns:
        (summary dict of numbers, dict of tables: images, pairs, spectrum, capacity).
    """
    opts = options or GeometryOptions()
    z, lab = _check_views(views, labels)
    m, n_images, dim = z.shape
    rng = np.random.default_rng(opts.seed)
    summary: dict[str, float] = dict(submanifold_summary(z, lab, opts.r_s))
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
    classes = np.unique(lab)
    class_points = []
    for c in classes:
        idx = np.flatnonzero(lab == c)
        if idx.size > opts.max_class_points:
            idx = np.sort(rng.choice(idx, opts.max_class_points, replace=False))
        class_points.append(centroids[idx])
    summary["pr_per_class"] = float(
        np.mean([participation_ratio(p) for p in class_points if len(p) > 1])
    )
    full_lam = np.r_[lam, np.zeros(max(0, dim - lam.size))]
    summary["collapsed_dims"] = collapsed_dimensions(
        full_lam, rel_threshold=opts.collapse_threshold, is_spectrum=True
    )
    summary["collapse_threshold"] = opts.collapse_threshold
    try:
        fit = fit_power_law(lam, opts.power_law_range)
        summary.update(
            power_law_alpha=fit.alpha,
            power_law_r2=fit.r2,
            power_law_first=fit.fit_range[0],
            power_law_last=fit.fit_range[1],
        )
    except DataError:
        summary.update(power_law_alpha=np.nan, power_law_r2=np.nan)
    tables = {
        "images": submanifold_table(z, lab, opts.r_s),
        "pairs": submanifold_pairs(z, lab, opts.r_s),
        "spectrum": eigenspectrum_table(flat),
    }
    cap_tables = []
    if opts.capacity:
        if len(class_points) >= 3:
            res = manifold_capacity(
                class_points, opts.kappa, opts.n_t, opts.seed, n_reps=opts.n_reps
            )
            summary.update(
                class_capacity=res.capacity,
                class_radius=res.radius,
                class_dimension=res.dimension,
                class_n_removed=res.n_removed,
            )
            cap_tables.append(res.per_manifold.assign(kind="class", label=classes))
        subset = np.arange(n_images)
        if n_images > opts.max_capacity_images:
            subset = np.sort(rng.choice(n_images, opts.max_capacity_images, replace=False))
        res = manifold_capacity(
            [z[:, i] for i in subset], opts.kappa, opts.n_t, opts.seed, n_reps=opts.n_reps
        )
        summary.update(
            aug_capacity=res.capacity,
            aug_radius=res.radius,
            aug_dimension=res.dimension,
            aug_n_removed=res.n_removed,
        )
        cap_tables.append(res.per_manifold.assign(kind="augmentation", label=lab[subset]))
    tables["capacity"] = pd.concat(cap_tables, ignore_index=True) if cap_tables else pd.DataFrame()
    return summary, tables


def geometry_report(
    activations: dict[str, ArrayLike], labels: ArrayLike, options: GeometryOptions | None = None
) -> GeometryReport:
    """Run :func:`layer_geometry` on every layer (name -> (m, B, d) views)."""
    if not activations:
        raise DataError("geometry_report: no layers given")
    rows, parts = [], {"images": [], "pairs": [], "spectrum": [], "capacity": []}
    for name, views in activations.items():
        summary, tables = layer_geometry(views, labels, options)
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


def _save_csv(table: pd.DataFrame, path: Path) -> None:
    with atomic_write(path) as handle:
        table.to_csv(handle, index=False)


def _save_figure(fig, path: Path) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")


def write_report(report: GeometryReport, out_dir: str | Path) -> list[Path]:
    """Write the report's tables (CSV) and figures (PNG) into ``out_dir``; return the paths.

    Files: summary.csv, images.csv, pairs.csv, spectra.csv, capacity.csv; overlap.png
    (histograms of intra- vs inter-class centroid distance over contact distance, and overlap
    fractions), spectra.png (log-log eigenspectra), capacity.png (capacity, radius and
    dimension per layer), dimension.png (PR and effective rank per layer).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in ("summary", "images", "pairs", "spectra", "capacity"):
        table = getattr(report, name)
        if len(table):
            _save_csv(table, out / f"{name}.csv")
            written.append(out / f"{name}.csv")
    layers = report.summary["layer"].tolist()

    if len(report.pairs) and "same_class" in report.pairs:
        pairs = report.pairs.assign(
            pair=np.where(report.pairs["same_class"], "intra-class", "inter-class"),
            ratio=report.pairs["distance"] / report.pairs["contact"],
        )
        fig, axes = plt.subplots(2, len(layers), figsize=(3.2 * len(layers), 5.6), squeeze=False)
        for k, layer in enumerate(layers):
            sub = pairs[pairs["layer"] == layer]
            for row, col, title in (
                (0, "ratio", "d_ij / r_s(r_i + r_j)  (< 1: overlap)"),
                (1, "distance", "centroid distance d_ij"),
            ):
                ax = axes[row, k]
                sns.histplot(
                    sub,
                    x=col,
                    hue="pair",
                    stat="density",
                    common_norm=False,
                    bins=40,
                    element="step",
                    ax=ax,
                    legend=(k == 0),
                )
                if row == 0:
                    ax.axvline(1.0, color="k", lw=0.8, ls="--")
                    s = report.summary.set_index("layer").loc[layer]
                    ax.set_title(
                        f"{layer}\noverlap intra {s['overlap_fraction_intra']:.2f} / "
                        f"inter {s['overlap_fraction_inter']:.2f}",
                        fontsize=9,
                    )
                ax.set_xlabel(title)
        fig.tight_layout()
        _save_figure(fig, out / "overlap.png")
        plt.close(fig)
        written.append(out / "overlap.png")

    if len(report.spectra):
        fig, ax = plt.subplots(figsize=(5.5, 4))
        for layer in layers:
            sub = report.spectra[report.spectra["layer"] == layer]
            sub = sub[sub["relative"] > 0]
            ax.loglog(sub["rank"], sub["relative"], label=layer)
        thr = float(report.summary["collapse_threshold"].iloc[0])
        ax.axhline(thr, color="k", lw=0.8, ls="--", label=f"collapse threshold {thr:g}")
        ax.set_xlabel("rank n")
        ax.set_ylabel("eigenvalue / largest")
        ax.set_title("covariance eigenspectra (all views)")
        ax.legend(fontsize=8)
        _save_figure(fig, out / "spectra.png")
        plt.close(fig)
        written.append(out / "spectra.png")

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    x = np.arange(len(layers))
    for col, label in (("pr_global", "PR (all views)"), ("pr_centroids", "PR (centroids)")):
        axes[0].plot(x, report.summary[col], "o-", label=label)
    for col, label in (
        ("erank_global", "erank (all views)"),
        ("erank_centroids", "erank (centroids)"),
    ):
        axes[1].plot(x, report.summary[col], "o-", label=label)
    for ax in axes:
        ax.set_xticks(x, layers, rotation=30)
        ax.legend(fontsize=8)
    axes[0].set_title("participation ratio")
    axes[1].set_title("effective rank (Roy & Vetterli 2007)")
    fig.tight_layout()
    _save_figure(fig, out / "dimension.png")
    plt.close(fig)
    written.append(out / "dimension.png")

    if "aug_capacity" in report.summary or "class_capacity" in report.summary:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
        for kind in ("class", "aug"):
            if f"{kind}_capacity" not in report.summary:
                continue
            name = "class manifolds" if kind == "class" else "augmentation sub-manifolds"
            for ax, metric in zip(axes, ("capacity", "radius", "dimension")):
                ax.plot(x, report.summary[f"{kind}_{metric}"], "o-", label=name)
                ax.set_title(f"mean-field {metric}")
                ax.set_xticks(x, layers, rotation=30)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        _save_figure(fig, out / "capacity.png")
        plt.close(fig)
        written.append(out / "capacity.png")
    return written
