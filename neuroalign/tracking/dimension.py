"""Dimension of the representation and the embedding while a network learns, and AdaDim's I(R; Z).

On the fixed probe images (one view each, the model's evaluation preprocessing) the tracker
takes the representation R (an SSLModel's backbone output, N x d_r) and the embedding Z (its
output, N x d_z) and reports, for each (SCIENCE.md section 2):

- the participation ratio (sum lambda)^2 / sum lambda^2 of the covariance spectrum (Gao et al.
  2017; Litwin-Kumar et al. 2017): :func:`neuroalign.geometry.participation_ratio`;
- the effective rank exp(H(sigma / sum sigma)) of the centred features (Roy & Vetterli 2007);

and the mutual information I(R; Z) of the matrix-based Renyi entropy of order 2 on the
trace-normalised cosine Gram matrices (Sanchez Giraldo, Rao & Principe 2015), the quantity the
AdaDim loss penalises (Kokilepersaud, Prabhushankar & AlRegib 2025):
:func:`neuroalign.geometry.adadim_summary`. With N probe images every dimension is at most
N - 1, so compare values measured on probes of the same size.
"""

from __future__ import annotations

import time
from typing import Any

from neuroalign.losses.adadim import DEFAULT_RENYI_ORDER
from neuroalign.tracking.names import metric_name, module_name
from neuroalign.tracking.probes import ProbeImages

__all__ = ["dimension_metrics"]


def dimension_metrics(
    model: Any,
    probe: ProbeImages,
    *,
    representation: str = "backbone",
    embedding: str = "output",
    renyi_order: float = DEFAULT_RENYI_ORDER,
    preprocessing: Any = None,
    batch_size: int = 256,
) -> dict[str, float]:
    """Participation ratio and effective rank of R and Z, and I(R; Z), on the probe images.

    Args:
        model: an ``nn.Module`` (then ``preprocessing`` is required) or a
            :class:`~neuroalign.extract.LoadedModel`.
        probe: the N >= 2 fixed probe images.
        representation: the layer giving R (default the SSLModel's backbone output).
        embedding: the layer giving Z (default the model's output).
        renyi_order: order of the matrix Renyi entropies of I(R; Z) (default 2, the AdaDim
            loss's order).
        preprocessing: the model's :class:`~neuroalign.preprocessing.Preprocessing`.
        batch_size: images per forward pass.

    Returns:
        ``dimension/representation/participation_ratio``, ``.../effective_rank``, the same for
        ``embedding``, ``dimension/mutual_information`` (bits) and ``dimension/seconds``. When
        R and Z are the same layer (a projector-free model) each is reported once.
    """
    from neuroalign.extract import layer_views
    from neuroalign.geometry import adadim_summary, participation_ratio

    start = time.perf_counter()
    r_name, z_name = module_name(model, representation), module_name(model, embedding)
    layers = list(dict.fromkeys([r_name, z_name]))
    feats = layer_views(
        model, probe.images, layers, 0, preprocessing=preprocessing, batch_size=batch_size
    )
    R = feats[r_name].double().cpu().numpy()
    Z = feats[z_name].double().cpu().numpy()
    summary = adadim_summary(R, Z, alpha=renyi_order)
    out: dict[str, float] = {}
    for layer, X, key in ((r_name, R, "effective_rank_R"), (z_name, Z, "effective_rank_Z")):
        out[metric_name("dimension", "participation_ratio", layer)] = participation_ratio(X)
        out[metric_name("dimension", "effective_rank", layer)] = float(summary[key])
    out[metric_name("dimension", "mutual_information")] = float(summary["mutual_information"])
    out[metric_name("dimension", "seconds")] = time.perf_counter() - start
    return out
