"""Layer-by-reference RSA tables and the report of ``neuroalign rsa``.

:func:`rsa_layer_scores` is the library entry point: given each layer's activations and some
reference RDMs (e.g. monkey IT and human IT of Kriegeskorte et al. 2008), it computes each
layer's RDM, compares it with every reference and bootstraps over stimuli (the same resamples
for every layer and reference, so differences between layers are paired). :func:`write_report`
turns that table into CSV / JSON files and figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neuroalign.errors import DataError
from neuroalign.io import atomic_path, atomic_write
from neuroalign.rsa.inference import bootstrap_compare
from neuroalign.rsa.rdm import RDM_DIMS, _is_dataarray, compute_rdm, rdm_dataarray

__all__ = ["layer_rdms", "plot_layer_scores", "plot_rdms", "rsa_layer_scores", "write_report"]

TABLE_COLUMNS = (
    "layer",
    "reference",
    "method",
    "rdm_method",
    "score",
    "ci_low",
    "ci_high",
    "bootstrap_std",
    "ci",
    "n_bootstrap",
    "n_stimuli",
    "n_features",
)


def layer_rdms(
    features_by_layer: Mapping[str, Any], rdm_method: str = "correlation", **kwargs: Any
) -> dict[str, Any]:
    """RDM of each layer (see :func:`neuroalign.rsa.rdm.compute_rdm`; same input/output types)."""
    return {name: compute_rdm(x, rdm_method, **kwargs) for name, x in features_by_layer.items()}


def _reference_as(reference: Any, model_rdm: Any, name: str) -> Any:
    """A reference RDM in a form comparable with ``model_rdm`` (DataArrays aligned by id)."""
    if _is_dataarray(model_rdm) and _is_dataarray(reference):
        return reference
    values = np.asarray(reference.values if _is_dataarray(reference) else reference)
    n = model_rdm.shape[-1]
    if values.ndim == 2 and values.shape != (n, n):
        raise DataError(
            f"reference RDM {name!r} is {values.shape[0]}x{values.shape[1]} but the features "
            f"have {n} stimuli"
        )
    if _is_dataarray(model_rdm):
        return rdm_dataarray(values, model_rdm[RDM_DIMS[0]].values)
    return values


def rsa_layer_scores(
    features_by_layer: Mapping[str, Any],
    reference_rdms: Mapping[str, Any],
    method: str = "spearman",
    *,
    rdm_method: str = "correlation",
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    device: str | None = None,
) -> Any:
    """Score each layer's RDM against each reference RDM, with bootstrap CIs over stimuli.

    Args:
        features_by_layer: layer name -> activations ``(n_stimuli, n_features)``: a DataArray
            ``presentation x neuroid`` with ``stimulus_id`` (then reference DataArray RDMs are
            aligned by stimulus id, and plain array references must follow the features'
            stimulus order), or a numpy array in the references' stimulus order.
        reference_rdms: name -> RDM (square / condensed array, or RDM DataArray with dims
            :data:`neuroalign.rsa.rdm.RDM_DIMS`), e.g. ``{"monkey_IT": ..., "human_IT": ...}``.
        method: RDM comparison (``spearman``, ``tau_a``, ``pearson``, ``cosine``).
        rdm_method: dissimilarity of the layer RDMs (default ``correlation``, as the brain RDMs
            of Kriegeskorte et al. 2008).
        n_bootstrap: resamples of stimuli (0: no bootstrap, CIs are NaN); ci: interval level.

    Returns:
        pandas DataFrame, one row per (layer, reference), columns :data:`TABLE_COLUMNS`.
    """
    import pandas as pd

    if not features_by_layer:
        raise DataError("no layers were given")
    if not reference_rdms:
        raise DataError("no reference RDMs were given")
    rdms = layer_rdms(features_by_layer, rdm_method, device=device)
    n_features = {name: int(np.prod(np.shape(x)[1:])) for name, x in features_by_layer.items()}
    first = next(iter(rdms.values()))
    rows = []
    for ref_name, ref in reference_rdms.items():
        reference = _reference_as(ref, first, ref_name)
        result = bootstrap_compare(
            rdms, reference, method, n_bootstrap=n_bootstrap, ci=ci, seed=seed, device=device
        )
        lo, hi, std = result.ci_low, result.ci_high, result.std
        for i, layer in enumerate(result.names):
            rows.append(
                {
                    "layer": layer,
                    "reference": ref_name,
                    "method": method,
                    "rdm_method": rdm_method,
                    "score": float(result.observed[i]),
                    "ci_low": float(lo[i]),
                    "ci_high": float(hi[i]),
                    "bootstrap_std": float(std[i]),
                    "ci": ci,
                    "n_bootstrap": int(n_bootstrap),
                    "n_stimuli": int(first.shape[-1]),
                    "n_features": n_features[layer],
                }
            )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


# --------------------------------------------------------------------------------------------
# figures and files
# --------------------------------------------------------------------------------------------
def _rank_percentile(rdm: np.ndarray) -> np.ndarray:
    """Upper-triangle dissimilarities as percentiles (0-100), for display as in Kriegeskorte 2008."""
    from scipy.stats import rankdata

    rdm = np.asarray(rdm, dtype=float)
    n = rdm.shape[0]
    iu = np.triu_indices(n, k=1)
    ranks = rankdata(rdm[iu])
    out = np.zeros_like(rdm)
    out[iu] = 100.0 * (ranks - 1) / max(len(ranks) - 1, 1)
    return out + out.T


def plot_layer_scores(table: Any, path: str | Path, title: str = "") -> Path:
    """Line plot of score per layer (x, in table order) with CI error bars, one line per reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    layers = list(dict.fromkeys(table["layer"]))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(layers) + 2), 4))
    palette = sns.color_palette(n_colors=table["reference"].nunique())
    for color, (ref, part) in zip(palette, table.groupby("reference", sort=False)):
        part = part.set_index("layer").loc[layers]
        x = np.arange(len(layers))
        yerr = np.vstack([part["score"] - part["ci_low"], part["ci_high"] - part["score"]])
        yerr = np.nan_to_num(np.clip(yerr, 0, None))
        ax.errorbar(x, part["score"], yerr=yerr, marker="o", capsize=3, label=ref, color=color)
    ax.set_xticks(np.arange(len(layers)))
    ax.set_xticklabels(layers, rotation=45, ha="right")
    method = table["method"].iloc[0]
    ax.set_ylabel(f"RDM similarity ({method})")
    ax.set_xlabel("layer")
    ci = table["ci"].iloc[0]
    ax.set_title(title or f"RSA per layer ({round(100 * ci)}% bootstrap CI over stimuli)")
    ax.legend(title="reference")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, dpi=150, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path


