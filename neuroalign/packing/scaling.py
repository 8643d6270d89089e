"""Finite-size scaling of the absorbing-state transition with Manna-class exponents.

Near phi_c the steady-state activity and the relaxation time of a system of linear size
L ~ N^(1/d) follow (Henkel, Hinrichsen & Luebeck 2009; Zhang & Martiniani, Fig. 2)

    f_a = L^(-beta / nu_perp) F((phi - phi_c) L^(1 / nu_perp)),
    tau = L^(nu_par / nu_perp) G((phi - phi_c) L^(1 / nu_perp)),

so plotting y_f = f_a L^(beta / nu_perp) and y_tau = tau L^(-nu_par / nu_perp) against
x = (phi - phi_c) L^(1 / nu_perp) collapses the curves of all sizes. In d = 3 the Manna
exponents are beta = 0.84, nu_par = 1.08, nu_perp = 0.59 (:data:`MANNA_3D`). Here L = N^(1/d)
(in units of the mean inter-particle spacing; a constant factor only rescales the axes).

:func:`collapse_quality` measures how well the curves collapse (0 = perfect) and
:func:`fit_collapse` finds the phi_c that collapses them best, for fixed exponents.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from neuroalign.packing.config import MANNA_3D, Exponents

__all__ = [
    "collapse_quality",
    "fit_collapse",
    "scaled_table",
]


def scaled_table(
    table: pd.DataFrame, phi_c: float, d: int, exponents: Exponents = MANNA_3D
) -> pd.DataFrame:
    """Mean f_a and tau per (N, phi) (over seeds) with the scaled columns.

    Args:
        table: rows of :func:`~neuroalign.packing.scan.scan_phi` (columns n, phi, f_active,
            tau); all of one dynamics.

    Returns:
        DataFrame with n, phi, f_active, tau (means), f_sem (standard error over seeds),
        x = (phi - phi_c) L^(1/nu_perp), y_f = f_a L^(beta/nu_perp),
        y_tau = tau L^(-nu_par/nu_perp), L = N^(1/d).
    """
    missing = {"n", "phi", "f_active", "tau"} - set(table.columns)
    if missing:
        raise ValueError(f"table: missing columns {sorted(missing)}")
    grouped = table.groupby(["n", "phi"])
    out = grouped.agg(f_active=("f_active", "mean"), tau=("tau", "mean")).reset_index()
    sem = grouped["f_active"].sem().fillna(0.0).to_numpy()
    out["f_sem"] = sem
    length = out["n"].to_numpy(dtype=float) ** (1.0 / d)
    out["x"] = (out["phi"] - phi_c) * length ** (1.0 / exponents.nu_perp)
    out["y_f"] = out["f_active"] * length ** (exponents.beta / exponents.nu_perp)
    out["y_tau"] = out["tau"] * length ** (-exponents.nu_parallel / exponents.nu_perp)
    return out


def collapse_quality(scaled: pd.DataFrame, y: str = "y_f") -> float:
    """Mean squared mismatch between the curves of different N, over their common x range.

    Each size's curve y(x) is linearly interpolated at the x of every other size's points in
    the overlap of the two x ranges; the squared differences are averaged and divided by the
    mean y^2 of the compared points (0 = perfect collapse; NaN if no two sizes overlap).
    """
    curves = [
        (g["x"].to_numpy(), g[y].to_numpy())
        for _, g in scaled.sort_values("x").groupby("n")
        if g[y].notna().sum() >= 2
    ]
    diffs, scale = [], []
    for a, (xa, ya) in enumerate(curves):
        for b, (xb, yb) in enumerate(curves):
            if a == b:
                continue
            inside = (xb >= xa.min()) & (xb <= xa.max())
            if not inside.any():
                continue
            diffs.append((np.interp(xb[inside], xa, ya) - yb[inside]) ** 2)
            scale.append(yb[inside] ** 2)
    if not diffs:
        return math.nan
    norm = float(np.mean(np.concatenate(scale)))
    return float(np.mean(np.concatenate(diffs)) / norm) if norm > 0 else math.nan


def fit_collapse(
    table: pd.DataFrame,
    d: int,
    exponents: Exponents = MANNA_3D,
    *,
    phi_range: tuple[float, float] | None = None,
    resolution: float | None = None,
) -> tuple[float, float]:
    """The phi_c (on a grid of step ``resolution`` over ``phi_range``; defaults: the scanned
    range in 400 steps) that minimises :func:`collapse_quality` of f_a; returns
    (phi_c, quality)."""
    lo, hi = phi_range or (float(table["phi"].min()), float(table["phi"].max()))
    resolution = resolution or max(hi - lo, 1e-6) / 400
    base = scaled_table(table, 0.0, d, exponents)  # x = phi L^(1/nu_perp); shifted below
    stretch = base["n"].to_numpy(dtype=float) ** (1.0 / (d * exponents.nu_perp))
    best = (math.nan, math.inf)
    for phi_c in np.arange(lo, hi + resolution / 2, resolution):
        quality = collapse_quality(base.assign(x=(base["phi"] - phi_c) * stretch))
        if quality < best[1]:
            best = (float(phi_c), quality)
    return best
