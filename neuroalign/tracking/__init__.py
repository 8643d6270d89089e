"""What a network's representation does while it learns: packing, dimension, brain alignment.

Each tracker is a pure function ``(model, probe, **settings) -> {column: value}`` measured on a
fixed probe set chosen once at the start (so that a change of a value is a change of the
network), whose keys are columns of the run's metrics table (:mod:`~neuroalign.tracking.names`).
Default settings (probe sizes, layers, projection size) are in :mod:`neuroalign.defaults`
(``TRACK_*``):

- :func:`packing_metrics` (CLAMP Fig. 3): sub-manifold radius, size, neighbour count, overlaps
  and centroid distances of m augmented views of the probe images, on the embedding and the
  representation;
- :func:`dimension_metrics`: participation ratio and effective rank of the representation and
  the embedding, and AdaDim's I(R; Z);
- :func:`alignment_metrics`: V4 predictivity (Cowley 2023, ridge on a random projection) and IT
  RSA (Kriegeskorte 2008) of chosen layers, on stimuli preloaded by :class:`AlignmentProbe`.

During training they run as callbacks (:mod:`neuroalign.train.tracking`; ``neuroalign train
--track packing,dimension,alignment``). :func:`plot_run` draws every tracked quantity of one or
more training runs against step (``neuroalign plot-run RUN_DIR``). Example::

    from neuroalign.tracking import ProbeImages, packing_metrics
    probe = ProbeImages.spread(test_images, test_labels, n=128)
    packing_metrics(model, probe, n_views=4, recipe="cifar10", preprocessing=prep)
"""

from __future__ import annotations

from neuroalign._lazy import lazy_exports

# names are imported on first use: the names module (used by the configs) needs no torch
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "alignment": ("AlignmentProbe", "alignment_metrics"),
        "dimension": ("dimension_metrics",),
        "names": (
            "TRACKERS",
            "MetricName",
            "layer_label",
            "metric_name",
            "parse_metric_name",
            "quantity_title",
        ),
        "packing": ("PACKING_QUANTITIES", "packing_metrics"),
        "plot": ("plot_run", "read_run_metrics", "run_label", "save_run_figure"),
        "probes": ("ProbeImages",),
    },
)