def plot_rdms(rdms: Mapping[str, Any], path: str | Path, title: str = "") -> Path:
    """Side-by-side images of square RDMs, shown as rank percentiles of their dissimilarities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rdms), figsize=(3.6 * len(rdms), 3.6), squeeze=False)
    image = None
    for ax, (name, rdm) in zip(axes[0], rdms.items()):
        values = np.asarray(rdm.values if _is_dataarray(rdm) else rdm)
        image = ax.imshow(_rank_percentile(values), cmap="viridis", vmin=0, vmax=100)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="dissimilarity percentile")
    if title:
        fig.suptitle(title)
    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, dpi=150, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path


def write_report(
    table: Any,
    out_dir: str | Path,
    rdms_to_show: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``rsa_scores.csv``, ``rsa_scores.json`` and the figures into ``out_dir``.

    Returns the written paths by kind (``csv``, ``json``, ``scores_plot``, ``rdm_plot``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {"csv": out / "rsa_scores.csv", "json": out / "rsa_scores.json"}
    with atomic_write(paths["csv"]) as handle:
        table.to_csv(handle, index=False)
    payload = {
        "metadata": dict(metadata or {}),
        "scores": json.loads(table.to_json(orient="records")),
    }
    with atomic_write(paths["json"]) as handle:
        json.dump(payload, handle, indent=2, default=str)
    paths["scores_plot"] = plot_layer_scores(table, out / "rsa_scores.png")
    if rdms_to_show:
        paths["rdm_plot"] = plot_rdms(rdms_to_show, out / "rdms.png")
    return paths
