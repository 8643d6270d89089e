"""SimCLR's NT-Xent loss, generalised to m >= 2 views per image.

Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of Visual
Representations", ICML 2020. With N = m * B unit-normalised embeddings u_k and similarities
s_kj = u_k . u_j / tau, the loss of anchor k is

    l_k = -(1 / |P(k)|) * sum_{p in P(k)} log( exp(s_kp) / sum_{j != k} exp(s_kj) ),

where P(k) are the m - 1 other views of the same image; the loss is the mean of l_k over all N
anchors. With m = 2 this is exactly NT-Xent; with m > 2 every other view of the image is a
positive (the multi-positive form of Khosla et al., "Supervised Contrastive Learning", NeurIPS
2020, with the image identity as the label).

Default temperature: 0.5, the value SimCLR used for CIFAR-10 (Chen et al. 2020, appendix B.9);
ImageNet runs with large batches commonly use 0.1-0.2.
"""

from __future__ import annotations

import torch

from neuroalign.losses._base import EmbeddingLoss, check_embeddings, check_positive

__all__ = ["DEFAULT_TEMPERATURE", "SimCLRLoss", "simclr_loss"]

DEFAULT_TEMPERATURE = 0.5


def simclr_loss(z: torch.Tensor, temperature: float = DEFAULT_TEMPERATURE) -> torch.Tensor:
    """Multi-view NT-Xent loss (Chen et al. 2020) of embeddings z.

    Args:
        z: embeddings, shape (n_views m >= 2, batch B >= 2, dim d); view a of image i is
            ``z[a, i]``. Embeddings are unit-normalised here (cosine similarity).
        temperature: tau > 0 dividing the cosine similarities.

    Returns:
        Scalar tensor: the mean over all m * B anchors of the mean over their m - 1 positives
        of the cross-entropy -log softmax (over the other m * B - 1 embeddings).
    """
    check_embeddings(z, "simclr_loss", min_batch=2)
    tau = check_positive("temperature", temperature)
    n_views, batch, dim = z.shape
    u = torch.nn.functional.normalize(z.reshape(n_views * batch, dim), dim=-1)
    logits = (u @ u.T) / tau  # (N, N); row k = view k // B of image k % B
    n = n_views * batch
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    image = torch.arange(n, device=z.device) % batch
    positive = (image[:, None] == image[None, :]) & ~self_mask  # m - 1 per row
    # masked_fill keeps the -inf diagonal out of the sum (0 * -inf would be NaN).
    positive_log_prob = log_prob.masked_fill(~positive, 0.0).sum(dim=1) / (n_views - 1)
    return -positive_log_prob.mean()


class SimCLRLoss(EmbeddingLoss):
    """``nn.Module`` form of :func:`simclr_loss`; ``forward(z)`` with z (n_views, batch, dim).

    Under DDP (``gather_distributed=True``) the negatives are the embeddings of all ranks and
    the value and parameter gradients equal those of one process on the concatenated batch.

    Args:
        temperature: tau (default 0.5, SimCLR's CIFAR-10 value).
        gather_distributed: gather embeddings across DDP ranks.
    """

    name = "simclr"

    def __init__(
        self, temperature: float = DEFAULT_TEMPERATURE, gather_distributed: bool = True
    ) -> None:
        super().__init__(gather_distributed=gather_distributed)
        self.temperature = check_positive("temperature", temperature)

    def compute(self, z: torch.Tensor) -> torch.Tensor:
        return simclr_loss(z, temperature=self.temperature)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, gather_distributed={self.gather_distributed}"
