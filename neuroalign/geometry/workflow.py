"""The geometry of a model's layers, from a config to a result folder, in one call.

:func:`run_geometry` is what ``neuroalign geometry`` does, and what a notebook calls::

    from neuroalign.geometry import GeometryConfig, run_geometry

    result = run_geometry(GeometryConfig(model="runs/clamp/checkpoints/last.pt", n_images=200))
    result.summary                 # one row per layer (pandas)
    result.figures()["overlap"]    # matplotlib figures, shown inline
    result.write("reports/clamp")  # CSVs, PNGs, run.json, config.yaml

Steps: load the model (:func:`neuroalign.extract.load_model`); draw a class-balanced seeded
subset of the data set's images (:func:`balanced_subset`); compute every layer's features
for ``views`` augmentations of each image (:func:`neuroalign.extract.layer_views`: the
training augmentations at the model's input size, the model's own normalisation); analyse
each layer (:func:`neuroalign.geometry.report.geometry_report`). The radius scale r_s of a
neuroalign checkpoint is the one it was trained with unless the config names one, and its
augmentation recipe likewise; both, and the preprocessing, are stated in ``run.json`` and in
the figure titles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.defaults import R_S
from neuroalign.geometry.config import GeometryConfig
from neuroalign.geometry.plots import plot_layer_metrics, plot_overlap, plot_spectra
from neuroalign.geometry.report import GeometryReport, adadim_table, geometry_report
from neuroalign.provenance import model_name, run_record, write_report

__all__ = ["GeometryResult", "balanced_subset", "run_geometry"]

#: Columns printed by the command line (those present).
HEADLINE = (
    "layer",
    "pr_global",
    "erank_global",
    "overlap_fraction_intra",
    "overlap_fraction_inter",
    "overlap_fraction",
    "class_capacity",
    "aug_capacity",
)


def balanced_subset(labels: Any, n: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``n`` items, as equal per class as the classes allow, seeded.

    Classes take turns (each in a seeded random order) until ``n`` are picked or all are used.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    picked: list[int] = []
    depth = 0
    while len(picked) < n and any(depth < len(p) for p in per_class):
        for p in per_class:
            if depth < len(p) and len(picked) < n:
                picked.append(int(p[depth]))
        depth += 1
    return np.sort(np.array(picked, dtype=np.int64))


@dataclass(frozen=True)
class GeometryResult:
    """What :func:`run_geometry` found.

    Attributes:
        config: the config as run (``r_s``, ``recipe`` and ``layers`` filled in).
        name: the model's name (a checkpoint's training run, see
            :func:`neuroalign.provenance.model_name`).
        report: the per-layer tables (:class:`~neuroalign.geometry.report.GeometryReport`).
        record: the provenance record written as ``run.json``.
        adadim: AdaDim quantities between the two ``config.adadim`` layers, or None.
    """

    config: GeometryConfig
    name: str
    report: GeometryReport
    record: dict[str, Any] = field(repr=False)
    adadim: pd.DataFrame | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """One row per layer, one column per metric."""
        return self.report.summary

    def headline(self) -> pd.DataFrame:
        """The summary's main columns (dimension, overlaps, capacity)."""
        return self.summary[[c for c in HEADLINE if c in self.summary]]

    def tables(self) -> dict[str, pd.DataFrame]:
        """name -> table: summary, images, pairs, spectra, capacity (and adadim)."""
        out = {
            name: getattr(self.report, name)
            for name in ("summary", "images", "pairs", "spectra", "capacity")
            if len(getattr(self.report, name))
        }
        if self.adadim is not None:
            out["adadim"] = self.adadim
        return out

    def figures(self) -> dict[str, Any]:
        """name -> matplotlib Figure: submanifolds, overlap, spectra, dimension, capacity."""
        cfg, s = self.config, self.summary
        views = f"{int(s['n_images'].iloc[0])} images x {int(s['n_views'].iloc[0])} views"
        labelled = "overlap_fraction_intra" in s
        overlaps = (
            ["overlap_fraction_intra", "overlap_fraction_inter"]
            if labelled
            else ["overlap_fraction"]
        )
        figures = {
            "submanifolds": plot_layer_metrics(
                s,
                ["mean_radius", *overlaps, "mean_cosine", "neighbour_count"],
                f"{self.name}: augmentation sub-manifolds ({views}, r_s = {cfg.r_s:g})",
            ),
            "overlap": plot_overlap(
                self.report.pairs,
                s,
                f"{self.name}: distances between sub-manifold centroids ({views}, "
                f"r_s = {cfg.r_s:g})",
            ),
            "spectra": plot_spectra(
                self.report.spectra,
                f"{self.name}: covariance eigenspectra of all views ({views})",
                collapse_threshold=cfg.collapse_threshold,
            ),
            "dimension": plot_layer_metrics(
                s,
                ["pr_global", "pr_centroids", "erank_global", "erank_centroids"],
                f"{self.name}: dimension per layer ({views})",
                ncols=2,
            ),
        }
        if "aug_capacity" in s:
            kinds = ["class", "aug"] if "class_capacity" in s else ["aug"]
            figures["capacity"] = plot_layer_metrics(
                s,
                [f"{k}_{q}" for k in kinds for q in ("capacity", "radius", "dimension")],
                f"{self.name}: mean-field manifold capacity (margin $\\kappa$ = {cfg.kappa:g}, "
                f"{cfg.n_t} Gaussian vectors)",
            )
        return figures

    def write(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """Write tables (CSV), figures (PNG), ``run.json`` and ``config.yaml`` into
        ``out_dir`` (default ``config.out``); returns name -> path."""
        out = Path(out_dir if out_dir is not None else self.config.out)
        return write_report(out, self.record, self.tables(), self.figures(), self.config)


def run_geometry(
    config: GeometryConfig,
    *,
    model: Any = None,
    images: Any = None,
    labels: Any = None,
    progress: bool = True,
) -> GeometryResult:
    """Geometry of ``config.model``'s layers on augmented images (see the module docstring).

    Args:
        config: what to analyse and how.
        model: an already loaded :class:`~neuroalign.extract.LoadedModel` to use instead of
            loading ``config.model`` (e.g. one with other preprocessing).
        images: uint8 (N, 3, H, W) images to use instead of ``config.dataset`` (all of them);
            ``labels`` (N,) their classes, or None for unlabelled images (no intra/inter-class
            statistics, no class manifolds).
        progress: progress bars for the views and the per-layer analysis.

    Returns:
        a :class:`GeometryResult` (nothing is written until :meth:`GeometryResult.write`).
    """
    from neuroalign.extract import layer_views, load_model
    from neuroalign.extract.forward import resolve_device

    device = resolve_device(config.device)
    loaded = model if model is not None else load_model(config.model, device=device)
    trained_with = loaded.metadata.get("config", {})
    if config.r_s is not None:
        r_s, r_s_source = config.r_s, "given in the config (--r-s)"
    elif "r_s" in trained_with:
        r_s, r_s_source = float(trained_with["r_s"]), "the checkpoint's training config"
    else:
        r_s, r_s_source = R_S, "neuroalign.defaults.R_S"
    recipe = (
        config.recipe
        or trained_with.get("augment")
        or ("cifar10" if config.dataset == "cifar10" else "imagenet")
    )
    layers = list(config.layers) or loaded.default_layers()
    if images is None:
        from neuroalign.data import load_image_dataset

        data = load_image_dataset(config.dataset, split=config.split, root=config.data_root)
        index = balanced_subset(data.labels.numpy(), config.n_images, config.seed)
        data = data.subset(index.tolist())
        images, labels = data.images, data.labels.numpy()
        source = {
            "dataset": config.dataset,
            "split": config.split,
            "classes": list(data.classes),
            "image_indices": index.tolist(),
        }
    else:
        source = {"dataset": "images given to run_geometry", "n_images": len(images)}
    cfg = dataclasses.replace(
        config,
        r_s=r_s,
        recipe=recipe,
        layers=tuple(layers),
        n_images=len(images),
    )
    feats = layer_views(
        loaded,
        images,
        list(dict.fromkeys([*layers, *cfg.adadim])),
        n_views=cfg.views,
        recipe=recipe,
        seed=cfg.seed,
        max_features=cfg.max_features,
        batch_size=cfg.batch_size,
        device=device,
        progress=progress,
    )
    acts = {name: f.cpu().numpy() for name, f in feats.items()}
    report = geometry_report({name: acts[name] for name in layers}, labels, cfg, progress=progress)
    adadim = adadim_table(acts, *cfg.adadim) if cfg.adadim else None
    record = run_record(
        cfg,
        loaded,
        analysis="geometry of augmentation sub-manifolds (SCIENCE.md section 2)",
        **source,
        layers=layers,
        views=cfg.views,
        recipe=recipe,
        r_s=r_s,
        r_s_source=r_s_source,
        random_projection=f"layers wider than {cfg.max_features} features, seed {cfg.seed}",
        summary=report.summary.to_dict(orient="records"),
    )
    return GeometryResult(cfg, model_name(loaded), report, record, adadim)
