"""Packing of augmentation sub-manifolds while a network learns (CLAMP, Fig. 3).

Zhang, Heeger & Martiniani, "Contrastive Self-Supervised Learning As Neural Manifold Packing"
(NeurIPS 2025), section 5 and Fig. 3: over training, the sub-manifolds that the m augmented
views of each image trace in the embedding space shrink and their neighbour count falls, like
particles approaching an absorbing state of a random-organisation model. This tracker measures
that on a fixed probe set (:class:`~neuroalign.tracking.ProbeImages`, the same m views of the
same N images at every call): for each layer the views' features
(:func:`neuroalign.extract.layer_views`) go through
:func:`neuroalign.geometry.submanifold_summary` (SCIENCE.md section 2): mean radius with
and without r_s, size, neighbour count, overlap fraction (all pairs, and same- / different-class
pairs when the probe has labels) and centroid distances and cosines.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from neuroalign.defaults import R_S, TRACK_PACKING_LAYERS
from neuroalign.tracking.names import metric_name, module_name
from neuroalign.tracking.probes import ProbeImages

__all__ = ["PACKING_QUANTITIES", "packing_metrics"]

#: The keys of :func:`~neuroalign.geometry.submanifold_summary` that are tracked.
PACKING_QUANTITIES: tuple[str, ...] = (
    "mean_radius",
    "mean_radius_rs",
    "mean_size",
    "neighbour_count",
    "overlap_fraction",
    "overlap_fraction_intra",
    "overlap_fraction_inter",
    "mean_distance",
    "mean_cosine",
)


def packing_metrics(
    model: Any,
    probe: ProbeImages,
    *,
    layers: Sequence[str] = TRACK_PACKING_LAYERS,
    n_views: int = 4,
    recipe: Any = "cifar10",
    r_s: float = R_S,
    seed: int = 0,
    preprocessing: Any = None,
    max_features: int | None = 2048,
    batch_size: int = 256,
) -> dict[str, float]:
    """Sub-manifold geometry of ``layers`` on ``n_views`` augmented views of the probe images.

    Args:
        model: an ``nn.Module`` (e.g. the :class:`~neuroalign.backbones.SSLModel` being trained;
            then ``preprocessing`` is required) or a :class:`~neuroalign.extract.LoadedModel`.
        probe: the N >= 2 fixed probe images (labels give the intra/inter-class overlaps).
        layers: ``output`` (the embedding), ``backbone`` (the representation) or module names
            (``layer4`` means ``backbone.layer4`` on an SSLModel).
        n_views: augmented views m >= 2 per image.
        recipe: augmentation recipe (:func:`neuroalign.augment.get_recipe` name or object).
        r_s: CLAMP radius scale for ``mean_radius_rs`` and the neighbour / overlap counts.
        seed: seed of the views and random projections: the same seed gives the same views.
        preprocessing: the model's :class:`~neuroalign.preprocessing.Preprocessing`.
        max_features: wider layers are reduced by a seeded Gaussian random projection.
        batch_size: views per forward pass.

    Returns:
        ``packing/LAYER/QUANTITY`` -> float for every quantity of :data:`PACKING_QUANTITIES`
        (the ``_intra`` / ``_inter`` ones only with labels), and ``packing/seconds``, the wall
        time of the call. The model's train/eval mode is restored.
    """
    from neuroalign.extract import layer_views
    from neuroalign.geometry import submanifold_summary

    if int(n_views) < 2:
        raise ValueError(f"packing: n_views must be >= 2, got {n_views}")
    start = time.perf_counter()
    modules = [module_name(model, layer) for layer in layers]
    views = layer_views(
        model,
        probe.images,
        modules,
        int(n_views),
        preprocessing=preprocessing,
        recipe=recipe,
        seed=seed,
        max_features=max_features,
        batch_size=batch_size,
    )
    labels = None if probe.labels is None else probe.labels.numpy()
    out: dict[str, float] = {}
    for layer in modules:
        summary = submanifold_summary(views[layer], labels, r_s)
        for key in PACKING_QUANTITIES:
            if key in summary:
                out[metric_name("packing", key, layer)] = float(summary[key])
    out[metric_name("packing", "seconds")] = time.perf_counter() - start
    return out
