"""MMCR: maximum manifold capacity representations.

Yerxa, Kuang, Simoncelli & Chung, "Learning Efficient Coding of Natural Images with Maximum
Manifold Capacity Representations", NeurIPS 2023. The embeddings are unit-normalised, the m
views of image i are averaged into a centroid c_i, and the loss is the negative nuclear norm
(sum of singular values) of the centroid matrix C (B x d), which is large when the centroids
are spread over many orthogonal directions while each image's views agree. An optional local
term penalises the nuclear norm of each image's own view matrix Z_i (m x d):

    loss = ( -||C||_* + lambda * sum_i ||Z_i||_* ) / B

Scaling note: the authors' code (github.com/ThomasYerxa/mmcr) divides only the local term by B
(``-global_nuc + lmbda * local_nuc / batch_size``); here the whole loss is divided by B, so
the value is comparable across batch sizes (-1 for orthonormal centroids). The minimiser is the
same; with plain SGD multiply the learning rate by B to reproduce their step sizes
(scale-invariant optimisers such as LARS are unaffected). lambda defaults to 0, as in their
ImageNet runs.
"""

from __future__ import annotations

import torch

from neuroalign.losses._base import EmbeddingLoss, check_embeddings, check_positive

__all__ = ["MMCRLoss", "mmcr_loss"]


def mmcr_loss(z: torch.Tensor, lmbda: float = 0.0) -> torch.Tensor:
    """MMCR loss (Yerxa et al. 2023) of embeddings z, divided by the batch size.

    Args:
        z: embeddings, shape (n_views m >= 2, batch B >= 1, dim d); view a of image i is
            ``z[a, i]``. Embeddings are unit-normalised here.
        lmbda: weight of the local nuclear-norm term (>= 0, default 0).

    Returns:
        Scalar tensor ``(-||C||_* + lmbda * sum_i ||Z_i||_*) / B`` with C (B, d) the centroids
        of the unit-normalised views and Z_i (m, d) the views of image i.
    """
    check_embeddings(z, "mmcr_loss", min_batch=1)
    lmbda = check_positive("lmbda", lmbda, allow_zero=True)
    batch = z.shape[1]
    u = torch.nn.functional.normalize(z, dim=-1)
    centroids = u.mean(dim=0)  # (B, d)
    loss = -torch.linalg.svdvals(centroids).sum()
    if lmbda != 0:
        local = torch.linalg.svdvals(u.transpose(0, 1)).sum()  # (B, m, d) -> sum over images
        loss = loss + lmbda * local
    return loss / batch


class MMCRLoss(EmbeddingLoss):
    """``nn.Module`` form of :func:`mmcr_loss`; ``forward(z)`` with z (n_views, batch, dim).

    Under DDP (``gather_distributed=True``) C is the centroid matrix of the global batch, and
    the value and parameter gradients equal one process on the concatenated batch.
    """

    name = "mmcr"

    def __init__(self, lmbda: float = 0.0, gather_distributed: bool = True) -> None:
        super().__init__(gather_distributed=gather_distributed)
        self.lmbda = check_positive("lmbda", lmbda, allow_zero=True)

    def compute(self, z: torch.Tensor) -> torch.Tensor:
        return mmcr_loss(z, lmbda=self.lmbda)

    def extra_repr(self) -> str:
        return f"lmbda={self.lmbda}, gather_distributed={self.gather_distributed}"
