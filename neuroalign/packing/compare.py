"""BRO vs particle SGD: the same transition in the small-step limit, and the same noise.

Zhang & Martiniani show that SGD on the hinge loss with learning rate alpha and batch
fraction b_f behaves like BRO with kick size eps = alpha b_f (same drift, Eq. 1 vs Eq. 3) and
that both have phi_c -> 0.64 in d = 3 as eps, alpha -> 0. :func:`compare_dynamics` runs the
phi scan of a :class:`CompareConfig` for BRO (kick size eps) and for SGD at each batch
fraction with the matched learning rate alpha = eps / b_f, estimates phi_c for each, and
measures the drift and noise of one step of each from one random configuration
(:func:`~neuroalign.packing.noise.noise_table`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import torch

from neuroalign.packing.config import CompareConfig, packing_config
from neuroalign.packing.dynamics import BRO, ParticleSGD
from neuroalign.packing.noise import noise_table
from neuroalign.packing.scan import estimate_phi_c, scan_phi
from neuroalign.packing.simulation import PackingSimulation

__all__ = ["CompareResult", "compare_dynamics", "matched_rules"]


@dataclass
class CompareResult:
    """scan: one row per run with a ``rule`` label; phi_c: per (rule, n); noise: per rule."""

    scan: pd.DataFrame
    phi_c: pd.DataFrame
    noise: pd.DataFrame


def matched_rules(eps: float, batch_fractions: tuple[float, ...]) -> dict[str, BRO | ParticleSGD]:
    """BRO with kick size eps and SGD at each b_f with alpha = eps / b_f, by label."""
    rules: dict[str, BRO | ParticleSGD] = {f"BRO eps={eps:g}": BRO(eps)}
    for b_f in batch_fractions:
        rules[f"SGD b_f={b_f:g}"] = ParticleSGD(eps / b_f, batch_fraction=b_f)
    return rules


def compare_dynamics(config: CompareConfig, *, progress: bool = False) -> CompareResult:
    """Scan BRO and matched SGD, estimate phi_c of each, and tabulate their step noise."""
    scans = []
    bro = replace(config, dynamics="bro", kick="sum")
    scans.append(scan_phi(bro, progress=progress).assign(rule=f"BRO eps={config.eps:g}"))
    for b_f in config.batch_fractions:
        sgd = replace(config, dynamics="sgd", lr=config.eps / b_f, batch_fraction=b_f, batch_size=0)
        scans.append(scan_phi(sgd, progress=progress).assign(rule=f"SGD b_f={b_f:g}"))
    table = pd.concat(scans, ignore_index=True)
    phi_c = estimate_phi_c(table, beta=config.beta, f_max=config.f_max, by=("rule", "n"))
    start = PackingSimulation(
        packing_config(config, n=config.noise_n, phi=config.noise_phi, dtype="float64")
    )
    generator = torch.Generator(start.device).manual_seed(config.seed)
    noise = noise_table(
        start.overlaps(),
        matched_rules(config.eps, config.batch_fractions),
        config.noise_draws,
        generator,
    )
    return CompareResult(table, phi_c, noise)
