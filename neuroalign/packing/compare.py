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

from dataclasses import dataclass, field, replace

import pandas as pd
import torch

from neuroalign.packing.dynamics import BRO, ParticleSGD
from neuroalign.packing.noise import noise_table
from neuroalign.packing.scan import ScanConfig, estimate_phi_c, scan_phi
from neuroalign.packing.simulation import PackingSimulation, packing_config

__all__ = ["CompareConfig", "CompareResult", "compare_dynamics", "matched_rules"]


@dataclass(frozen=True)
class CompareConfig(ScanConfig):
    """A phi scan of BRO and of SGD at several batch fractions (see :class:`ScanConfig`;
    ``dynamics``, ``lr``, ``batch_fraction`` and ``batch_size`` are set per rule)."""

    batch_fractions: tuple[float, ...] = field(
        default=(0.25, 0.75, 1.0),
        metadata={"help": "SGD batch fractions b_f (alpha = eps / b_f), comma-separated"},
    )
    noise_phi: float = field(
        default=0.6, metadata={"help": "volume fraction of the configuration for the noise table"}
    )
    noise_n: int = field(default=500, metadata={"help": "spheres in the noise-table configuration"})
    noise_draws: int = field(
        default=2000, metadata={"help": "steps drawn from it to measure drift and noise"}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.batch_fractions or not all(0 < b <= 1 for b in self.batch_fractions):
            raise ValueError(f"batch_fractions: need values in (0, 1], got {self.batch_fractions}")


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
