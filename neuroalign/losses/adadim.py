"""AdaDim: an adaptive mix of sample uniformity, feature decorrelation and an I(R; Z) penalty.

Kokilepersaud, Prabhushankar & AlRegib, "AdaDim: Dimensionality Adaptation for SSL
Representational Dynamics" (arXiv 2505.12576, 2025), section 4 and appendices A.3-A.7. For the
embeddings Z (projection head) and the representations R (backbone) of the same views:

    L = alpha * L_InfoNCE(Z) + (1 - alpha) * L_VICReg(Z) + beta * I(R; Z)

- L_InfoNCE, the sample-uniformity loss: SimCLR's NT-Xent, :func:`~neuroalign.losses.simclr.
  simclr_loss` (temperature 0.1, the value of the paper's standardised SimCLR runs, Table 17).
- L_VICReg, the feature-decorrelation loss: :func:`~neuroalign.losses.vicreg.vicreg_loss` with
  the original coefficients lambda = mu = 25, nu = 1 (appendix A.5).
- I(R; Z): the matrix-based Renyi mutual information of order 2 on the trace-normalised cosine
  Gram matrices of R and Z (appendix A.3; :mod:`neuroalign.losses.information`), in bits,
  computed for each view over its B images and averaged over the m views.
- alpha = erank(R) / max erank: the effective rank (Roy & Vetterli 2007) of a batch of
  representations (n samples x d_r, centred) divided by its largest possible value
  min(n - 1, d_r), averaged over 10 training batches and re-estimated every tau = 20 epochs
  (section 4, appendix A.7). It grows from near 0 towards 1 as the representation spreads over
  more dimensions, moving the objective from decorrelation (VICReg) to uniformity (InfoNCE).
- beta = mi_weight * alpha with mi_weight = 1e-4 (``beta_schedule="alpha"``: the paper's best
  setting "AdaDim (alpha = Ada, beta = Ada)", Tables 6 and 9, with the weight 1e-4 of Ouyang et
  al. 2025, appendix A.4): the penalty on I(R; Z) grows with alpha as training progresses.
  ``beta_schedule="constant"`` gives beta = mi_weight (the "beta = 1" ablation row).

The seed text of the paper lost its formulas; the reading above follows its prose and ablation
tables. With alpha = 1, beta = 0 the loss is exactly ``simclr_loss``; with alpha = 0, beta = 0
exactly ``vicreg_loss``.

Training-loop protocol of :class:`AdaDimLoss` (the loss holds alpha as state):

1. each step: ``loss(z, representation=r)`` with z (m, B, d_z) and r (m, B, d_r) the head and
   backbone outputs of the same m x B views (``SSLModel.forward(x, return_features=True)``);
2. at the start of every epoch e with ``loss.alpha_due(e)`` (e % tau == 0, epoch 0 included),
   before its first step: ``loss.update_alpha(batches)`` with the backbone representations of
   ``loss.alpha_batches`` (10) training batches computed under ``torch.no_grad()``;
3. checkpoints keep alpha through ``loss.state_dict()`` / ``loss.load_state_dict(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.distributed as dist

from neuroalign.losses._base import EmbeddingLoss, check_embeddings, check_positive
from neuroalign.losses.distributed import gather_batch, get_world_size
from neuroalign.losses.information import (
    effective_rank,
    matrix_mutual_information,
    max_effective_rank,
)
from neuroalign.losses.simclr import simclr_loss
from neuroalign.losses.vicreg import (
    DEFAULT_COV_COEFF,
    DEFAULT_SIM_COEFF,
    DEFAULT_STD_COEFF,
    vicreg_loss,
)

__all__ = [
    "BETA_SCHEDULES",
    "DEFAULT_ALPHA_BATCHES",
    "DEFAULT_MI_WEIGHT",
    "DEFAULT_RENYI_ORDER",
    "DEFAULT_TAU",
    "DEFAULT_TEMPERATURE",
    "AdaDimLoss",
    "adadim_loss",
    "adadim_terms",
    "adaptive_alpha",
]

#: InfoNCE temperature of the paper's standardised SimCLR runs (Table 17)
DEFAULT_TEMPERATURE = 0.1
#: weight of the I(R; Z) penalty (appendix A.4, after Ouyang et al. 2025)
DEFAULT_MI_WEIGHT = 1e-4
#: Renyi order of the matrix entropies ("alpha = 2 for all experiments", appendix A.3)
DEFAULT_RENYI_ORDER = 2.0
#: epochs between two estimates of alpha, and training batches per estimate (section 4, A.7)
DEFAULT_TAU = 20
DEFAULT_ALPHA_BATCHES = 10
#: beta = mi_weight * alpha ("alpha", the paper's AdaDim) or beta = mi_weight ("constant")
BETA_SCHEDULES = ("alpha", "constant")


def _check_representation(r: object, z: torch.Tensor, loss: str) -> None:
    check_embeddings(r, loss, min_batch=2, what="representation")
    assert isinstance(r, torch.Tensor)
    if r.shape[:2] != z.shape[:2]:
        raise ValueError(
            f"{loss}: representation and z must hold the same (n_views, batch), got "
            f"{tuple(r.shape[:2])} and {tuple(z.shape[:2])}"
        )


def _check_unit_interval(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def adadim_terms(
    z: torch.Tensor,
    representation: torch.Tensor | None,
    temperature: float = DEFAULT_TEMPERATURE,
    sim_coeff: float = DEFAULT_SIM_COEFF,
    std_coeff: float = DEFAULT_STD_COEFF,
    cov_coeff: float = DEFAULT_COV_COEFF,
    renyi_order: float = DEFAULT_RENYI_ORDER,
) -> dict[str, torch.Tensor]:
    """The three unweighted AdaDim terms.

    Args:
        z: embeddings, shape (n_views m >= 2, batch B >= 2, d_z); view a of image i is
            ``z[a, i]``.
        representation: backbone representations of the same views, (m, B, d_r); None
            leaves out the mutual-information term.
        temperature: InfoNCE temperature.
        sim_coeff, std_coeff, cov_coeff: VICReg's lambda, mu, nu.
        renyi_order: order of the matrix Renyi entropies (> 1 for well-behaved gradients).

    Returns:
        ``{"uniformity": simclr_loss, "decorrelation": vicreg_loss,
        "mutual_information": mean_a I(R^a; Z^a) in bits}`` (scalar tensors; the last only
        when ``representation`` is given).
    """
    check_embeddings(z, "adadim_loss", min_batch=2)
    terms = {
        "uniformity": simclr_loss(z, temperature=temperature),
        "decorrelation": vicreg_loss(z, sim_coeff, std_coeff, cov_coeff),
    }
    if representation is not None:
        _check_representation(representation, z, "adadim_loss")
        per_view = [
            matrix_mutual_information(representation[a], z[a], renyi_order)
            for a in range(z.shape[0])
        ]
        terms["mutual_information"] = torch.stack(per_view).mean()
    return terms


def adadim_loss(
    z: torch.Tensor,
    representation: torch.Tensor | None,
    alpha: float,
    beta: float,
    **kwargs: float,
) -> torch.Tensor:
    """AdaDim loss ``alpha * InfoNCE + (1 - alpha) * VICReg + beta * I(R; Z)`` for given weights.

    Args:
        z: embeddings (n_views, batch, d_z).
        representation: backbone representations (n_views, batch, d_r); may be None only when
            ``beta == 0``.
        alpha: uniformity weight in [0, 1] (:func:`adaptive_alpha` estimates it).
        beta: weight >= 0 of the mutual-information penalty.
        **kwargs: ``temperature``, ``sim_coeff``, ``std_coeff``, ``cov_coeff``, ``renyi_order``
            of :func:`adadim_terms`.

    Returns:
        Scalar tensor; equals ``simclr_loss(z)`` at alpha = 1, beta = 0 and ``vicreg_loss(z)``
        at alpha = 0, beta = 0.
    """
    alpha = _check_unit_interval("alpha", alpha)
    beta = check_positive("beta", beta, allow_zero=True)
    if representation is None and beta != 0:
        raise ValueError("adadim_loss: beta > 0 needs the representation for I(R; Z)")
    terms = adadim_terms(z, representation, **kwargs)
    loss = alpha * terms["uniformity"] + (1.0 - alpha) * terms["decorrelation"]
    if representation is not None:
        loss = loss + beta * terms["mutual_information"]
    return loss


def _as_samples(r: object, index: int) -> torch.Tensor:
    if not isinstance(r, torch.Tensor) or not r.is_floating_point() or r.ndim not in (2, 3):
        what = tuple(r.shape) if isinstance(r, torch.Tensor) else type(r).__name__
        raise ValueError(
            f"adaptive_alpha: batch {index} must be a floating tensor (n, d_r) or "
            f"(n_views, batch, d_r), got {what}"
        )
    return r.detach().reshape(-1, r.shape[-1])


@torch.no_grad()
def adaptive_alpha(
    representations: Iterable[torch.Tensor],
    *,
    center: bool = True,
    gather_distributed: bool = False,
) -> float:
    """AdaDim's alpha: the mean over batches of erank(R_b) / max erank (Roy & Vetterli 2007).

    Args:
        representations: batches of backbone representations, each (n, d_r) or
            (n_views, batch, d_r) (views are pooled into n = n_views * batch samples).
        center: centre each batch before its SVD; the maximum is then min(n - 1, d_r), else
            min(n, d_r).
        gather_distributed: under DDP, gather every batch across ranks first (every rank must
            pass the same number of batches of the same shape); the result, broadcast from
            rank 0, is the single-process value of the concatenated batches on every rank.

    Returns:
        alpha in [1 / max, 1]: 1 when all singular values are equal (isotropic), 1 / max for a
        rank-1 batch.
    """
    world = get_world_size() if gather_distributed else 1
    ratios, device = [], torch.device("cpu")
    for index, r in enumerate(representations):
        x = _as_samples(r, index)
        if world > 1:
            x = gather_batch(x, dim=0)  # raises on every rank alike for NaN / unequal shapes
        elif not bool(torch.isfinite(x).all()):
            raise ValueError(f"adaptive_alpha: batch {index} contains NaN/inf values")
        n, d = x.shape
        top = max_effective_rank(n, d, center=center)
        if top < 1:
            raise ValueError(f"adaptive_alpha: batch {index} needs >= 2 samples, got {n}")
        ratios.append(float(effective_rank(x, center=center)) / top)
        device = x.device
    if not ratios:
        raise ValueError("adaptive_alpha: needs at least one batch of representations")
    alpha = sum(ratios) / len(ratios)
    if world > 1:
        value = torch.tensor([alpha], dtype=torch.float64, device=device)
        dist.broadcast(value, src=0)
        alpha = float(value.item())
    return alpha


class AdaDimLoss(EmbeddingLoss):
    """``nn.Module`` form of AdaDim; ``forward(z, representation=r)``, both (n_views, batch, .).

    Holds alpha as state. With ``alpha=None`` (the paper's method) alpha is adaptive: it must be
    estimated by :meth:`update_alpha` before the first step and every ``tau`` epochs after
    (:meth:`alpha_due` says when); a number fixes it (the paper's manual-alpha ablations) and
    :meth:`alpha_due` is then always False. Alpha is saved in ``state_dict()`` (extra state).

    Under DDP (``gather_distributed=True``) z and the representation are gathered across
    ranks, so value and parameter gradients equal one process on the concatenated batch, and
    :meth:`update_alpha` gathers its batches so that every rank holds the same alpha.

    Args:
        alpha: None for adaptive alpha, or a fixed value in [0, 1].
        tau: epochs between estimates of the adaptive alpha (paper: 20).
        alpha_batches: training batches the loop passes to each :meth:`update_alpha` (10).
        mi_weight: weight of the I(R; Z) penalty (1e-4).
        beta_schedule: "alpha" (beta = mi_weight * alpha, the paper's) or "constant".
        temperature: InfoNCE temperature (0.1).
        sim_coeff, std_coeff, cov_coeff: VICReg's lambda, mu, nu (25, 25, 1).
        renyi_order: order of the matrix Renyi entropies (2).
        center: centre the representations before the effective rank.
        gather_distributed: gather z, the representation and the alpha batches across ranks.
    """

    name = "adadim"
    needs_representation = True

    def __init__(
        self,
        alpha: float | None = None,
        tau: int = DEFAULT_TAU,
        alpha_batches: int = DEFAULT_ALPHA_BATCHES,
        mi_weight: float = DEFAULT_MI_WEIGHT,
        beta_schedule: str = "alpha",
        temperature: float = DEFAULT_TEMPERATURE,
        sim_coeff: float = DEFAULT_SIM_COEFF,
        std_coeff: float = DEFAULT_STD_COEFF,
        cov_coeff: float = DEFAULT_COV_COEFF,
        renyi_order: float = DEFAULT_RENYI_ORDER,
        center: bool = True,
        gather_distributed: bool = True,
    ) -> None:
        super().__init__(gather_distributed=gather_distributed)
        self.adaptive = alpha is None
        self._alpha = None if alpha is None else _check_unit_interval("alpha", alpha)
        for key, value in (("tau", tau), ("alpha_batches", alpha_batches)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"adadim: {key} must be a positive integer, got {value!r}")
        self.tau, self.alpha_batches = tau, alpha_batches
        self.mi_weight = check_positive("mi_weight", mi_weight, allow_zero=True)
        if beta_schedule not in BETA_SCHEDULES:
            raise ValueError(
                f"adadim: beta_schedule must be one of {', '.join(BETA_SCHEDULES)}, "
                f"got {beta_schedule!r}"
            )
        self.beta_schedule = beta_schedule
        self.temperature = check_positive("temperature", temperature)
        self.sim_coeff = check_positive("sim_coeff", sim_coeff, allow_zero=True)
        self.std_coeff = check_positive("std_coeff", std_coeff, allow_zero=True)
        self.cov_coeff = check_positive("cov_coeff", cov_coeff, allow_zero=True)
        self.renyi_order = check_positive("renyi_order", renyi_order)
        self.center = bool(center)

    @property
    def alpha(self) -> float | None:
        """The current alpha (None while an adaptive alpha has not been estimated)."""
        return self._alpha

    @property
    def beta(self) -> float | None:
        """The current weight of I(R; Z): mi_weight * alpha, or mi_weight (constant)."""
        if self.beta_schedule == "constant":
            return self.mi_weight
        return None if self._alpha is None else self.mi_weight * self._alpha

    def alpha_due(self, epoch: int) -> bool:
        """True when the loop must call :meth:`update_alpha` before the first step of ``epoch``
        (adaptive alpha and ``epoch % tau == 0``, so epoch 0 included)."""
        return self.adaptive and int(epoch) % self.tau == 0

    def update_alpha(self, representations: Iterable[torch.Tensor]) -> float:
        """Re-estimate the adaptive alpha from backbone representations and return it.

        Args:
            representations: ``alpha_batches`` training batches of backbone representations,
                each (n_views, batch, d_r) or (n, d_r), computed under ``torch.no_grad()``.
                Under DDP every rank passes its local batches (same count and shapes).
        """
        if not self.adaptive:
            raise ValueError(
                f"adadim: alpha is fixed at {self._alpha}; update_alpha needs alpha=None"
            )
        self._alpha = adaptive_alpha(
            representations, center=self.center, gather_distributed=self.gather_distributed
        )
        return self._alpha

    def compute(self, z: torch.Tensor, representation: torch.Tensor) -> torch.Tensor:
        if self._alpha is None:
            raise ValueError(
                "adadim: alpha has not been estimated yet: call loss.update_alpha(batches) "
                "before the first step (see alpha_due), or pass a fixed alpha"
            )
        beta = self.beta
        assert beta is not None
        return adadim_loss(
            z,
            representation,
            self._alpha,
            beta,
            temperature=self.temperature,
            sim_coeff=self.sim_coeff,
            std_coeff=self.std_coeff,
            cov_coeff=self.cov_coeff,
            renyi_order=self.renyi_order,
        )

    def get_extra_state(self) -> dict[str, float | None]:
        return {"alpha": self._alpha}

    def set_extra_state(self, state: dict[str, float | None]) -> None:
        if self.adaptive:
            self._alpha = None if state.get("alpha") is None else float(state["alpha"])

    def extra_repr(self) -> str:
        alpha = "adaptive" if self.adaptive else self._alpha
        return (
            f"alpha={alpha}, tau={self.tau}, mi_weight={self.mi_weight}, "
            f"beta_schedule={self.beta_schedule!r}, temperature={self.temperature}, "
            f"renyi_order={self.renyi_order}, gather_distributed={self.gather_distributed}"
        )
