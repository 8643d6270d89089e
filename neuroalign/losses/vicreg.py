"""VICReg: variance-invariance-covariance regularisation, generalised to m >= 2 views.

Bardes, Ponce & LeCun, "VICReg: Variance-Invariance-Covariance Regularization for
Self-Supervised Learning", ICLR 2022. For the embeddings Z^a (B x d) of view a:

- invariance s(Z^a, Z^b) = mean over images and dimensions of (Z^a - Z^b)^2 (the MSE);
- variance v(Z) = (1/d) sum_k relu(1 - sqrt(Var(Z[:, k]) + 1e-4)), Var with ddof 1;
- covariance c(Z) = (1/d) sum_{k != l} C(Z)_kl^2, C the (ddof 1) covariance matrix of Z.

Multi-view loss with coefficients lambda = mu = 25, nu = 1 (the paper's defaults):

    loss = lambda * mean_{a < b} s(Z^a, Z^b) + mu * mean_a v(Z^a) + nu * (2 / m) * sum_a c(Z^a)

With m = 2 this is exactly the official implementation (github.com/facebookresearch/vicreg,
``main_vicreg.py``), which averages the variance term over the two views but sums the
covariance term; the 2 / m factor keeps that weighting for any m.
"""

from __future__ import annotations

import itertools

import torch

from neuroalign.losses._base import EmbeddingLoss, check_embeddings, check_positive

__all__ = [
    "DEFAULT_COV_COEFF",
    "DEFAULT_SIM_COEFF",
    "DEFAULT_STD_COEFF",
    "VICRegLoss",
    "vicreg_loss",
    "vicreg_terms",
]

_VAR_EPS = 1e-4
#: lambda, mu, nu: the paper's coefficients of the invariance, variance and covariance terms
DEFAULT_SIM_COEFF, DEFAULT_STD_COEFF, DEFAULT_COV_COEFF = 25.0, 25.0, 1.0


def _variance_term(x: torch.Tensor) -> torch.Tensor:
    """v(Z) for Z (B, d): hinge on the standard deviation of every dimension."""
    std = torch.sqrt(x.var(dim=0) + _VAR_EPS)
    return torch.relu(1.0 - std).mean()


def _covariance_term(x: torch.Tensor) -> torch.Tensor:
    """c(Z) for Z (B, d): squared off-diagonal covariances divided by d."""
    batch, dim = x.shape
    centred = x - x.mean(dim=0)
    cov = (centred.T @ centred) / (batch - 1)
    off_diagonal_sq = (cov**2).sum() - (torch.diagonal(cov) ** 2).sum()
    return off_diagonal_sq / dim


def vicreg_terms(z: torch.Tensor) -> dict[str, torch.Tensor]:
    """The three unweighted VICReg terms of z (n_views m >= 2, batch B >= 2, dim d).

    Returns:
        ``{"invariance": mean_{a<b} s, "variance": mean_a v, "covariance": (2/m) sum_a c}``,
        each a scalar tensor.
    """
    check_embeddings(z, "vicreg_loss", min_batch=2)
    n_views = z.shape[0]
    pairs = list(itertools.combinations(range(n_views), 2))
    invariance = torch.stack([((z[a] - z[b]) ** 2).mean() for a, b in pairs]).mean()
    variance = torch.stack([_variance_term(z[a]) for a in range(n_views)]).mean()
    covariance = torch.stack([_covariance_term(z[a]) for a in range(n_views)]).sum() * (
        2.0 / n_views
    )
    return {"invariance": invariance, "variance": variance, "covariance": covariance}


def vicreg_loss(
    z: torch.Tensor,
    sim_coeff: float = DEFAULT_SIM_COEFF,
    std_coeff: float = DEFAULT_STD_COEFF,
    cov_coeff: float = DEFAULT_COV_COEFF,
) -> torch.Tensor:
    """Multi-view VICReg loss (Bardes, Ponce & LeCun 2022) of embeddings z.

    Args:
        z: embeddings, shape (n_views m >= 2, batch B >= 2, dim d); view a of image i is
            ``z[a, i]``.
        sim_coeff, std_coeff, cov_coeff: lambda, mu, nu (paper defaults 25, 25, 1).

    Returns:
        Scalar tensor ``sim_coeff * invariance + std_coeff * variance + cov_coeff *
        covariance`` with the terms of :func:`vicreg_terms`.
    """
    coeffs = [
        check_positive(n, v, allow_zero=True)
        for n, v in (("sim_coeff", sim_coeff), ("std_coeff", std_coeff), ("cov_coeff", cov_coeff))
    ]
    terms = vicreg_terms(z)
    return (
        coeffs[0] * terms["invariance"]
        + coeffs[1] * terms["variance"]
        + coeffs[2] * terms["covariance"]
    )


class VICRegLoss(EmbeddingLoss):
    """``nn.Module`` form of :func:`vicreg_loss`; ``forward(z)`` with z (n_views, batch, dim).

    Under DDP (``gather_distributed=True``) the variance and covariance are those of the global
    batch, and the value and parameter gradients equal one process on the concatenated batch.
    """

    name = "vicreg"

    def __init__(
        self,
        sim_coeff: float = DEFAULT_SIM_COEFF,
        std_coeff: float = DEFAULT_STD_COEFF,
        cov_coeff: float = DEFAULT_COV_COEFF,
        gather_distributed: bool = True,
    ) -> None:
        super().__init__(gather_distributed=gather_distributed)
        self.sim_coeff = check_positive("sim_coeff", sim_coeff, allow_zero=True)
        self.std_coeff = check_positive("std_coeff", std_coeff, allow_zero=True)
        self.cov_coeff = check_positive("cov_coeff", cov_coeff, allow_zero=True)

    def compute(self, z: torch.Tensor) -> torch.Tensor:
        return vicreg_loss(z, self.sim_coeff, self.std_coeff, self.cov_coeff)

    def extra_repr(self) -> str:
        return (
            f"sim_coeff={self.sim_coeff}, std_coeff={self.std_coeff}, "
            f"cov_coeff={self.cov_coeff}, gather_distributed={self.gather_distributed}"
        )
