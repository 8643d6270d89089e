"""DirectCLR: projector-free contrastive learning on a fixed sub-vector of the representation.

Jing, Vincent, LeCun & Tian, "Understanding Dimensional Collapse in Contrastive Self-supervised
Learning", ICLR 2022. Instead of a trainable projector, the InfoNCE loss is applied directly to
the first d0 dimensions r[:d0] of the backbone representation r; the other dimensions receive no
gradient from the loss and are shaped only through the shared backbone weights. Reference code
(github.com/facebookresearch/directclr, ``main.py``): ResNet-50 (2048-d representation),
d0 = 360, temperature 0.1, LARS, batch 4096.

The InfoNCE part is :func:`~neuroalign.losses.simclr.simclr_loss` (its one home), i.e. the
multi-view NT-Xent of SimCLR on the unit-normalised sub-vectors. One difference from the
reference code, which is a two-view cross-entropy between the views only
(``infoNCE(z1, z2) / 2 + infoNCE(z2, z1) / 2``): NT-Xent also counts the other images of the
anchor's own view among the negatives (2B - 2 negatives instead of B - 1), as SimCLR does.

Projector-free training: the loss sees the backbone features only when the model has no head,
``create_ssl_model(arch, head_dims=())``; from the command line ``neuroalign train --loss
directclr --head-dims '' --loss-options d0=360`` (``head_dims: []`` in a YAML config). The
representation width is 512 for ResNet-18/34 and 2048 for ResNet-50; d0 must not exceed it
(:meth:`DirectCLRLoss.check_dim` raises a clear error otherwise).
"""

from __future__ import annotations

import torch

from neuroalign.losses._base import EmbeddingLoss, check_embeddings, check_positive
from neuroalign.losses.simclr import simclr_loss

__all__ = ["DEFAULT_D0", "DEFAULT_TEMPERATURE", "DirectCLRLoss", "directclr_loss"]

#: sub-vector length and temperature of the reference code (ResNet-50, ImageNet)
DEFAULT_D0 = 360
DEFAULT_TEMPERATURE = 0.1


def _check_d0(d0: object) -> int:
    if isinstance(d0, bool) or not isinstance(d0, int) or d0 < 1:
        raise ValueError(f"directclr: d0 must be a positive integer, got {d0!r}")
    return d0


def _check_d0_fits(d0: int, dim: int) -> None:
    if d0 > dim:
        raise ValueError(
            f"directclr: d0={d0} exceeds the embedding width {dim}. DirectCLR applies InfoNCE to "
            "the first d0 dimensions of the backbone representation without a projector: train "
            "with --head-dims '' (embeddings = backbone features: 512-d for resnet18/34, 2048-d "
            f"for resnet50) and --loss-options d0=N with N <= that width"
        )


def directclr_loss(
    z: torch.Tensor, d0: int = DEFAULT_D0, temperature: float = DEFAULT_TEMPERATURE
) -> torch.Tensor:
    """DirectCLR loss (Jing et al. 2022): NT-Xent of the first d0 dimensions of z.

    Args:
        z: representations, shape (n_views m >= 2, batch B >= 2, dim d >= d0); view a of
            image i is ``z[a, i]``. For DirectCLR proper these are the backbone features
            (no projection head).
        d0: length of the sub-vector ``z[..., :d0]`` that enters the loss.
        temperature: tau > 0 of the InfoNCE softmax.

    Returns:
        Scalar tensor ``simclr_loss(z[..., :d0], temperature)``; its gradient with respect to
        ``z[..., d0:]`` is exactly zero.
    """
    check_embeddings(z, "directclr_loss", min_batch=2)
    d0 = _check_d0(d0)
    _check_d0_fits(d0, z.shape[-1])
    return simclr_loss(z[..., :d0], temperature=temperature)


class DirectCLRLoss(EmbeddingLoss):
    """``nn.Module`` form of :func:`directclr_loss`; ``forward(z)`` with z (n_views, batch, dim).

    Under DDP (``gather_distributed=True``) the negatives are the sub-vectors of all ranks and
    the value and parameter gradients equal one process on the concatenated batch.

    Args:
        d0: sub-vector length (default 360, the reference value for ResNet-50's 2048-d
            representation; at most the representation width).
        temperature: tau (default 0.1, the reference value).
        gather_distributed: gather embeddings across DDP ranks.
    """

    name = "directclr"

    def __init__(
        self,
        d0: int = DEFAULT_D0,
        temperature: float = DEFAULT_TEMPERATURE,
        gather_distributed: bool = True,
    ) -> None:
        super().__init__(gather_distributed=gather_distributed)
        self.d0 = _check_d0(d0)
        self.temperature = check_positive("temperature", temperature)

    def check_dim(self, dim: int) -> None:
        """Raise ``ValueError`` (naming --head-dims and d0) unless d0 <= the embedding width.

        A training script can call this once with the model's output width before the first
        step; :meth:`forward` checks the same on every batch.
        """
        _check_d0_fits(self.d0, int(dim))

    def compute(self, z: torch.Tensor) -> torch.Tensor:
        return directclr_loss(z, d0=self.d0, temperature=self.temperature)

    def extra_repr(self) -> str:
        return (
            f"d0={self.d0}, temperature={self.temperature}, "
            f"gather_distributed={self.gather_distributed}"
        )
