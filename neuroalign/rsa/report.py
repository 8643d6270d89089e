"""Layer-by-reference RSA tables and their figures.

:func:`rsa_layer_scores`: given each layer's activations and some reference RDMs (e.g. monkey
IT and human IT of Kriegeskorte et al. 2008), it computes each layer's RDM, compares it with
every reference and bootstraps over stimuli (the same resamples for every layer and reference,
so differences between layers are paired). :func:`plot_layer_scores` draws that table (one
panel per reference, one line per model) and :func:`plot_rdms` shows RDMs with their stimulus
categories; both return a matplotlib Figure and leave the backend alone. The whole analysis of
a model, with its result folder, is :func:`neuroalign.rsa.workflow.run_rsa`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from neuroalign.errors import DataError
from neuroalign.rsa.inference import bootstrap_compare
from neuroalign.rsa.rdm import RDM_DIMS, _is_dataarray, compute_rdm, rdm_dataarray

__all__ = ["layer_rdms", "plot_layer_scores", "plot_rdms", "rsa_layer_scores"]

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
# figures
# --------------------------------------------------------------------------------------------
def _rank_percentile(rdm: np.ndarray) -> np.ndarray:
    """Off-diagonal dissimilarities as percentiles (0-100), for display as in Kriegeskorte 2008."""
    from scipy.stats import rankdata

    rdm = np.asarray(rdm, dtype=float)
    iu = np.triu_indices(rdm.shape[0], k=1)
    ranks = rankdata(rdm[iu])
    out = np.zeros_like(rdm)
    out[iu] = 100.0 * (ranks - 1) / max(len(ranks) - 1, 1)
    return out + out.T


def plot_layer_scores(
    table: Any,
    title: str = "",
    *,
    lines: Mapping[str, float | Mapping[str, float]] | None = None,
):
    """RDM similarity per layer, one panel per reference RDM, one line per model.

    Args:
        table: rows of :func:`rsa_layer_scores` (layers in depth order), with a ``model``
            column to compare models; the CI shows as a band.
        title: the figure's title (default: what is plotted and the CI level).
        lines: horizontal reference lines, label -> value, or label -> {reference: value}
            (e.g. the agreement between the species, the best model RDM of the study).

    Returns:
        a matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    table = table.assign(model=table["model"] if "model" in table else "")
    references = list(dict.fromkeys(table["reference"]))
    layers = list(dict.fromkeys(table["layer"]))
    x = {layer: k for k, layer in enumerate(layers)}
    width = max(3.8, 0.55 * len(layers) + 1.5)
    fig, axes = plt.subplots(
        1,
        len(references),
        figsize=(width * len(references), 3.6),
        squeeze=False,
        sharey=True,
        layout="constrained",
    )
    for ax, ref in zip(axes[0], references):
        for model, part in table[table["reference"] == ref].groupby("model", sort=False):
            pos = part["layer"].map(x)
            (line,) = ax.plot(pos, part["score"], "o-", label=model or "score")
            if part["ci_low"].notna().any():
                ax.fill_between(
                    pos, part["ci_low"], part["ci_high"], color=line.get_color(), alpha=0.2
                )
        for k, (label, value) in enumerate((lines or {}).items()):
            value = value.get(ref) if isinstance(value, Mapping) else value
            if value is not None:
                ax.axhline(value, color="0.4", lw=1, ls=("--", ":", "-.")[k % 3], label=label)
        ax.set_title(ref.replace("_", " "), fontsize=10)
        ax.set_xticks(range(len(layers)), layers, rotation=30, ha="right")
        ax.set_xlabel("layer")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(f"RDM similarity ({table['method'].iloc[0]})")
    axes[0, -1].legend(fontsize=8)
    ci = table["ci"].iloc[0]
    band = (
        f", band: {round(100 * ci)}% bootstrap CI over stimuli"
        if table["ci_low"].notna().any()
        else ""
    )
    fig.suptitle(title or f"RSA with the reference RDMs, layer by layer{band}", fontsize=10)
    return fig


def plot_rdms(
    rdms: Mapping[str, Any],
    categories: Sequence[str] | None = None,
    title: str = "",
    *,
    ncols: int = 4,
):
    """RDMs side by side as rank percentiles of their dissimilarities (as in Kriegeskorte 2008).

    Args:
        rdms: name -> square RDM (array or DataArray), all over the same stimuli in the same
            order.
        categories: the category of each stimulus, in RDM order: blocks of one category are
            outlined and labelled on the axes.
        title: the figure's title.

    Returns:
        a matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    ncols = min(ncols, len(rdms))
    nrows = -(-len(rdms) // ncols)
    labelled = categories is not None
    size = 3.6 if labelled else 3.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols + 1.2, size * nrows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    if labelled:
        cats = np.asarray(categories)
        edges = np.flatnonzero(cats[1:] != cats[:-1]) + 1
        starts, ends = np.r_[0, edges], np.r_[edges, len(cats)]
        centres, names = (starts + ends - 1) / 2, cats[starts]
    image = None
    for k, (ax, (name, rdm)) in enumerate(zip(axes.flat, rdms.items())):
        values = np.asarray(rdm.values if _is_dataarray(rdm) else rdm)
        image = ax.imshow(_rank_percentile(values), cmap="viridis", vmin=0, vmax=100)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if labelled:
            for edge in edges - 0.5:
                ax.axhline(edge, color="w", lw=0.6)
                ax.axvline(edge, color="w", lw=0.6)
            if k % ncols == 0:
                ax.set_yticks(centres, names, fontsize=7)
            if k >= len(rdms) - ncols:
                ax.set_xticks(centres, names, fontsize=7, rotation=40, ha="right")
        else:
            ax.set_xlabel("stimulus", fontsize=8)
            ax.set_ylabel("stimulus", fontsize=8)
    for ax in axes.flat[len(rdms) :]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.7, label="dissimilarity (percentile)")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
