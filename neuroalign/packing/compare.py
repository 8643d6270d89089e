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
from neuroalign.packing.dynamics import BRO, ParticleSGD, dynamics_rule
from neuroalign.packing.noise import noise_table
from neuroalign.packing.scan import estimate_phi_c, scan_phi
from neuroalign.packing.simulation import PackingSimulation

__all__ = ["CompareResult", "compare_dynamics", "matched_configs", "matched_rules"]


@dataclass
class CompareResult:
    """scan: one row per run with a ``rule`` label; phi_c: per (rule, n); noise: per rule."""

    scan: pd.DataFrame
    phi_c: pd.DataFrame
    noise: pd.DataFrame


def matched_configs(config: CompareConfig) -> dict[str, CompareConfig]:
    """Rule label -> its config: BRO with kick size eps (the paper's summed kick) and particle
    SGD at each batch fraction b_f with the matched learning rate alpha = eps / b_f."""
    rules = {f"BRO eps={config.eps:g}": replace(config, dynamics="bro", kick="sum")}
    for b_f in config.batch_fractions:
        rules[f"SGD b_f={b_f:g}"] = replace(
            config, dynamics="sgd", lr=config.eps / b_f, batch_fraction=b_f, batch_size=0
        )
    return rules


def matched_rules(config: CompareConfig) -> dict[str, BRO | ParticleSGD]:
    """The dynamics of :func:`matched_configs`, by the same labels."""
    return {label: dynamics_rule(rule) for label, rule in matched_configs(config).items()}


def compare_dynamics(config: CompareConfig, *, progress: bool = False) -> CompareResult:
    """Scan BRO and matched SGD, estimate phi_c of each, and tabulate their step noise."""
    scans = [
        scan_phi(rule, progress=progress).assign(rule=label)
        for label, rule in matched_configs(config).items()
    ]
    table = pd.concat(scans, ignore_index=True)
    phi_c = estimate_phi_c(table, beta=config.beta, f_max=config.f_max, by=("rule", "n"))
    start = PackingSimulation(
        packing_config(config, n=config.noise_n, phi=config.noise_phi, dtype="float64")
    )
    generator = torch.Generator(start.device).manual_seed(config.seed)
    noise = noise_table(
        start.overlaps(),
        matched_rules(config),
        config.noise_draws,
        generator,
    )
    return CompareResult(table, phi_c, noise)
