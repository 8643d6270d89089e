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

:func:`plot_run` draws every tracked quantity of one or more training runs against step
(``neuroalign plot-run RUN_DIR``). Example::

    from neuroalign.tracking import ProbeImages, packing_metrics
    probe = ProbeImages.spread(test_images, test_labels, n=128)
    packing_metrics(model, probe, n_views=4, recipe="cifar10", preprocessing=prep)
"""

from __future__ import annotations

from neuroalign.tracking.alignment import AlignmentProbe, alignment_metrics
from neuroalign.tracking.dimension import dimension_metrics
from neuroalign.tracking.names import (
    TRACKERS,
    MetricName,
    layer_label,
    metric_name,
    parse_metric_name,
    quantity_title,
)
from neuroalign.tracking.packing import PACKING_QUANTITIES, packing_metrics
from neuroalign.tracking.plot import plot_run, read_run_metrics, save_run_figure
from neuroalign.tracking.probes import ProbeImages

__all__ = [
    "PACKING_QUANTITIES",
    "TRACKERS",
    "AlignmentProbe",
    "MetricName",
    "ProbeImages",
    "alignment_metrics",
    "dimension_metrics",
    "layer_label",
    "metric_name",
    "packing_metrics",
    "parse_metric_name",
    "plot_run",
    "quantity_title",
    "read_run_metrics",
    "save_run_figure",
]
