"""Volume-fraction scans: steady-state activity f_a vs phi, and the critical point phi_c.

Below phi_c BRO and particle SGD reach the absorbing state (f_a = 0); above it they settle in
an active steady state with f_a ~ (phi - phi_c)^beta (Manna class, beta = 0.84 in d = 3;
Zhang & Martiniani; Wilken et al., PRL 127, 038002, 2021). :func:`scan_phi` runs every
(N, phi, seed) of a :class:`ScanConfig` and returns one tidy row per run;
:func:`estimate_phi_c` estimates phi_c per system size in two ways:

- ``phi_c_fit``: the zero of the straight line fitted to f_a^(1/beta) vs phi over the active
  points (mean over seeds, 0 < f_a <= ``f_max``), weighted equally; its standard error comes
  from the fit (delta method);
- ``phi_c_half``: the phi at which half of the seeds end absorbed (linear interpolation
  between the bracketing scan points).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from neuroalign.packing.config import ScanConfig, packing_config
from neuroalign.packing.simulation import simulate

__all__ = ["ScanConfig", "estimate_phi_c", "scan_phi"]


def scan_phi(config: ScanConfig, *, progress: bool = False) -> pd.DataFrame:
    """Run every (N, phi, seed) of ``config``; one row per run (see ``PackingRun.summary``)."""
    grid = [
        (n, phi, config.seed + k)
        for n in config.sizes
        for phi in config.phis
        for k in range(config.n_seeds)
    ]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(grid), unit="run", dynamic_ncols=True, desc=f"{config.dynamics} scan")
    rows = []
    for n, phi, seed in grid:
        rows.append(simulate(packing_config(config, n=n, phi=phi, seed=seed)).summary())
        if bar is not None:
            bar.set_postfix(N=n, phi=f"{phi:.3f}", f_a=f"{rows[-1]['f_active']:.3f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return pd.DataFrame(rows)


def _line_zero(phi: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Zero of the least-squares line y = a (phi - phi0) and its standard error."""
    if len(phi) < 2:
        return math.nan, math.nan
    design = np.column_stack([phi, np.ones_like(phi)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    slope, intercept = coef
    zero = -intercept / slope
    if len(phi) < 3:
        return float(zero), math.nan
    resid = y - design @ coef
    sigma2 = float(resid @ resid) / (len(phi) - 2)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    # d zero / d (slope, intercept) = (intercept / slope^2, -1 / slope)
    grad = np.array([intercept / slope**2, -1.0 / slope])
    return float(zero), float(np.sqrt(grad @ cov @ grad))


def _half_absorbed(phi: np.ndarray, absorbed: np.ndarray) -> float:
    """phi where the absorbed fraction crosses 1/2 (absorbed decreasing with phi)."""
    for k in range(len(phi) - 1):
        a, b = absorbed[k], absorbed[k + 1]
        if a >= 0.5 > b:
            return float(phi[k] + (a - 0.5) / (a - b) * (phi[k + 1] - phi[k]))
    return math.nan


def estimate_phi_c(
    table: pd.DataFrame,
    *,
    beta: float = 0.84,
    f_max: float = 0.6,
    by: tuple[str, ...] = ("dynamics", "n"),
) -> pd.DataFrame:
    """phi_c per group of a :func:`scan_phi` table (see the module docstring).

    Returns:
        DataFrame with the ``by`` columns, phi_c_fit, phi_c_fit_se, phi_c_half, n_fit (points
        in the fit), phi_absorbed_max (largest phi where every seed absorbed) and
        phi_active_min (smallest phi where no seed absorbed).
    """
    missing = {"phi", "f_active", "absorbed", *by} - set(table.columns)
    if missing:
        raise ValueError(f"table: missing columns {sorted(missing)}")
    rows = []
    for key, group in table.groupby(list(by), sort=True):
        per_phi = group.groupby("phi").agg(f=("f_active", "mean"), absorbed=("absorbed", "mean"))
        phi = per_phi.index.to_numpy(dtype=float)
        f = per_phi["f"].to_numpy()
        absorbed = per_phi["absorbed"].to_numpy()
        use = (f > 0) & (f <= f_max) & (absorbed == 0)
        zero, se = _line_zero(phi[use], f[use] ** (1.0 / beta))
        all_absorbed = phi[absorbed == 1]
        never = phi[absorbed == 0]
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
                "phi_c_fit": zero,
                "phi_c_fit_se": se,
                "phi_c_half": _half_absorbed(phi, absorbed),
                "n_fit": int(use.sum()),
                "phi_absorbed_max": float(all_absorbed.max()) if len(all_absorbed) else math.nan,
                "phi_active_min": float(never.min()) if len(never) else math.nan,
            }
        )
    return pd.DataFrame(rows)
