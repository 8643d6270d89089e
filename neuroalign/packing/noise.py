"""The stochastic approximation of BRO and particle SGD: drift and noise of one step.

Zhang & Martiniani write one step of either dynamics, from a fixed configuration, as a drift
along -grad_i L plus a multiplicative noise of rank one along grad_i L:

- BRO (Eq. 1): dx_i = -eps grad_i L + eps sqrt(Sigma_i) xi,  Sigma_i = grad_i L grad_i L^T / 3;
- particle SGD (Eq. 3): dx_i = -alpha b_f grad_i L + alpha sqrt(b_f - b_f^2)
  sqrt(grad_i L grad_i L^T) xi,  b_f = B / |Q|.

So the mean step of an active sphere is -eps g_i (BRO) or -alpha b_f g_i (SGD), and its
covariance c g_i g_i^T with c = eps^2 / 3 or alpha^2 (b_f - b_f^2). Both dynamics have the same
drift when alpha b_f = eps, and then the same noise when (1 - b_f) / b_f = 1 / 3, i.e.
b_f = 3/4; the noise-to-drift ratio tr(Cov) / |mean|^2 is 1/3 for BRO and (1 - b_f) / b_f for
SGD whatever the configuration. :func:`predicted_moments` gives these moments,
:func:`sampled_moments` measures them by drawing many steps from the same configuration, and
:func:`noise_table` compares the two for several dynamics.
"""

from __future__ import annotations

import pandas as pd
import torch

from neuroalign.packing.dynamics import BRO, ParticleSGD, batch_size_for
from neuroalign.packing.loss import Overlaps, active_mask, hinge_gradient

__all__ = ["noise_table", "predicted_moments", "sampled_moments"]


def predicted_moments(
    overlaps: Overlaps, rule: BRO | ParticleSGD
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (n, d) and covariance (n, d, d) of one step of ``rule`` from this configuration,
    per sphere (Eq. 1 / Eq. 3; exact for one step). For SGD b_f = B / |Q| of this step."""
    grad = hinge_gradient(overlaps)
    outer = grad[:, :, None] * grad[:, None, :]
    if isinstance(rule, BRO):
        if rule.kick == "unit":
            raise ValueError("kick: the stochastic approximation (Eq. 1) is for kick='sum'")
        return -rule.eps * grad, (rule.eps**2 / 3.0) * outer
    n_active = int(active_mask(overlaps).sum())
    b_f = batch_size_for(n_active, rule.batch_size, rule.batch_fraction) / max(n_active, 1)
    return -rule.lr * b_f * grad, rule.lr**2 * (b_f - b_f**2) * outer


def sampled_moments(
    overlaps: Overlaps,
    rule: BRO | ParticleSGD,
    n_draws: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample mean (n, d) and covariance (n, d, d) of ``n_draws`` independent steps of
    ``rule`` from the same configuration."""
    if n_draws < 2:
        raise ValueError(f"n_draws: need at least 2 draws, got {n_draws}")
    n, d = overlaps.n, overlaps.unit.shape[1]
    total = torch.zeros(n, d, dtype=torch.float64)
    second = torch.zeros(n, d, d, dtype=torch.float64)
    for _ in range(n_draws):
        step = rule.displacement(overlaps, generator).double().cpu()
        total += step
        second += step[:, :, None] * step[:, None, :]
    mean = total / n_draws
    cov = (second - n_draws * mean[:, :, None] * mean[:, None, :]) / (n_draws - 1)
    return mean, cov


def noise_table(
    overlaps: Overlaps,
    rules: dict[str, BRO | ParticleSGD],
    n_draws: int = 2000,
    generator: torch.Generator | None = None,
) -> pd.DataFrame:
    """Predicted vs sampled drift and noise of each rule, over the active spheres.

    Returns:
        DataFrame, one row per rule: name, b_f (NaN for BRO), mean_step (mean |E dx_i| over
        active spheres), noise_ratio_predicted and noise_ratio_sampled (sum of tr Cov over sum
        of |E dx_i|^2), mean_rel_error and cov_rel_error (|sampled - predicted| / |predicted|,
        Frobenius norms over all active spheres).
    """
    active = active_mask(overlaps).cpu()
    if not bool(active.any()):
        raise ValueError("overlaps: no active sphere; the step moments are all zero")
    rows = []
    for name, rule in rules.items():
        mean_p, cov_p = (t.double().cpu()[active] for t in predicted_moments(overlaps, rule))
        mean_s, cov_s = (t[active] for t in sampled_moments(overlaps, rule, n_draws, generator))
        n_active = int(active.sum())
        b_f = (
            batch_size_for(n_active, rule.batch_size, rule.batch_fraction) / n_active
            if isinstance(rule, ParticleSGD)
            else float("nan")
        )

        def ratio(mean: torch.Tensor, cov: torch.Tensor) -> float:
            trace = torch.diagonal(cov, dim1=1, dim2=2).sum()
            return float(trace / (mean**2).sum())

        rows.append(
            {
                "name": name,
                "b_f": b_f,
                "mean_step": float(torch.linalg.vector_norm(mean_p, dim=1).mean()),
                "noise_ratio_predicted": ratio(mean_p, cov_p),
                "noise_ratio_sampled": ratio(mean_s, cov_s),
                "mean_rel_error": float((mean_s - mean_p).norm() / mean_p.norm()),
                "cov_rel_error": float((cov_s - cov_p).norm() / cov_p.norm())
                if float(cov_p.norm()) > 0
                else float((cov_s).norm()),
            }
        )
    return pd.DataFrame(rows)
