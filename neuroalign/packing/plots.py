"""Figures of packing runs and experiments (matplotlib ``Figure`` objects, no pyplot state).

Each function returns a titled :class:`matplotlib.figure.Figure` with labelled axes; save it
with ``fig.savefig(path)`` or show it in a notebook by leaving it as a cell's last value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from neuroalign.packing.config import Exponents

__all__ = ["plot_activity", "plot_collapse", "plot_history", "plot_noise", "plot_structure"]


def plot_history(history: pd.DataFrame, title: str = "") -> Figure:
    """Active fraction f_a and loss L against the step (log-log) of one run."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_f, ax_l = fig.subplots(1, 2)
    steps = history["step"].to_numpy() + 1
    ax_f.plot(steps, history["f_active"], marker=".", lw=1)
    ax_f.set(xscale="log", xlabel="step + 1", ylabel="active fraction $f_a$")
    ax_f.set_title("activity")
    positive = history["loss"] > 0
    ax_l.plot(steps[positive], history["loss"][positive], marker=".", lw=1, color="C1")
    ax_l.set(xscale="log", yscale="log", xlabel="step + 1", ylabel="hinge loss $L$")
    ax_l.set_title("loss")
    fig.suptitle(title or "packing run")
    return fig


def plot_activity(
    table: pd.DataFrame,
    phi_c: float | None = None,
    *,
    by: str = "n",
    title: str = "",
) -> Figure:
    """Steady-state f_a (mean +- s.e.m. over seeds) against phi, one line per value of ``by``
    (e.g. ``n`` or ``rule``); a dashed line at ``phi_c`` when given."""
    fig = Figure(figsize=(5.5, 4), layout="constrained")
    ax = fig.subplots()
    for label, part in table.groupby(by, sort=True):
        stats = part.groupby("phi")["f_active"].agg(["mean", "sem"]).reset_index()
        ax.errorbar(
            stats["phi"],
            stats["mean"],
            yerr=stats["sem"].fillna(0.0),
            marker="o",
            ms=4,
            capsize=2,
            label=f"{by}={label}" if by == "n" else str(label),
        )
    if phi_c is not None and np.isfinite(phi_c):
        ax.axvline(phi_c, ls="--", color="k", lw=1, label=f"$\\phi_c$ = {phi_c:.3f}")
    ax.set(xlabel="volume fraction $\\phi$", ylabel="steady-state active fraction $f_a$")
    ax.legend(fontsize="small")
    ax.set_title(title or "absorbing-state transition")
    return fig


def plot_collapse(
    scaled: pd.DataFrame, exponents: Exponents, phi_c: float, d: int, title: str = ""
) -> Figure:
    """Finite-size scaling collapse of f_a and tau (columns of
    :func:`~neuroalign.packing.scaling.scaled_table`), one colour per N."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_f, ax_t = fig.subplots(1, 2)
    for n, part in scaled.sort_values("x").groupby("n"):
        ax_f.plot(part["x"], part["y_f"], marker="o", ms=4, label=f"N={n}")
        ax_t.plot(part["x"], part["y_tau"], marker="o", ms=4, label=f"N={n}")
    b, npar, nperp = exponents.beta, exponents.nu_parallel, exponents.nu_perp
    xlabel = f"$(\\phi - \\phi_c) L^{{1/\\nu_\\perp}}$,  $L = N^{{1/{d}}}$"
    ax_f.set(xlabel=xlabel, ylabel="$f_a L^{\\beta/\\nu_\\perp}$")
    ax_f.set_title("activity")
    ax_t.set(xlabel=xlabel, ylabel="$\\tau L^{-\\nu_\\parallel/\\nu_\\perp}$", yscale="log")
    ax_t.set_title("relaxation time")
    ax_f.legend(fontsize="small")
    fig.suptitle(
        title
        or f"finite-size scaling, $\\phi_c$ = {phi_c:.4f}, $\\beta$ = {b}, "
        f"$\\nu_\\parallel$ = {npar}, $\\nu_\\perp$ = {nperp}"
    )
    return fig


def plot_structure(sq: pd.DataFrame, gr: pd.DataFrame, title: str = "") -> Figure:
    """S(q) (log-log) and g(r) of one configuration."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_s, ax_g = fig.subplots(1, 2)
    ax_s.loglog(sq["q"], sq["s"], marker=".", lw=1)
    ax_s.set(xlabel="wave number $q$ (1 / mean diameter)", ylabel="structure factor $S(q)$")
    ax_s.set_title("structure factor")
    ax_g.plot(gr["r"], gr["g"], lw=1)
    ax_g.axhline(1.0, color="k", lw=0.5)
    ax_g.set(xlabel="distance $r$ (mean diameters)", ylabel="radial distribution $g(r)$")
    ax_g.set_title("radial distribution")
    fig.suptitle(title or "structure of the final configuration")
    return fig


def plot_noise(noise: pd.DataFrame, title: str = "") -> Figure:
    """Noise-to-drift ratio tr(Cov)/|E dx|^2 of one step: SGD against b_f (sampled points and
    (1 - b_f)/b_f, Eq. 3) and BRO (1/3, Eq. 1, drawn at b_f = 3/4 where the two agree).
    Noise-free rows (gradient descent, b_f = 1) are listed in the legend, not plotted on the
    log axis."""
    fig = Figure(figsize=(5.5, 4), layout="constrained")
    ax = fig.subplots()
    sgd = noise[noise["b_f"].notna()].sort_values("b_f")
    noisy = sgd[sgd["noise_ratio_sampled"] > 1e-8]
    grid = np.linspace(0.05, 0.98, 200)
    ax.plot(grid, (1 - grid) / grid, color="C0", lw=1, label="SGD, Eq. 3: $(1-b_f)/b_f$")
    ax.plot(noisy["b_f"], noisy["noise_ratio_sampled"], "o", color="C0", label="SGD, sampled")
    if len(noisy) < len(sgd):
        ax.plot([], [], " ", label="$b_f = 1$ (GD): no noise")
    bro = noise[noise["b_f"].isna()]
    ax.axhline(1 / 3, color="C1", lw=1, ls="--", label="BRO, Eq. 1: 1/3")
    if len(bro):
        ax.plot(
            [0.75] * len(bro), bro["noise_ratio_sampled"], "s", color="C1", label="BRO, sampled"
        )
    ax.set(
        xlabel="batch fraction $b_f$",
        ylabel="noise / drift  tr Cov / $|E\\,\\delta x|^2$",
        yscale="log",
    )
    ax.legend(fontsize="small")
    ax.set_title(title or "one-step noise of BRO and particle SGD (matched drift)")
    return fig
