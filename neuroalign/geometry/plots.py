"""Figures of a geometry report: per-layer metrics, overlap histograms, eigenspectra.

Each function returns a matplotlib ``Figure`` (shown inline in a notebook, saved by
:func:`neuroalign.provenance.save_figure`); none switches the matplotlib backend. Results of
several models can be compared: pass ``{model name: table}`` instead of one table and each
model gets its own line (metrics) or panel (spectra).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "METRICS",
    "NUMERICAL_FLOOR",
    "plot_layer_metrics",
    "plot_overlap",
    "plot_spectra",
]

#: Summary column -> (what it is, in words: the panel title; the quantity: the y label).
METRICS: dict[str, tuple[str, str]] = {
    "mean_radius": ("mean radius $r_i$ (at $r_s$ = 1)", "radius"),
    "mean_radius_rs": ("mean radius $r_s r_i$", "radius"),
    "mean_size": ("mean size $\\sqrt{T_i}$", "size"),
    "neighbour_count": ("neighbours per sub-manifold", "sub-manifolds"),
    "overlap_fraction": ("overlapping pairs, all", "fraction of pairs"),
    "overlap_fraction_intra": ("overlapping pairs, same class", "fraction of pairs"),
    "overlap_fraction_inter": ("overlapping pairs, different classes", "fraction of pairs"),
    "mean_distance_intra": ("centroid distance, same class", "distance $d_{ij}$"),
    "mean_distance_inter": ("centroid distance, different classes", "distance $d_{ij}$"),
    "mean_cosine": ("centroid cosine similarity", "cosine"),
    "mean_orientation": ("orientation similarity of principal axes", "$\\cos^2$"),
    "pr_global": ("participation ratio, all views", "dimensions"),
    "pr_centroids": ("participation ratio, image centroids", "dimensions"),
    "pr_per_image": ("participation ratio, one image's views", "dimensions"),
    "pr_per_class": ("participation ratio, one class's centroids", "dimensions"),
    "erank_global": ("effective rank, all views", "dimensions"),
    "erank_centroids": ("effective rank, image centroids", "dimensions"),
    "collapsed_dims": ("collapsed dimensions", "dimensions"),
    "power_law_alpha": ("eigenspectrum power-law exponent", "$\\alpha$"),
    "class_capacity": ("capacity, class manifolds", "$\\alpha_M$"),
    "class_radius": ("radius, class manifolds", "$R_M$"),
    "class_dimension": ("dimension, class manifolds", "$D_M$"),
    "aug_capacity": ("capacity, augmentation sub-manifolds", "$\\alpha_M$"),
    "aug_radius": ("radius, augmentation sub-manifolds", "$R_M$"),
    "aug_dimension": ("dimension, augmentation sub-manifolds", "$D_M$"),
}

#: Eigenvalues below this fraction of the largest are not drawn: features are float32
#: (relative precision 6e-8), so a covariance eigenvalue ratio below ~1e-10 is round-off, not
#: signal (those ranks are counted as collapsed all the same).
NUMERICAL_FLOOR = 1e-10


def _by_model(tables: pd.DataFrame | Mapping[str, pd.DataFrame], name: str) -> dict[str, Any]:
    if isinstance(tables, pd.DataFrame):
        return {name: tables}
    return dict(tables)


def plot_layer_metrics(
    summaries: pd.DataFrame | Mapping[str, pd.DataFrame],
    metrics: Sequence[str],
    title: str = "",
    *,
    ncols: int | None = None,
):
    """One panel per metric (titled in words), layers in depth order on x, one line per model.

    Args:
        summaries: a report's ``summary`` table (column ``layer`` + metrics), or
            ``{model name: summary}`` to compare models.
        metrics: summary columns to draw (see :data:`METRICS` for their names in words);
            columns missing from every table are skipped.
        title: the figure's title (e.g. the model's name and the data).
    """
    import matplotlib.pyplot as plt

    tables = _by_model(summaries, "")
    metrics = [m for m in metrics if any(m in t for t in tables.values())]
    if not metrics:
        raise ValueError("plot_layer_metrics: none of the metrics is in the summaries")
    layers = list(dict.fromkeys(layer for t in tables.values() for layer in t["layer"]))
    ncols = ncols or min(len(metrics), 3)
    nrows = -(-len(metrics) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows), squeeze=False, layout="constrained"
    )
    x = {layer: k for k, layer in enumerate(layers)}
    for ax, metric in zip(axes.flat, metrics):
        for name, table in tables.items():
            if metric in table:
                ax.plot(table["layer"].map(x), table[metric], "o-", label=name or None)
        words, quantity = METRICS.get(metric, (metric.replace("_", " "), "value"))
        ax.set_title(words, fontsize=9)
        ax.set_ylabel(quantity, fontsize=8)
        if quantity == "fraction of pairs":
            ax.set_ylim(-0.04, 1.04)
        ax.set_xticks(range(len(layers)), layers, rotation=30, ha="right", fontsize=8)
        ax.set_xlabel("layer", fontsize=8)
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    if len(tables) > 1:
        axes.flat[0].legend(fontsize=8, title="model", title_fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_overlap(
    pairs: pd.DataFrame, summary: pd.DataFrame, title: str = "", *, layers: Sequence[str] = ()
):
    """Histograms of the centroid distances between sub-manifolds, layer by layer.

    Top row: d_ij / (r_s (r_i + r_j)), below 1 the pair overlaps (dashed line); bottom row:
    d_ij. Same-class and different-class pairs apart when the images have labels.

    Args:
        pairs: a report's ``pairs`` table (layer, distance, contact, [same_class]).
        summary: a report's ``summary`` (its overlap fractions go into the panel titles).
        layers: the layers to show (default: all, in order).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    layers = list(layers) or list(dict.fromkeys(pairs["layer"]))
    labelled = "same_class" in pairs
    pairs = pairs.assign(ratio=pairs["distance"] / pairs["contact"])
    if labelled:
        pairs["pair"] = np.where(pairs["same_class"], "same class", "different class")
    stats = summary.set_index("layer")
    fig, axes = plt.subplots(
        2, len(layers), figsize=(3.0 * len(layers), 5.4), squeeze=False, layout="constrained"
    )
    for k, layer in enumerate(layers):
        sub = pairs[pairs["layer"] == layer]
        s = stats.loc[layer]
        for row, col, xlabel in (
            (0, "ratio", "$d_{ij} / r_s(r_i + r_j)$  (< 1: overlap)"),
            (1, "distance", "centroid distance $d_{ij}$"),
        ):
            ax = axes[row, k]
            sns.histplot(
                sub,
                x=col,
                hue="pair" if labelled else None,
                stat="density",
                common_norm=False,
                bins=40,
                element="step",
                ax=ax,
                legend=labelled and k == 0 and row == 0,
            )
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_ylabel("density of pairs", fontsize=8)
        axes[0, k].axvline(1.0, color="k", lw=0.8, ls="--")
        if labelled:
            overlap = (
                f"overlapping: same class {s['overlap_fraction_intra']:.2f}, "
                f"different {s['overlap_fraction_inter']:.2f}"
            )
        else:
            overlap = f"overlapping: {s['overlap_fraction']:.2f} of pairs"
        axes[0, k].set_title(f"{layer}\n{overlap}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_spectra(
    spectra: pd.DataFrame | Mapping[str, pd.DataFrame],
    title: str = "",
    *,
    collapse_threshold: float | None = None,
    layers: Sequence[str] = (),
):
    """Covariance eigenspectra on log-log axes, one line per layer, one panel per model.

    Eigenvalues below :data:`NUMERICAL_FLOOR` of the largest are left out (round-off).

    Args:
        spectra: a report's ``spectra`` table (layer, rank, relative), or
            ``{model name: spectra}``.
        collapse_threshold: draw it as a dashed line (the collapsed-dimension criterion).
        layers: the layers to draw (default: all, in order).
    """
    import matplotlib.pyplot as plt

    tables = _by_model(spectra, "")
    fig, axes = plt.subplots(
        1, len(tables), figsize=(4.8 * len(tables), 3.8), squeeze=False, layout="constrained"
    )
    for ax, (name, table) in zip(axes[0], tables.items()):
        shown = list(layers) or list(dict.fromkeys(table["layer"]))
        colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(shown)))
        for colour, layer in zip(colours, shown):
            sub = table[(table["layer"] == layer) & (table["relative"] > NUMERICAL_FLOOR)]
            ax.loglog(sub["rank"], sub["relative"], color=colour, label=layer)
        if collapse_threshold:
            ax.axhline(collapse_threshold, color="k", lw=0.8, ls="--", label="collapse threshold")
        ax.set_ylim(bottom=NUMERICAL_FLOOR)
        ax.set_xlabel("rank $n$")
        ax.set_ylabel("eigenvalue $\\lambda_n / \\lambda_1$")
        if name:
            ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7, title="layer", title_fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
