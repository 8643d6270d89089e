"""Self-supervised losses: CLAMP and the SimCLR, VICReg, MMCR, DirectCLR and AdaDim baselines.

Every loss takes embeddings ``z`` of shape (n_views, batch, dim) -- view a of image i is
``z[a, i]`` -- and returns a scalar tensor. Each comes as a pure function (``clamp_loss``,
``simclr_loss``, ``vicreg_loss``, ``mmcr_loss``, ``directclr_loss``, ``adadim_loss``) and as an
``nn.Module`` that, under DDP, gathers the embeddings of all ranks (see
:mod:`neuroalign.losses.distributed`). DirectCLR is meant for a model without projection head
(z = backbone features). AdaDim also needs the backbone representation r of the same views
(``needs_representation`` is True: ``loss(z, representation=r)``) and an alpha re-estimated
during training (:class:`~neuroalign.losses.adadim.AdaDimLoss`). The spectral quantities
behind AdaDim (effective rank, matrix Renyi entropy) live in :mod:`neuroalign.losses.information`.

Example::

    from neuroalign.losses import create_loss

    loss_fn = create_loss("clamp", r_s=8.5)
    z = head(backbone(views.flatten(0, 1))).unflatten(0, (n_views, batch))
    loss = loss_fn(z)
    loss.backward()
"""

from __future__ import annotations

from torch import nn

from neuroalign.losses.adadim import AdaDimLoss, adadim_loss, adadim_terms, adaptive_alpha
from neuroalign.losses.clamp import (
    CLAMPLoss,
    SubmanifoldGeometry,
    clamp_energy,
    clamp_loss,
    submanifold_geometry,
)
from neuroalign.losses.directclr import DirectCLRLoss, directclr_loss
from neuroalign.losses.mmcr import MMCRLoss, mmcr_loss
from neuroalign.losses.simclr import SimCLRLoss, simclr_loss
from neuroalign.losses.vicreg import VICRegLoss, vicreg_loss, vicreg_terms

__all__ = [
    "LOSSES",
    "AdaDimLoss",
    "CLAMPLoss",
    "DirectCLRLoss",
    "MMCRLoss",
    "SimCLRLoss",
    "SubmanifoldGeometry",
    "VICRegLoss",
    "adadim_loss",
    "adadim_terms",
    "adaptive_alpha",
    "clamp_energy",
    "clamp_loss",
    "create_loss",
    "directclr_loss",
    "mmcr_loss",
    "simclr_loss",
    "submanifold_geometry",
    "vicreg_loss",
    "vicreg_terms",
]

#: Loss name -> ``nn.Module`` class; :func:`create_loss` instantiates them.
LOSSES: dict[str, type[nn.Module]] = {
    "clamp": CLAMPLoss,
    "simclr": SimCLRLoss,
    "vicreg": VICRegLoss,
    "mmcr": MMCRLoss,
    "directclr": DirectCLRLoss,
    "adadim": AdaDimLoss,
}


def create_loss(name: str, **kwargs: object) -> nn.Module:
    """Instantiate the loss ``name`` (a key of :data:`LOSSES`, case-insensitive).

    ``kwargs`` go to the class (e.g. ``r_s`` for CLAMP, ``temperature`` for SimCLR, ``d0`` for
    DirectCLR, ``gather_distributed`` for all). Unknown names or keywords raise ``ValueError``.
    """
    key = str(name).strip().lower()
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid names: {', '.join(sorted(LOSSES))}")
    cls = LOSSES[key]
    try:
        return cls(**kwargs)
    except TypeError as exc:  # unexpected keyword
        raise ValueError(f"bad arguments for loss {key!r} ({cls.__name__}): {exc}") from exc
