"""Names of tracked quantities: metrics-table columns and the words a figure shows for them.

A tracked value is one column of a training run's ``metrics.csv`` (and one TensorBoard scalar),
named ``TRACKER/LAYER/QUANTITY`` for a per-layer value (``packing/embedding/neighbour_count``,
``alignment/layer3/v4_r``) or ``TRACKER/QUANTITY`` for a value of the whole model
(``dimension/mutual_information``, ``packing/seconds``). Layers are shown by what they are:
a model's output is ``embedding``, an :class:`~neuroalign.backbones.SSLModel`'s ``backbone``
is ``representation``, and ``backbone.layer3`` is ``layer3``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "QUANTITIES",
    "TRACKERS",
    "MetricName",
    "layer_label",
    "metric_name",
    "module_name",
    "parse_metric_name",
    "quantity_axis",
    "quantity_title",
]

#: The built-in trackers, in the order their panels are drawn.
TRACKERS = ("packing", "dimension", "alignment")

#: Quantity -> (panel title, y-axis label) for ``plot-run``; others get their key in words.
QUANTITIES: dict[str, tuple[str, str]] = {
    "loss": ("Training loss", "loss (the method's own units)"),
    "knn_top1": ("kNN top-1 accuracy (test images)", "accuracy"),
    "mean_radius": ("Mean sub-manifold radius (r_s = 1)", "radius"),
    "mean_radius_rs": ("Mean sub-manifold radius (with r_s)", "radius"),
    "mean_size": ("Mean sub-manifold size (RMS spread)", "size"),
    "neighbour_count": ("Neighbour count", "neighbours per sub-manifold"),
    "overlap_fraction": ("Overlapping sub-manifold pairs", "fraction of pairs"),
    "overlap_fraction_intra": ("Overlapping same-class pairs", "fraction of pairs"),
    "overlap_fraction_inter": ("Overlapping different-class pairs", "fraction of pairs"),
    "mean_distance": ("Mean centroid distance", "distance"),
    "mean_cosine": ("Mean centroid cosine similarity", "cosine"),
    "participation_ratio": ("Participation ratio", "dimensions"),
    "effective_rank": ("Effective rank (Roy & Vetterli)", "dimensions"),
    "mutual_information": ("I(R; Z), matrix Renyi entropy", "bits"),
    "v4_r": ("V4 predictivity (Cowley 2023, ridge)", "median Pearson r"),
    "v4_ev": ("V4 ceiled explained variance", "r² / ceiling"),
    "it_monkey": ("RSA with monkey IT (Kriegeskorte 2008)", "Spearman rho"),
    "it_human": ("RSA with human IT (Kriegeskorte 2008)", "Spearman rho"),
    "alpha": ("AdaDim alpha (uniformity weight)", "alpha"),
    "beta": ("AdaDim beta (I(R; Z) weight)", "beta"),
    "seconds": ("Cost of one tracker call", "seconds"),
}

_LAYER_LABELS = {"output": "embedding", "backbone": "representation"}


class MetricName(NamedTuple):
    """The parts of a metric column name; ``layer`` is ``None`` for whole-model values."""

    tracker: str
    layer: str | None
    quantity: str


def layer_label(layer: str) -> str:
    """The word for a module name: ``output`` -> ``embedding``, ``backbone`` ->
    ``representation``, ``backbone.layer3`` -> ``layer3``; anything else unchanged (dots kept)."""
    if layer in _LAYER_LABELS:
        return _LAYER_LABELS[layer]
    return layer.removeprefix("backbone.")


def metric_name(tracker: str, quantity: str, layer: str | None = None) -> str:
    """``TRACKER/LAYER/QUANTITY`` (the layer by :func:`layer_label`) or ``TRACKER/QUANTITY``."""
    for part, value in (("tracker", tracker), ("quantity", quantity)):
        if not value or "/" in value:
            raise ValueError(f"metric {part} must be a non-empty name without '/', got {value!r}")
    if layer is None:
        return f"{tracker}/{quantity}"
    return f"{tracker}/{layer_label(layer).replace('/', '.')}/{quantity}"


def parse_metric_name(column: str) -> MetricName | None:
    """The parts of a tracked column name, or ``None`` for a plain column (``loss``, ``lr``)."""
    parts = column.split("/")
    if len(parts) == 2 and all(parts):
        return MetricName(parts[0], None, parts[1])
    if len(parts) == 3 and all(parts):
        return MetricName(*parts)
    return None


def module_name(model: Any, layer: str) -> str:
    """The module of ``model`` that ``layer`` names, as :func:`neuroalign.extract.layer_views`
    takes it: ``output`` (the model's output) as is; a module name as is; ``layer3`` ->
    ``backbone.layer3`` when only the latter exists (an SSLModel or checkpoint). A
    :class:`~neuroalign.extract.LoadedModel` is asked through its ``resolve_layer``.

    Raises:
        ValueError: ``model`` has no such module (the message lists its top-level modules).
    """
    from neuroalign.extract import OUTPUT

    if layer == OUTPUT:
        return layer
    if hasattr(model, "resolve_layer"):
        return model.resolve_layer(layer)
    names = {name for name, _ in model.named_modules() if name}
    if layer in names:
        return layer
    if f"backbone.{layer}" in names:
        return f"backbone.{layer}"
    top = sorted(n for n in names if n.count(".") <= 1)
    raise ValueError(
        f"unknown layer {layer!r}; use {OUTPUT!r} (the embedding) or a module name: "
        f"{', '.join(top)}"
    )


def quantity_title(quantity: str) -> str:
    """The panel title of a quantity (:data:`QUANTITIES`, else its key in words)."""
    if quantity in QUANTITIES:
        return QUANTITIES[quantity][0]
    return quantity.replace("_", " ").capitalize()


def quantity_axis(quantity: str) -> str:
    """The y-axis label of a quantity (:data:`QUANTITIES`, else its key in words)."""
    if quantity in QUANTITIES:
        return QUANTITIES[quantity][1]
    return quantity.replace("_", " ")
